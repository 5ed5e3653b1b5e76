"""PgBouncer in transaction pooling between the servers and PostgreSQL.

In ``pool_mode = transaction`` a client's consecutive transactions may run on different server
sessions, and a session setting one client leaves behind is inherited by the next: nothing may
rely on, or leave, session state across transactions. A real PgBouncer (Debian's package,
installed when missing) sits in front of the test server here; the representative protocol, ORM,
stateless and cron modules run again through one (``OPENERP_LITE_TEST_PGBOUNCER=1``, honoured by
``tests/support/pg.py``), and a restore, whose dump sets session parameters, leaves none behind.
"""

import os
import subprocess
import sys
import xmlrpc.client

import pytest

from openerp_lite.bench.cluster import PgBouncer, Unavailable
from tests.support import pg as pgsupport
from tests.support.server import ROOT, start_server

#: the modules run again through a PgBouncer: the wire protocols, the ORM over RPC, the stateless
#: contract across two processes (cache signals), and cron
THROUGH_PGBOUNCER = (
    'tests/test_http_protocols.py',
    'tests/test_orm_rpc.py',
    'tests/test_stateless.py',
    'tests/test_cron.py',
)


@pytest.fixture(scope='module')
def bouncer(pg):
    if pgsupport.pgbouncer_forced():
        pytest.skip('this run already goes through a PgBouncer')
    # two server sessions per database: a setting left on one is soon met again
    try:
        running = PgBouncer(pg, pool_mode='transaction', pool_size=2)
    except Unavailable as missing:
        pytest.skip(str(missing))
    yield running
    running.stop()


def test_representative_modules_pass_through_a_transaction_mode_pgbouncer(bouncer):
    env = dict(os.environ, OPENERP_LITE_TEST_PGBOUNCER='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-x', *THROUGH_PGBOUNCER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert ' passed' in proc.stdout and 'skipped' not in proc.stdout.splitlines()[-1]


def _search_paths(params, count):
    import psycopg2

    seen = set()
    conn = psycopg2.connect(dbname='postgres', **params)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            for _ in range(count):
                cr.execute('SHOW search_path')
                seen.add(cr.fetchone()[0])
    finally:
        conn.close()
    return seen


def test_a_restore_through_pgbouncer_leaves_no_session_setting_behind(pg, bouncer):
    server = start_server(bouncer.params)
    source, copy = pgsupport.new_db_name('oelt_pgb'), pgsupport.new_db_name('oelt_pgb')
    try:
        db = server.xmlrpc('db')
        db.create_database(server.admin_passwd, source, False, 'en_US', 'admin')
        default = _search_paths(bouncer.params, 1)
        for kind in ('custom', 'zip'):
            dumped = db.dump(server.admin_passwd, source, kind)
            name = copy if kind == 'custom' else copy + 'z'
            assert db.restore(server.admin_passwd, name, dumped, True) is True
            models = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object', allow_none=True)
            common = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/common', allow_none=True)
            for _ in range(20):
                for database in (source, name):
                    uid = common.login(database, 'admin', 'admin')
                    assert models.execute_kw(database, uid, 'admin', 'res.partner', 'search_count', [[]]) >= 1
        # every server session of the pool still has the default search_path
        assert _search_paths(bouncer.params, 20) == default
    finally:
        server.stop()
        for name in (source, copy, copy + 'z'):
            pgsupport.drop_database(pg, name)
