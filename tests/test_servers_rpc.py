"""The end-to-end RPC checks against each server: threaded, waitress and gunicorn (two workers),
each a real subprocess serving one prepared database.

A focused subset, so the suite does not triple in time: the protocol checks of
``test_http_protocols`` (routes, versions, fault shapes, statuses) are collected here a second
time against each server through the module-scoped ``server`` fixture below, which overrides the
session's threaded one for this module; and the canonical ORM walkthrough of ``test_orm_rpc``
runs on the three routes of each server. Each server starts once for the module.
"""

import os

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import ROUTES
from tests.support.server import ROOT, prepare_databases, start_server

# Collected again in this module, against the parametrised ``server`` fixture below.
from tests.test_http_protocols import (  # noqa: F401
    test_access_denied_fault_shapes,
    test_declared_body_over_limit_is_413_without_sending_it,
    test_get_on_an_rpc_route_is_405,
    test_login_on_a_missing_database_names_it,
    test_unknown_method_fault_names_it,
    test_unknown_path_is_404,
    test_user_error_fault_shapes,
    test_version_over_jsonrpc_echoes_the_id,
    test_version_over_xmlrpc_routes,
)
from tests.test_orm_rpc import _walkthrough

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
SERVERS = ('threaded', 'waitress', 'gunicorn')


@pytest.fixture(scope='module')
def served_db(pg):
    """A database with base, its demo data and ``test_orm``."""
    name = pgsupport.new_db_name('oelsrvrpc')
    try:
        prepare_databases(pg, [name], ['test_orm'], TEST_ADDONS, demo=True)
        yield name
    finally:
        pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module', params=SERVERS)
def server(request, pg, served_db):
    """One server of each kind in turn, serving ``served_db``."""
    args = ['--server', request.param, '--addons-path', TEST_ADDONS, '-d', served_db]
    if request.param == 'gunicorn':
        args += ['--workers', '2']
    running = start_server(pg, args)
    running.kind = request.param
    yield running
    status = running.stop()
    assert status == 0, status


def test_health_names_the_server(server):
    status, _headers, body = server.request('GET', '/web/health')
    assert status == 200 and ('"server": "%s"' % server.kind).encode() in body


def test_orm_walkthrough_gives_the_same_answers_on_every_route(server, served_db):
    transcripts = {route: _walkthrough(server, route, served_db) for route in ROUTES}
    expected = transcripts['xmlrpc2']
    assert expected[0] == 1 and expected[1] is True
    assert len(expected[2]) >= 3 and expected[4] == len(expected[2])
    assert expected[-4:] == [True, [['NEW', 'Newer partner R']], True, []]
    assert transcripts['jsonrpc'] == expected
    assert transcripts['legacy'] == expected
