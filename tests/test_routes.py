"""Every route of the declared table (``openerp_lite/http/routes.py``) answers a bad request with a
clear error in its own format: never an HTML page, never a bare 500."""

import json
import xmlrpc.client

import pytest

from openerp_lite.http import routes

CONTENT_TYPES = {
    'xmlrpc': 'text/xml',
    'jsonrpc': 'application/json',
    'json': 'application/json',
    'text': 'text/plain',
    'html': 'text/html',
    'image': 'image/',
}
POST_ROUTES = [route for route in routes.ROUTES if route.methods == routes.POST]
GET_ROUTES = [route for route in routes.ROUTES if route.methods == routes.GET]


def test_every_route_is_in_one_of_the_two_lists():
    assert len(POST_ROUTES) + len(GET_ROUTES) == len(routes.ROUTES)
    for route in routes.ROUTES:
        assert routes.find(route.example)[0] is route, route


@pytest.mark.parametrize('route', routes.ROUTES, ids=lambda route: route.name)
def test_a_method_the_route_does_not_take_gets_405_naming_the_right_one(server, route):
    status, headers, body = server.request('PUT', route.example, b'x')
    assert status == 405
    assert headers['Content-Type'].startswith('text/plain')
    assert set(headers['Allow'].split(', ')) == set(route.methods)
    assert route.methods[0] in body.decode()


def _is_clear_error(route, headers, body):
    content_type = headers.get('Content-Type', '')
    assert content_type.startswith(CONTENT_TYPES[route.reply]), (route, content_type, body[:200])
    assert b'<html' not in body.lower() and b'traceback' not in body.lower()
    if route.reply == 'xmlrpc':
        with pytest.raises(xmlrpc.client.Fault) as info:
            xmlrpc.client.loads(body)
        return str(info.value)
    payload = json.loads(body)
    error = payload['error']
    return json.dumps(error)


@pytest.mark.parametrize('route', POST_ROUTES, ids=lambda route: route.name)
@pytest.mark.parametrize(
    'body, content_type',
    [
        (b'\x00\xff not a request {', 'application/octet-stream'),
        (b'{"jsonrpc": "2.0", "method": "call", "params": [1, 2', 'application/json'),
        (b'<?xml version="1.0"?><methodCall><methodName>x</methodName><params><param>', 'text/xml'),
        (b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n', 'multipart/form-data; boundary=b'),
    ],
    ids=['binary', 'broken-json', 'broken-xml', 'broken-form'],
)
def test_a_malformed_body_gets_the_routes_own_error(server, route, body, content_type):
    status, headers, data = server.request('POST', route.example, body, {'Content-Type': content_type})
    assert status in (200, 400), (status, data[:300])
    message = _is_clear_error(route, headers, data)
    assert len(message) > 20


@pytest.mark.parametrize('route', POST_ROUTES, ids=lambda route: route.name)
def test_an_oversized_body_is_refused_unread_in_the_routes_format(server, route):
    headers = {'Content-Type': 'application/json', 'Content-Length': str(10**12)}
    status, headers, data = server.request('POST', route.example, b'', headers)
    assert status == 413
    assert 'max-request-size' in _is_clear_error(route, headers, data)


@pytest.mark.parametrize('route', GET_ROUTES, ids=lambda route: route.name)
def test_a_get_route_with_a_junk_query_still_answers_in_its_format(server, route):
    status, headers, data = server.request('GET', route.example + '?%ff%00=<script>&dbname=%00')
    assert status == 200, (status, data[:300])
    assert headers['Content-Type'].startswith(CONTENT_TYPES[route.reply])
    assert data


def test_the_path_index_agrees_with_the_order_of_the_table():
    # find() looks exact paths up first: no route listed before one may serve its paths
    for route in routes.ROUTES:
        for path in getattr(route.match, 'paths', ()):
            first = next(r for r in routes.ROUTES if r.match(path) is not None)
            assert first is route and routes.find(path)[0] is route, path


def test_an_unknown_path_is_a_plain_404():
    # no server needed: the table says it
    assert routes.find('/web/nothing') == (None, None)
    assert routes.find('/xmlrpc/2/a/b') == (None, None)
    assert routes.find('/xmlrpc/2/') == (None, None)
