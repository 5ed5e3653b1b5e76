"""Request bodies and reply checks for the two RPC protocols, shared by both load generators.

Bodies are built once, before a cell starts, so encoding costs the load generator nothing while it
is measured; a reply is judged by a byte marker (an XML-RPC ``<fault>``, a JSON-RPC ``"error"``) so
that the C load generator's Lua script can apply exactly the same rule.
"""

import json
import xmlrpc.client

XMLRPC = 'xmlrpc'
JSONRPC = 'jsonrpc'
PROTOCOLS = (XMLRPC, JSONRPC)

CONTENT_TYPES = {XMLRPC: 'text/xml', JSONRPC: 'application/json'}
#: a reply containing this is an error even with HTTP status 200
ERROR_MARKERS = {XMLRPC: b'<fault>', JSONRPC: b'"error"'}


class Credentials:
    """Who the load generator calls as: database, user id and password."""

    def __init__(self, db, uid, password):
        self.db, self.uid, self.password = db, uid, password


def encode(protocol, service, method, args, request_id=1):
    """``(path, body bytes)`` of one call of ``service.method(*args)``."""
    if protocol == XMLRPC:
        return '/xmlrpc/2/%s' % service, xmlrpc.client.dumps(tuple(args), method, allow_none=True).encode(
            'utf-8'
        )
    if protocol == JSONRPC:
        return '/jsonrpc', json.dumps(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': request_id,
                'params': {'service': service, 'method': method, 'args': list(args)},
            }
        ).encode('utf-8')
    raise ValueError('unknown protocol %r' % protocol)


def execute_kw(protocol, creds, model, method, args, kwargs=None, request_id=1):
    """``(path, body)`` of an ``object.execute_kw`` call as ``creds``."""
    return encode(
        protocol,
        'object',
        'execute_kw',
        [creds.db, creds.uid, creds.password, model, method, args, kwargs or {}],
        request_id,
    )


def is_error(protocol, status, body):
    """True when a reply is not a successful result."""
    return status != 200 or ERROR_MARKERS[protocol] in body


def decode(protocol, body):
    """The result of a reply; raises ``RuntimeError`` with the message of a fault or error."""
    if protocol == XMLRPC:
        try:
            return xmlrpc.client.loads(body, use_builtin_types=True)[0][0]
        except xmlrpc.client.Fault as fault:
            raise RuntimeError(fault.faultString[:300])
    reply = json.loads(body)
    if 'error' in reply:
        error = reply['error']
        raise RuntimeError(str(error.get('data', {}).get('message') or error.get('message'))[:300])
    return reply['result']
