"""Addon tests: ``openerp-server test -d DB -m MODULE`` and ``--test-enable`` at install, with
``openerp_lite.tests.TransactionCase`` rolling every test back."""

import subprocess
import sys
import textwrap

import pytest

from openerp_lite.bench import launcher
from tests.support import pg as pgsupport
from tests.support.server import EXECUTABLE, ROOT

TESTED_MODEL = """
from openerp_lite import fields, models


class Note(models.Model):
    _name = '%(model)s'
    _description = 'Note'

    name = fields.Char(required=True)
"""

TESTED_TESTS = """
from openerp_lite.tests import TransactionCase


class TestRollback(TransactionCase):

    def test_a_create(self):
        self.env['xt.tested.note'].create({'name': 'made by a test'})
        self.assertEqual(self.env['xt.tested.note'].search_count([]), 2)

    def test_b_nothing_left_by_the_previous_test(self):
        self.assertEqual(self.env['xt.tested.note'].search_count([]), 1)
        self.assertEqual(self.env.ref('xt_tested.note_data').name, 'from data')

    def test_c_commit_refused(self):
        with self.assertRaises(AssertionError):
            self.cr.commit()

    def test_d_env_is_superuser(self):
        self.assertEqual(self.env.uid, 1)
        self.assertEqual(self.env.user.login, 'admin')
"""

FAILING_TESTS = """
from openerp_lite.tests import TransactionCase


class TestFailing(TransactionCase):

    def test_right(self):
        self.assertTrue(self.env['xt.failing.note'].create({'name': 'x'}))

    def test_wrong(self):
        self.assertEqual(self.env['xt.failing.note'].search_count([]), 42)
"""


def write_module(root, name, model, tests, data=''):
    files = {
        '__manifest__.py': "{'name': %r, 'data': ['security/ir.model.access.csv'%s]}"
        % (name, ", 'data.xml'" if data else ''),
        '__init__.py': 'from . import models\n',
        'models.py': TESTED_MODEL % {'model': model},
        'security/ir.model.access.csv': 'id,name,model_id:id,group_id:id,'
        'perm_read,perm_write,perm_create,perm_unlink\n'
        'access_note,note,model_%s,base.group_user,1,1,1,1\n' % model.replace('.', '_'),
        'tests/__init__.py': '',
        'tests/test_notes.py': tests,
    }
    if data:
        files['data.xml'] = data
    for relpath, text in files.items():
        path = root / name / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture(scope='module')
def addons_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp('tested_addons')
    write_module(
        root,
        'xt_tested',
        'xt.tested.note',
        TESTED_TESTS,
        data="""
        <odoo><data>
            <record id="note_data" model="xt.tested.note"><field name="name">from data</field></record>
        </data></odoo>""",
    )
    write_module(root, 'xt_failing', 'xt.failing.note', FAILING_TESTS)
    return root


@pytest.fixture(scope='module')
def db(pg):
    name = pgsupport.new_db_name('oeltst')
    yield name
    pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module')
def run(pg, addons_dir):
    def run_cli(*args):
        cmd = (
            [sys.executable, EXECUTABLE]
            + list(args)
            + ['--addons-path', str(addons_dir), '--log-level', 'warn']
            + launcher.db_args(pg)
        )
        env = launcher.clean_environ()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr

    return run_cli


def count(pg, db, query):
    return pgsupport.sql(pg, db, query)[0][0]


def test_test_command_runs_a_module_s_tests_each_rolled_back(pg, db, run):
    status, output = run('test', '-d', db, '-i', 'xt_tested', '-m', 'xt_tested', '--test-verbose')
    assert status == 0, output
    assert 'Ran 4 tests' in output and 'OK' in output
    assert 'test_b_nothing_left_by_the_previous_test' in output
    # the database holds the data file's record only
    assert count(pg, db, 'SELECT count(*) FROM xt_tested_note') == 1


def test_test_command_fails_for_a_module_that_is_not_installed(db, run):
    status, output = run('test', '-d', db, '-m', 'xt_failing')
    assert status == 1
    assert 'not installed in %s: xt_failing' % db in output


def test_test_enable_runs_tests_at_install_and_failures_give_a_non_zero_exit(pg, db, run):
    status, output = run('-d', db, '-i', 'xt_failing', '--test-enable', '--stop-after-init')
    assert status == 1, output
    assert 'test_wrong' in output and 'FAILED (failures=1)' in output
    # a failing test does not undo the install; its writes are rolled back
    assert count(pg, db, "SELECT state FROM ir_module_module WHERE name = 'xt_failing'") == 'installed'
    assert count(pg, db, 'SELECT count(*) FROM xt_failing_note') == 0


def test_test_command_exit_status_reports_a_failure(db, run):
    status, output = run('test', '-d', db, '-m', 'xt_tested,xt_failing')
    assert status == 1, output
    assert 'Ran 4 tests' in output and 'Ran 2 tests' in output
    assert 'FAIL: test_wrong' in output


def test_test_command_usage_errors(run):
    status, output = run('test', '-m', 'xt_tested')
    assert status == 2 and 'give one database with -d DB' in output
