"""Fixtures shared by the whole suite: a real PostgreSQL, scratch databases, configured sql_db."""

import pytest

from openerp_lite import sql_db
from tests.support import pg as pgsupport


def pytest_addoption(parser):
    parser.addoption(
        '--run-slow',
        action='store_true',
        default=False,
        help='also run the long end-to-end scenarios marked slow',
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption('--run-slow'):
        return
    skip_slow = pytest.mark.skip(reason='slow scenario: run with --run-slow')
    for item in items:
        if 'slow' in item.keywords:
            item.add_marker(skip_slow)


def pytest_sessionfinish(session, exitstatus):
    pgsupport.stop_embedded()


@pytest.fixture(scope='session')
def pg():
    """Connection parameters (host, port, user) of the PostgreSQL under test."""
    return pgsupport.params()


@pytest.fixture(scope='session', autouse=True)
def _configure_sql_db(pg):
    sql_db.configure(
        host=pg['host'],
        port=pg.get('port'),
        user=pg.get('user'),
        password=pg.get('password'),
        maxconn=16,
        wait_timeout=5,
    )
    yield
    sql_db.close_all()


@pytest.fixture
def scratch_db(pg):
    """An empty database that is dropped after the test."""
    name = pgsupport.new_db_name()
    pgsupport.create_database(pg, name)
    yield name
    sql_db.close_db(name)
    pgsupport.drop_database(pg, name)


# -- PostgreSQL on both kinds of server (owned by the database-layer tests) ---------------------
# ``pg`` is the run's server (see tests/support/pg.py; OPENERP_LITE_TEST_EMBEDDED=1 forces the
# embedded one). ``pg_any`` runs a test once per available kind: the system server when one answers
# and the embedded one always. sql_db stays configured for ``pg``: a test using ``pg_any`` talks to
# its server itself (psycopg2, or a server subprocess given --db_host/--db_port/--db_user).


@pytest.fixture(scope='session', params=['system', 'embedded'])
def pg_any(request):
    """Connection parameters of the system PostgreSQL, then of the embedded one."""
    if request.param == 'system':
        if pgsupport.embedded_forced():
            pytest.skip('OPENERP_LITE_TEST_EMBEDDED is set: embedded server only')
        params = pgsupport.system_params()
        if params is None:
            pytest.skip('no system PostgreSQL answers (PGHOST/PGPORT or 127.0.0.1:5432)')
        return params
    return pgsupport.embedded_params()


def pytest_report_header(config):
    from tests.support import fuzz

    forced = pgsupport.embedded_forced()
    system = None if forced else pgsupport.system_params()
    if system:
        database = 'postgresql: system server %s:%s' % (system['host'], system['port'])
    else:
        database = 'postgresql: embedded server (%s)' % (
            'forced by OPENERP_LITE_TEST_EMBEDDED' if forced else 'no system server answers'
        )
    return [database, fuzz.header()]


# -- end-to-end servers (tests/support/server.py) -----------------------------------------------


@pytest.fixture(scope='session')
def server(pg):
    """One ``./openerp-server`` subprocess (threaded) shared by the session, on a free port."""
    from tests.support.server import start_server

    running = start_server(pg)
    yield running
    running.stop()


def _server_factory(pg):
    from tests.support import server as server_support

    started = []

    def start(args=(), **kwargs):
        running = server_support.start_server(pg, args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def start_server(pg):
    """A factory ``start_server(args=(), **kw)`` for servers with special options; all stopped
    after the test."""
    yield from _server_factory(pg)


@pytest.fixture(scope='module')
def start_server_module(pg):
    """The same factory, for servers shared by the tests of one module."""
    yield from _server_factory(pg)


# -- the ORM tests' server: the test addons on its addons path (tests/support/orm.py) ----------


@pytest.fixture(scope='session')
def orm_server(pg):
    """One server for the ORM tests, with ``tests/addons`` on its addons path."""
    from tests.support.orm import TEST_ADDONS
    from tests.support.server import start_server

    running = start_server(pg, ['--addons-path', TEST_ADDONS])
    yield running
    running.stop()
