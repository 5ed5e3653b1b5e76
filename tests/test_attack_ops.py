"""An attacker's pass on the operator's surfaces: ``/web/status``, ``/web/health``, the access log
and the "does not exist" answers, against real servers over real HTTP."""

import base64
import html
import json
import re

import pytest

from openerp_lite.http import access_log
from tests.support import pg as pgsupport
from tests.support.server import JsonRpcError, prepare_databases, start_server

FORGED = '2031-01-01 00:00:00,000 1 INFO openerp_lite.http.access: 10.9.9.9 prod 1 res.users.write ok 1.0ms'


@pytest.fixture(scope='module')
def databases(pg):
    """Two openerp-lite databases (the first served, the second hidden by the filter) and a plain
    PostgreSQL database."""
    served, hidden, plain = (pgsupport.new_db_name(prefix) for prefix in ('oelops', 'oelopshid', 'oelopspg'))
    try:
        prepare_databases(pg, [served, hidden], ['base'])
        pgsupport.create_database(pg, plain)
        yield served, hidden, plain
    finally:
        for name in (served, hidden, plain):
            pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module')
def filtered(pg, databases):
    server = start_server(pg, ['--db-filter', '^%s$' % databases[0], '--proxy-mode'])
    yield server
    server.stop()


def _basic(password):
    return 'Basic ' + base64.b64encode(('x:%s' % password).encode()).decode()


def _status(server, headers):
    return server.request('GET', '/web/status', headers=headers)[0]


# -- the access log and the server log -------------------------------------------------------------


def _log_lines(server):
    with open(server.log_path, encoding='utf-8') as handle:
        return handle.read().splitlines()


def test_a_line_break_in_a_method_name_forges_no_log_line(filtered, databases):
    """A client's method, service, model or database name carrying a line break (or a terminal
    escape) stays on the server's own line, escaped: nobody reading the log sees a made-up call."""
    served = databases[0]
    for call in (
        ('common', 'x\n' + FORGED),
        ('object', 'execute_kw', served + '\n' + FORGED, 2, 'admin', 'res.users', 'read', [[2]]),
        ('object', 'execute_kw', served, 2, 'admin', 'res.users\r\n' + FORGED, 'read\x1b[2K', [[2]]),
    ):
        with pytest.raises(JsonRpcError):
            filtered.jsonrpc(*call)
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'service': 'db\n' + FORGED, 'method': 'list'},
        }
    )
    filtered.request('POST', '/jsonrpc', body.encode(), {'Content-Type': 'application/json'})
    xml = "<?xml version='1.0'?><methodCall><methodName>version\n%s</methodName></methodCall>" % FORGED
    filtered.request('POST', '/xmlrpc/2/common', xml.encode(), {'Content-Type': 'text/xml'})
    lines = _log_lines(filtered)
    assert not [line for line in lines if line.startswith(FORGED[:10])], lines[-20:]
    assert not [line for line in lines if '\x1b' in line]
    access = [access_log.parse(line) for line in lines if 'openerp_lite.http.access:' in line]
    assert all(fields is not None for fields in access)
    assert not [fields for fields in access if fields['address'] == '10.9.9.9']


# -- /web/status: who may see it -------------------------------------------------------------------


@pytest.mark.parametrize(
    'headers',
    [
        {'Forwarded': 'For = 203.0.113.9'},
        {'Forwarded': 'for="203.0.113.9:4711"'},
        {'Host': 'localhost:80@rebound.example'},
        {'Host': 'localhost.rebound.example'},
        {'Host': '127.0.0.1.nip.io'},
        {'Host': 'localhost.'},
        {'Host': '[::1]x'},
        {'X-Forwarded-For': '127.0.0.1:8069'},
        {'X-Forwarded-For': '127.0.0.1%lo'},
        {'X-Forwarded-Host': 'localhost:8069, rebound.example'},
    ],
    ids=[
        'forwarded-spaced',
        'forwarded-port',
        'host-userinfo',
        'host-suffix',
        'nip-io',
        'trailing-dot',
        'host-junk',
        'xff-port',
        'xff-zone',
        'xfh-two',
    ],
)
def test_header_tricks_do_not_make_a_remote_client_local(filtered, headers):
    assert _status(filtered, headers) == 401


@pytest.mark.parametrize(
    'headers', [{'Host': 'LOCALHOST:8069'}, {'Host': '[::1]:8069'}, {'X-Forwarded-For': '::1'}], ids=str
)
def test_a_local_client_stays_local_whatever_the_spelling(filtered, headers):
    assert _status(filtered, headers) == 200


def test_guessing_the_status_password_meets_the_master_password_back_off(filtered):
    remote = {'X-Forwarded-For': '198.51.100.77'}
    answers = [_status(filtered, dict(remote, Authorization=_basic('guess-%d' % i))) for i in range(6)]
    assert answers == [401] * 6
    # refused without being checked now, the right password included
    assert _status(filtered, dict(remote, Authorization=_basic(filtered.admin_passwd))) == 401
    log = '\n'.join(_log_lines(filtered))
    assert 'refused without checking' in log and '198.51.100.77' in log
    # another address is not locked out
    other = {'X-Forwarded-For': '198.51.100.78', 'Authorization': _basic(filtered.admin_passwd)}
    assert _status(filtered, other) == 200


def test_a_job_name_is_shown_as_text_on_the_status_page(filtered, databases):
    served = databases[0]
    uid = filtered.jsonrpc('common', 'login', served, 'admin', 'admin')
    job = filtered.jsonrpc('object', 'execute_kw', served, uid, 'admin', 'ir.cron', 'search', [[]])[0]
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    filtered.jsonrpc(
        'object', 'execute_kw', served, uid, 'admin', 'ir.cron', 'write', [[job], {'name': evil}]
    )
    status, headers, body = filtered.request('GET', '/web/status')
    assert status == 200 and b'<script>' not in body and b'<img' not in body
    assert html.escape(evil).encode() in body
    assert "default-src 'none'" in headers['Content-Security-Policy']


# -- /web/health and the "does not exist" answers name no hidden database ------------------------


def _health(server, host=None):
    status, _headers, body = server.request('GET', '/web/health', headers={'Host': host} if host else {})
    assert status == 200
    return body.decode()


def test_health_names_no_database_without_the_database_list(pg, databases):
    served = databases[0]
    server = start_server(pg, ['--db-filter', '^%s$' % served, '--no-database-list'])
    try:
        assert server.jsonrpc('common', 'login', served, 'admin', 'admin')
        report = _health(server)
        assert served not in report, report
        assert json.loads(report)['process']['pool']['open'] >= 1  # the figures are still there
    finally:
        server.stop()


def test_health_names_only_the_databases_the_host_may_see(pg, databases):
    served, hidden, _plain = databases
    server = start_server(pg, ['--db-filter', '^%d$'])
    try:
        with pytest.raises(JsonRpcError):
            server.jsonrpc('common', 'login', hidden, 'admin', 'admin')  # no Host: nothing served
        status, _h, body = server.request(
            'POST',
            '/jsonrpc',
            json.dumps(
                {
                    'jsonrpc': '2.0',
                    'method': 'call',
                    'id': 1,
                    'params': {'service': 'common', 'method': 'login', 'args': [served, 'admin', 'admin']},
                }
            ).encode(),
            {'Content-Type': 'application/json', 'Host': '%s.example.com' % served},
        )
        assert status == 200 and json.loads(body)['result']
        assert served in _health(server, '%s.example.com' % served)
        assert served not in _health(server, '%s.example.com' % hidden)
    finally:
        server.stop()


def _answers(server, name):
    """What an anonymous client learns of ``name`` through every door naming a database."""
    seen = []
    for call in (
        ('common', 'login', name, 'admin', 'admin'),
        ('common', 'authenticate', name, 'admin', 'admin', {}),
        ('object', 'execute_kw', name, 2, 'admin', 'res.users', 'read', [[2]]),
        ('db', 'exist', name),
    ):
        try:
            seen.append(('result', server.jsonrpc(*call)))
        except JsonRpcError as error:
            seen.append(('error', error.code, error.error['data']['name'], error.error['data']['message']))
    reply = server.request(
        'POST',
        '/web/session/authenticate',
        json.dumps(
            {'jsonrpc': '2.0', 'id': 1, 'params': {'db': name, 'login': 'a', 'password': 'b'}}
        ).encode(),
        {'Content-Type': 'application/json'},
    )
    decoded = json.loads(reply[2])
    seen.append(
        (reply[0], decoded.get('result'), (decoded.get('error') or {}).get('data', {}).get('message'))
    )
    logo = server.request('GET', '/web/binary/company_logo?dbname=%s' % name)
    seen.append((logo[0], logo[1]['Content-Type'], logo[2].hex()))
    return json.loads(json.dumps(seen).replace(name, 'NAME'))


@pytest.mark.parametrize('extra', [[], ['--no-database-list']], ids=['list', 'no-list'])
def test_a_hidden_database_answers_like_one_that_does_not_exist(pg, databases, extra):
    served, hidden, plain = databases
    server = start_server(pg, ['--db-filter', '^%s$' % served] + extra)
    try:
        nowhere = 'oelopsnone_%s' % hidden.rsplit('_', 1)[-1]
        reference = _answers(server, nowhere)
        assert _answers(server, hidden) == reference
        assert _answers(server, plain) == reference
        if extra:
            assert not re.search('does not exist', json.dumps(reference)), reference
    finally:
        server.stop()
