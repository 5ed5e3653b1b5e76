"""Fixtures of the reliability suite: one database with the test addons (and ``sale``), the
servers that serve it, and the report printed at the end of the run.

The report (every scenario with its counts) goes to the terminal and to a file:
``$OPENERP_LITE_RELIABILITY_REPORT`` when set, else ``.pytest_cache/reliability-report.md``.
"""

import os
import time

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import TEST_ADDONS, make_user
from tests.support.server import start_server

from .support import PASSWORDS, Client, Report, proxy

REPORT = Report()

#: users created in the database: login -> groups
USERS = {
    'team_a': ['test_reliability.group_team_a'],
    'team_b': ['test_reliability.group_team_b'],
}


def _report_path(config):
    path = os.environ.get('OPENERP_LITE_RELIABILITY_REPORT')
    if path:
        return path
    return os.path.join(str(config.rootpath), '.pytest_cache', 'reliability-report.md')


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REPORT.rows:
        return
    table = REPORT.table()
    terminalreporter.section('reliability report')
    terminalreporter.write_line(table)
    path = _report_path(config)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(table + '\n')
        terminalreporter.write_line('(written to %s)' % path)
    except OSError as error:
        terminalreporter.write_line('(could not write %s: %s)' % (path, error))


@pytest.fixture
def scenario(request):
    """``scenario(name)``: a new report row, timed until the end of the test."""
    rows = []

    def make(name):
        row = REPORT.scenario(name)
        row._started = time.monotonic()
        rows.append(row)
        return row

    yield make
    for row in rows:
        row.seconds = time.monotonic() - row._started
        if getattr(request.node, 'rep_call_failed', False):
            row.note('TEST FAILED')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == 'call' and report.failed:
        item.rep_call_failed = True


@pytest.fixture(scope='session')
def rel_server(pg):
    """A threaded server with the test addons, shared by the suite."""
    running = start_server(pg, ['--addons-path', TEST_ADDONS])
    yield running
    running.stop()


@pytest.fixture(scope='session')
def rel_db(pg, rel_server):
    """A database with base, ``test_reliability`` and (when present) ``sale``, and the users of
    :data:`USERS` (passwords in :data:`PASSWORDS`). Yields ``{'name', 'uids', 'modules'}``."""
    name = pgsupport.new_db_name('oelrel')
    proxy(rel_server, 'db', timeout=300).create_database(
        rel_server.admin_passwd, name, False, 'en_US', 'admin'
    )
    try:
        admin = Client(rel_server, name, timeout=300)
        admin('ir.module.module', 'update_list')
        ids = admin('ir.module.module', 'search', [('name', 'in', ['test_reliability', 'sale'])])
        admin('ir.module.module', 'button_immediate_install', ids)
        installed = admin(
            'ir.module.module',
            'search_read',
            [('name', 'in', ['test_reliability', 'sale']), ('state', '=', 'installed')],
            ['name'],
        )
        modules = {row['name'] for row in installed}
        assert 'test_reliability' in modules
        from tests.support.orm import RpcClient

        rpc_admin = RpcClient(rel_server, 'xmlrpc2', name, 1, 'admin')
        uids = {
            login: make_user(rpc_admin, login, groups, PASSWORDS[login]) for login, groups in USERS.items()
        }
        yield {'name': name, 'uids': uids, 'modules': modules}
    finally:
        pgsupport.drop_database(pg, name)
