"""The embedded PostgreSQL: a fresh cluster starts, its data survives a restart, stop leaves nothing."""

import os
import shutil
import tempfile
from pathlib import Path

import psutil
import psycopg2
import pytest

pytest.importorskip('pgserver')

from openerp_lite import embedded_pg  # noqa: E402


def _postgres_processes(data_dir):
    """Running postgres processes whose command line names ``data_dir``."""
    found = []
    for proc in psutil.process_iter(attrs=['name', 'cmdline']):
        cmdline = proc.info['cmdline'] or []
        if proc.info['name'] == 'postgres' and any(str(data_dir) in part for part in cmdline):
            found.append(proc)
    return found


def _query(params, sql, fetch=True):
    conn = psycopg2.connect(dbname='postgres', **params)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
            return cr.fetchall() if fetch else None
    finally:
        conn.close()


@pytest.fixture
def tmp_path():
    """A folder directly under the system temp dir, not pytest's.

    Run as root, postgres runs as the ``pgserver`` user, which must be able to traverse every
    parent folder. pytest resets its own base folder to mode 0700 whenever a pytest session
    starts, which would lock out a server still running in a concurrent session.
    """
    path = tempfile.mkdtemp(prefix='oel-test-embedded-')
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(tmp_path):
    srv = embedded_pg.EmbeddedPostgres(tmp_path / 'data')
    yield srv
    srv.stop()


def test_start_on_empty_dir_then_restart_reuses_the_data(server, tmp_path):
    params = server.start()
    assert server.is_running()
    assert set(params) == {'host', 'port', 'user'}
    assert os.path.isabs(params['host']) and params['user'] == 'postgres'
    assert (tmp_path / 'data' / 'pgdata' / 'PG_VERSION').exists()
    _query(params, 'CREATE TABLE kept (x integer); INSERT INTO kept VALUES (42)', fetch=False)

    server.stop()
    assert not server.is_running()
    assert _postgres_processes(tmp_path / 'data') == []

    params = server.start()
    assert _query(params, 'SELECT x FROM kept') == [(42,)]


def test_stop_leaves_no_postgres_process_behind(server, tmp_path):
    server.start()
    postmaster = _postgres_processes(tmp_path / 'data')
    assert len(postmaster) == 1
    family = [postmaster[0]] + postmaster[0].children(recursive=True)
    server.stop()
    assert not any(proc.is_running() for proc in family)
    assert _postgres_processes(tmp_path / 'data') == []


def test_usable_by_sql_db(server):
    from openerp_lite import sql_db

    params = server.start()
    saved = dict(sql_db._settings)
    try:
        sql_db.configure(host=params['host'], port=params['port'], user=params['user'])
        conn = sql_db.admin_connection()
        try:
            with conn.cursor() as cr:
                cr.execute('SELECT current_user')
                assert cr.fetchone() == ('postgres',)
        finally:
            conn.close()
    finally:
        sql_db.configure(
            **{k: saved[k] for k in ('host', 'port', 'user', 'password', 'maxconn', 'wait_timeout')}
        )


def test_a_forked_child_cannot_stop_the_server(server):
    params = server.start()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            server.stop()
            server._stop_at_exit()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert server.is_running()
    assert _query(params, 'SELECT 1') == [(1,)]


def test_stop_without_start_does_nothing(tmp_path):
    srv = embedded_pg.EmbeddedPostgres(tmp_path / 'never')
    srv.stop()
    assert not srv.is_running()


def test_helpers_point_at_real_places():
    assert os.path.isabs(embedded_pg.default_data_dir())
    bin_dir = embedded_pg.pg_bin_dir()
    assert bin_dir and os.path.exists(os.path.join(bin_dir, 'pg_dump'))
    assert os.path.exists(os.path.join(bin_dir, 'pg_restore'))


def test_a_second_user_of_a_running_cluster_leaves_it_running(server, tmp_path):
    params = server.start()
    second = embedded_pg.EmbeddedPostgres(tmp_path / 'data')
    assert second.start() == params
    second.stop()
    assert server.is_running()
    assert _query(params, 'SELECT 1') == [(1,)]
    server.stop()
    assert not server.is_running()
