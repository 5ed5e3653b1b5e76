"""The scripts in examples/ run unchanged against a real server, plus the OpenERP 6.1/7.0 alias
``/openerp/xmlrpc/1/<service>``."""

import os
import subprocess
import sys
import xmlrpc.client

import pytest

from tests.support import pg as pgsupport
from tests.support.server import ROOT

EXAMPLES = os.path.join(ROOT, 'examples')
SCRIPTS = sorted(name for name in os.listdir(EXAMPLES) if name.endswith('.py'))


@pytest.fixture(scope='module')
def db(server):
    name = pgsupport.new_db_name('oelex')
    server.xmlrpc('db').create_database(server.admin_passwd, name, False, 'en_US', 'admin')
    yield name
    server.xmlrpc('db').drop(server.admin_passwd, name)


@pytest.mark.parametrize('script', SCRIPTS)
def test_example_script_runs_against_a_real_server(server, db, script):
    done = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, script), server.url, db, 'admin', 'admin'],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith('ok'), done.stdout


def test_openerp_61_xmlrpc_alias_serves_the_legacy_services(server, db):
    common = xmlrpc.client.ServerProxy(server.url + '/openerp/xmlrpc/1/common', allow_none=True)
    uid = common.login(db, 'admin', 'admin')
    assert uid == 1
    sock = xmlrpc.client.ServerProxy(server.url + '/openerp/xmlrpc/1/object', allow_none=True)
    assert sock.execute(db, uid, 'admin', 'res.users', 'read', [1], ['login'])[0]['login'] == 'admin'
    dbs = xmlrpc.client.ServerProxy(server.url + '/openerp/xmlrpc/1/db')
    assert dbs.server_version()[0].isdigit()
