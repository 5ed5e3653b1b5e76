"""Malformed requests get a clear protocol error, fast, and the server keeps serving."""

import socket
import time
import xmlrpc.client

import pytest

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>&lol9;</methodName><params/></methodCall>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE call [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>version</methodName>
<params><param><value><string>&secret;</string></value></param></params></methodCall>"""

UTF16_DTD = (
    '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
    '<methodCall><methodName>version</methodName></methodCall>'
).encode('utf-16')


@pytest.fixture(autouse=True)
def still_serving(server):
    """After each bad request the same server still answers version()."""
    yield
    assert server.alive()
    assert server.xmlrpc('common').version()['protocol_version'] == 1


def _fault(server, path, body):
    started = time.monotonic()
    status, headers, data = server.request('POST', path, body, {'Content-Type': 'text/xml'})
    elapsed = time.monotonic() - started
    assert status == 200
    assert headers['Content-Type'].startswith('text/xml')
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(data)
    return info.value, data, elapsed


@pytest.mark.parametrize(
    'body, expected',
    [
        (b'this is not xml', 'not well-formed'),
        (b'', 'Empty request body'),
        (b'<?xml version="1.0"?><methodResponse><params/></methodResponse>', 'not a methodCall'),
        (b'<html><body>hi</body></html>', 'not a methodCall'),
        (
            b'<methodCall><methodName>version</methodName><params><param><value><int>x</int>'
            b'</value></param></params></methodCall>',
            'Malformed XML-RPC value',
        ),
    ],
)
def test_malformed_xmlrpc_is_a_fault(server, body, expected):
    for path in ('/xmlrpc/2/common', '/xmlrpc/common'):
        fault, _data, _elapsed = _fault(server, path, body)
        assert expected in fault.faultString


@pytest.mark.parametrize('body', [BILLION_LAUGHS, EXTERNAL_ENTITY, UTF16_DTD])
def test_entity_declarations_are_refused_quickly(server, body):
    fault, data, elapsed = _fault(server, '/xmlrpc/2/common', body)
    assert fault.faultCode == 1
    assert 'entity declarations are not accepted' in fault.faultString
    assert b'root:' not in data
    assert elapsed < 2


def test_wrong_argument_count_over_xmlrpc(server):
    with pytest.raises(xmlrpc.client.Fault) as info:
        server.xmlrpc('common').version('unexpected')
    assert 'Invalid parameters for common.version' in info.value.faultString


@pytest.mark.parametrize('route', ['2', ''])
def test_unknown_service_and_method_over_xmlrpc(server, route):
    with pytest.raises(xmlrpc.client.Fault) as info:
        server.xmlrpc('nosuchservice', route).version()
    assert 'Unknown service' in str(info.value)
    with pytest.raises(xmlrpc.client.Fault) as info:
        server.xmlrpc('db', route).no_such_method()
    assert 'Method not found: db.no_such_method' in str(info.value)


def _jsonrpc_error(server, payload):
    reply = server.jsonrpc_raw(payload)
    assert 'result' not in reply
    error = reply['error']
    assert error['data']['message']  # odoorpc reads it unconditionally
    return reply, error


def _call(service, method, args, request_id=1):
    return {
        'jsonrpc': '2.0',
        'method': 'call',
        'id': request_id,
        'params': {'service': service, 'method': method, 'args': args},
    }


@pytest.mark.parametrize(
    'payload, code',
    [
        (b'{"jsonrpc": "2.0", "method": ', -32700),
        (b'\xff\xfe not utf-8', -32700),
        (b'[1, 2, 3]', -32600),
        ({'jsonrpc': '2.0', 'method': 'call', 'id': 4}, -32600),
        ({'jsonrpc': '2.0', 'method': 'call', 'id': 4, 'params': [1]}, -32600),
        ({'jsonrpc': '2.0', 'method': 'call', 'id': 4, 'params': {'method': 'version', 'args': []}}, -32600),
        (_call('common', 'version', 'not a list'), -32602),
        (_call('common', 'version', ['unexpected']), -32602),
        (_call('db', 'exist', []), -32602),
        (_call('nosuchservice', 'version', []), -32601),
        (_call('common', 'no_such_method', []), -32601),
        (_call('common', '_private', []), -32601),
    ],
)
def test_malformed_jsonrpc_gets_jsonrpc_codes(server, payload, code):
    _reply, error = _jsonrpc_error(server, payload)
    assert error['code'] == code


def test_jsonrpc_envelope_error_echoes_a_known_id(server):
    reply, _error = _jsonrpc_error(
        server, {'jsonrpc': '2.0', 'method': 'call', 'id': 'xyz', 'params': {'service': 'common', 'args': []}}
    )
    assert reply['id'] == 'xyz'


def test_wrong_argument_type_is_invalid_params(server):
    _reply, error = _jsonrpc_error(
        server, _call('db', 'create_database', [server.admin_passwd, 12345, False, 'en_US'])
    )
    assert error['code'] == -32602
    assert 'Database name must be a string' in error['data']['message']


def test_declared_body_over_the_limit_is_413(start_server):
    small = start_server(['--max-request-size', '1000'])
    status, _headers, _body = small.request(
        'POST', '/xmlrpc/2/common', b'x' * 5000, {'Content-Type': 'text/xml'}
    )
    assert status == 413
    status, _headers, _body = small.request(
        'POST', '/jsonrpc', b' ' * 1001, {'Content-Type': 'application/json'}
    )
    assert status == 413
    assert small.xmlrpc('common').version()['protocol_version'] == 1


def test_chunked_body_over_the_limit_is_413(start_server):
    small = start_server(['--max-request-size', '1000'])
    chunk = b'x' * 800
    with socket.create_connection(('127.0.0.1', small.port), timeout=10) as sock:
        sock.sendall(
            b'POST /xmlrpc/2/common HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            b'Content-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n'
        )
        for _ in range(3):
            sock.sendall(b'%x\r\n%s\r\n' % (len(chunk), chunk))
        sock.sendall(b'0\r\n\r\n')
        reply = b''
        while b'\r\n' not in reply:
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    assert reply.startswith(b'HTTP/1.1 413') or reply.startswith(b'HTTP/1.0 413'), reply
    assert small.xmlrpc('common').version()['protocol_version'] == 1
