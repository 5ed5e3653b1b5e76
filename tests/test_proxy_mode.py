"""``--proxy-mode``: behind a reverse proxy the client address, scheme and host come from the
``X-Forwarded-*`` headers (one hop); without it those headers are ignored. Checked over real HTTP
on two servers, one of each, through what the server does with them: the access log and the
``CallInfo.remote_addr`` of a refused master password, the host ``--db-filter`` matches, and
the ``Secure`` flag of the session cookie."""

import json

import pytest

from tests.support import pg as pgsupport
from tests.support.server import start_server

PROXY = '10.9.8.7'
CLIENT = '203.0.113.7'


@pytest.fixture(scope='module')
def database(pg):
    # an empty database with the openerp-lite mark is enough: db.list only looks at the catalog
    name = pgsupport.new_db_name('oelt_px')
    pgsupport.create_database(pg, name)
    pgsupport.mark_database(pg, name)
    yield name
    pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module', params=['proxy', 'direct'])
def server(request, pg, database):
    args = ['--db-filter', '^%d$'] + (['--proxy-mode'] if request.param == 'proxy' else [])
    running = start_server(pg, args)
    yield request.param, running
    running.stop()


def _jsonrpc(server, service, method, args, headers):
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'service': service, 'method': method, 'args': args},
        }
    ).encode()
    status, _headers, data = server.request(
        'POST', '/jsonrpc', body, dict({'Content-Type': 'application/json'}, **headers)
    )
    assert status == 200
    return json.loads(data)


def test_client_address_comes_from_x_forwarded_for_only_in_proxy_mode(server):
    mode, running = server
    forwarded = {'X-Forwarded-For': '198.51.100.9, %s' % CLIENT}  # the proxy appended CLIENT
    reply = _jsonrpc(running, 'db', 'drop', ['not-the-master-password', 'nothing'], forwarded)
    assert 'error' in reply
    log = running.log()
    refused = [line for line in log.splitlines() if 'wrong master password from' in line]
    access = [line for line in log.splitlines() if 'db.drop denied' in line]
    assert len(refused) == 1 and len(access) == 1, log
    if mode == 'proxy':
        assert refused[0].endswith('from ' + CLIENT) and (' %s ' % CLIENT) in access[0]
    else:
        assert refused[0].endswith('from 127.0.0.1') and ' 127.0.0.1 ' in access[0]
        assert '198.51.100.9' not in log and CLIENT not in log


def test_db_filter_matches_the_forwarded_host_only_in_proxy_mode(server, database):
    mode, running = server
    mine, other = '%s.example.com' % database, 'other.example.com'
    via_proxy = {'Host': other, 'X-Forwarded-Host': mine, 'X-Forwarded-For': CLIENT}
    assert _jsonrpc(running, 'db', 'list', [], via_proxy)['result'] == ([database] if mode == 'proxy' else [])
    forged = {'Host': mine, 'X-Forwarded-Host': other}
    assert _jsonrpc(running, 'db', 'list', [], forged)['result'] == ([] if mode == 'proxy' else [database])
    assert _jsonrpc(running, 'db', 'list', [], {})['result'] == []


def test_session_cookie_is_secure_when_the_proxy_says_https_only_in_proxy_mode(server):
    mode, running = server
    status, headers, _body = running.request(
        'POST',
        '/web/session/destroy',
        b'{"jsonrpc": "2.0", "params": {}}',
        {'Content-Type': 'application/json', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': PROXY},
    )
    assert status == 200
    cookie = headers['Set-Cookie']
    assert cookie.startswith('session_id=')
    assert cookie.endswith('; Secure') == (mode == 'proxy')
