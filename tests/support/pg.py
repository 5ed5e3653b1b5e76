"""Which PostgreSQL the tests talk to.

The machine's server at 127.0.0.1:5432 when it answers (or whatever ``PGHOST``/``PGPORT`` name),
otherwise an embedded server started once for the whole run. ``OPENERP_LITE_TEST_EMBEDDED=1``
forces the embedded server even when the machine's one answers, so a whole run (or one file) can
be repeated on it: ``OPENERP_LITE_TEST_EMBEDDED=1 pytest tests/test_db_service.py``.

``OPENERP_LITE_TEST_PGBOUNCER=1`` puts a PgBouncer in transaction pooling in front of that server
for the whole run (``openerp_lite/bench/cluster.py``): every connection of the tests and of the
servers they start goes through it, so a test module can be repeated through a transaction-mode pooler:
``OPENERP_LITE_TEST_PGBOUNCER=1 pytest tests/test_stateless.py``.
"""

import os
import shutil
import socket
import tempfile
import uuid

import psycopg2

from openerp_lite.bench import launcher


def _port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def system_params():
    """Connection parameters of the machine's PostgreSQL, or None when none answers."""
    host = os.environ.get('PGHOST', '127.0.0.1')
    port = int(os.environ.get('PGPORT', '5432'))
    user = os.environ.get('PGUSER', 'postgres')
    if host.startswith('/') or _port_open(host, port):
        return {'host': host, 'port': port, 'user': user}
    return None


_embedded = {}


def embedded_params():
    """Start (once per test run) an embedded PostgreSQL and return its connection parameters."""
    if 'params' not in _embedded:
        from openerp_lite import embedded_pg

        data_dir = tempfile.mkdtemp(prefix='oel-test-pg-')
        server = embedded_pg.EmbeddedPostgres(data_dir)
        _embedded['server'] = server
        _embedded['params'] = server.start()
    return _embedded['params']


def stop_embedded():
    """Stop the run's PgBouncer and embedded server (if started) and remove its temporary cluster."""
    bouncer = _embedded.pop('pgbouncer', None)
    if bouncer is not None:
        bouncer.stop()
    server = _embedded.pop('server', None)
    _embedded.pop('params', None)
    if server is not None:
        server.stop()
        shutil.rmtree(str(server.data_dir), ignore_errors=True)


def embedded_forced():
    """True when ``OPENERP_LITE_TEST_EMBEDDED`` asks for the embedded server."""
    return os.environ.get('OPENERP_LITE_TEST_EMBEDDED', '').strip().lower() in ('1', 'true', 'yes')


def pgbouncer_forced():
    """True when ``OPENERP_LITE_TEST_PGBOUNCER`` asks for a PgBouncer in front of the server."""
    return os.environ.get('OPENERP_LITE_TEST_PGBOUNCER', '').strip().lower() in ('1', 'true', 'yes')


def params():
    """The server of this run: the embedded one when forced or when no system server answers;
    behind the run's PgBouncer when ``OPENERP_LITE_TEST_PGBOUNCER`` asks for one."""
    server = embedded_params() if embedded_forced() else system_params() or embedded_params()
    if not pgbouncer_forced():
        return server
    if 'pgbouncer' not in _embedded:
        import pytest

        from openerp_lite.bench import cluster

        try:
            _embedded['pgbouncer'] = cluster.PgBouncer(server, pool_mode='transaction')
        except cluster.Unavailable as missing:
            pytest.skip(str(missing))
    return _embedded['pgbouncer'].params


def kind(pg):
    """'embedded' or 'system': which server ``pg`` (a params dict) points at."""
    return 'embedded' if _embedded.get('params') == pg else 'system'


def new_db_name(prefix='oelt'):
    return '%s_%s' % (prefix, uuid.uuid4().hex[:10])


def admin_connect(pg):
    conn = psycopg2.connect(dbname='postgres', **pg)
    conn.autocommit = True
    return conn


def drop_database(pg, name):
    """Drop ``name``, ending the sessions still on it (the bench's own helper)."""
    launcher.drop_database(pg, name)


def database_exists(pg, name):
    """Whether database ``name`` exists on the PostgreSQL at ``pg``."""
    conn = admin_connect(pg)
    try:
        with conn.cursor() as cr:
            cr.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
            return cr.fetchone() is not None
    finally:
        conn.close()


def create_database(pg, name):
    conn = admin_connect(pg)
    try:
        with conn.cursor() as cr:
            cr.execute('CREATE DATABASE "%s" TEMPLATE template0 ENCODING \'UTF8\'' % name)
    finally:
        conn.close()


def sql(pg, db, query, params=None):
    """Rows of ``query`` on database ``db`` through a connection of its own, committed at once
    (autocommit; no pool, nothing kept); None for a statement that returns no rows."""
    conn = psycopg2.connect(dbname=db, **pg)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def admin_sql(pg, query, params=()):
    """Run one statement on the maintenance database of ``pg`` (autocommit)."""
    conn = admin_connect(pg)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
    finally:
        conn.close()


def mark_database(pg, name):
    """Give database ``name`` the openerp-lite mark (``openerp_lite.catalog``), as the server does
    for the databases it creates."""
    from openerp_lite import catalog

    admin_sql(pg, 'COMMENT ON DATABASE "%s" IS %%s' % name, (catalog.MARK,))
