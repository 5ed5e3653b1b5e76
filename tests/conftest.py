"""Fixtures shared by the whole suite: a real PostgreSQL, scratch databases, configured sql_db."""

import pytest

from openerp_lite import sql_db
from tests.support import pg as pgsupport


def pytest_addoption(parser):
    parser.addoption('--run-slow', action='store_true', default=False,
                     help='also run the long end-to-end scenarios marked slow')


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
    sql_db.configure(host=pg['host'], port=pg.get('port'), user=pg.get('user'),
                     password=pg.get('password'), maxconn=16, wait_timeout=5)
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


# -- end-to-end servers (tests/support/server.py) -----------------------------------------------

@pytest.fixture(scope='session')
def server(pg):
    """One ``./openerp-server`` subprocess (threaded) shared by the session, on a free port."""
    from tests.support.server import start_server
    running = start_server(pg)
    yield running
    running.stop()


@pytest.fixture
def start_server(pg):
    """A factory ``start_server(args=(), **kw)`` for servers with special options; all stopped
    after the test."""
    from tests.support import server as server_support
    started = []

    def start(args=(), **kwargs):
        running = server_support.start_server(pg, args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
