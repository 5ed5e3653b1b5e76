"""Helpers for the ORM tests: a server with the test addons, databases with ``test_orm``
installed, and one client interface over the three RPC routes.

``RpcClient(server, route, db, uid, password).call(model, method, *args, **kwargs)`` sends the
call as ``/xmlrpc/2`` ``execute_kw`` (route ``'xmlrpc2'``), JSON-RPC ``execute_kw`` (route
``'jsonrpc'``) or legacy ``/xmlrpc/object`` ``execute`` (route ``'legacy'``), where the keyword
arguments are laid out positionally in the OpenERP 7 order, context included. Every failure
becomes :class:`RpcFault` with a route-independent ``category``.
"""

import json
import os
import xmlrpc.client

from tests.support import pg as pgsupport
from tests.support.server import ROOT, JsonRpcError

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
ROUTES = ('xmlrpc2', 'jsonrpc', 'legacy')
#: the routes a call can take, the web session's ``call_kw`` included (see :class:`WebClient`)
ALL_ROUTES = ROUTES + ('web',)

#: OpenERP 7 positional order of the ORM methods (after the ids for record methods)
LEGACY_ORDER = {
    'create': ('vals_list', 'context'),
    'read': ('fields', 'context', 'load'),
    'write': ('vals', 'context'),
    'unlink': ('context',),
    'search': ('domain', 'offset', 'limit', 'order', 'context', 'count'),
    'search_count': ('domain', 'context'),
    'search_read': ('domain', 'fields', 'offset', 'limit', 'order', 'context'),
    'read_group': ('domain', 'fields', 'groupby', 'offset', 'limit', 'context', 'orderby', 'lazy'),
    'name_get': ('context',),
    'name_search': ('name', 'args', 'operator', 'context', 'limit'),
    'name_create': ('name', 'context'),
    'fields_get': ('allfields', 'context', 'attributes'),
    'default_get': ('fields_list', 'context'),
    'copy': ('default', 'context'),
    'exists': ('context',),
    'check_access_rights': ('operation', 'raise_exception'),
}
LEGACY_DEFAULTS = {
    'offset': 0,
    'limit': None,
    'order': None,
    'context': {},
    'fields': None,
    'args': None,
    'operator': 'ilike',
    'allfields': None,
    'attributes': None,
    'load': '_classic_read',
    'count': False,
    'orderby': None,
    'lazy': True,
    'raise_exception': True,
    'domain': [],
    'default': None,
}
RECORD_METHODS = ('read', 'write', 'unlink', 'name_get', 'copy', 'exists')


class RpcFault(Exception):
    """A refused call. ``category``: ``access`` (AccessError), ``denied`` (bad credentials),
    ``warning`` (user error, validation, missing record) or ``error`` (server or protocol)."""

    def __init__(self, route, category, message, raw):
        super().__init__('%s fault on %s: %s' % (category, route, message))
        self.route, self.category, self.message, self.raw = route, category, message, raw


def _legacy_category(code):
    if code == 'AccessDenied':
        return 'denied'
    if code.startswith('warning -- AccessError'):
        return 'access'
    if code.startswith('warning -- '):
        return 'warning'
    return 'error'


class RpcClient:
    def __init__(self, server, route, db, uid, password):
        assert route in ROUTES, route
        self.server, self.route, self.db, self.uid, self.password = server, route, db, uid, password

    def as_user(self, uid, password):
        return RpcClient(self.server, self.route, self.db, uid, password)

    def call(self, model, method, *args, **kwargs):
        try:
            if self.route == 'legacy':
                return self._legacy(model, method, list(args), kwargs)
            if self.route == 'xmlrpc2':
                return self.server.xmlrpc('object').execute_kw(
                    self.db, self.uid, self.password, model, method, list(args), kwargs
                )
            return self.server.jsonrpc(
                'object', 'execute_kw', self.db, self.uid, self.password, model, method, list(args), kwargs
            )
        except xmlrpc.client.Fault as fault:
            if self.route == 'legacy':
                code = str(fault.faultCode)
                category = _legacy_category(code)
                message = code.split('\n\n', 1)[-1] if code.startswith('warning -- ') else code
            else:
                category = {2: 'warning', 3: 'denied', 4: 'access'}.get(fault.faultCode, 'error')
                message = fault.faultString
            raise RpcFault(self.route, category, message, fault) from None
        except JsonRpcError as error:
            raise _json_fault(self.route, error.error) from None

    def _legacy(self, model, method, args, kwargs):
        kwargs = dict(kwargs)
        if method in LEGACY_ORDER:
            order = LEGACY_ORDER[method]
            unknown = set(kwargs) - set(order)
            assert not unknown, 'no OpenERP 7 position for %s' % unknown
            filled = len(args) - (1 if method in RECORD_METHODS else 0)
            positions = order[filled:]
            present = [name for name in positions if name in kwargs]
            if present:
                last = positions.index(present[-1])
                for name in positions[: last + 1]:
                    args.append(kwargs.pop(name) if name in kwargs else LEGACY_DEFAULTS[name])
        elif 'context' in kwargs:
            args.append(kwargs.pop('context'))
        assert not kwargs, kwargs
        return self.server.xmlrpc('object', route='').execute(
            self.db, self.uid, self.password, model, method, *args
        )


def _json_fault(route, reply_error):
    data = reply_error.get('data') or {}
    kind = data.get('exception_type')
    category = {
        'access_error': 'access',
        'access_denied': 'denied',
        'session_expired': 'denied',
        'user_error': 'warning',
        'validation_error': 'warning',
        'missing_error': 'warning',
    }.get(kind, 'error')
    return RpcFault(route, category, data.get('message') or reply_error.get('message'), reply_error)


class WebClient:
    """The ``RpcClient`` interface over the web session routes: ``/web/session/authenticate`` once
    (with ``login``), then ``/web/dataset/call_kw`` with the session cookie. A failed login makes
    every call a ``denied`` fault, as the server answers for an unknown session."""

    route = 'web'

    def __init__(self, server, db, login, password):
        self.server, self.db, self.login, self.password = server, db, login, password
        self.cookie = None

    def _post(self, path, params, cookie=None):
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': params}).encode()
        headers = {'Content-Type': 'application/json'}
        if cookie:
            headers['Cookie'] = cookie
        _status, reply_headers, data = self.server.request('POST', path, body, headers)
        return reply_headers, json.loads(data)

    def session(self):
        if self.cookie is None:
            headers, reply = self._post(
                '/web/session/authenticate', {'db': self.db, 'login': self.login, 'password': self.password}
            )
            cookie = headers.get('Set-Cookie', '')
            self.cookie = cookie.split(';')[0] if reply.get('result', {}).get('uid') else ''
        return self.cookie

    def call(self, model, method, *args, **kwargs):
        _headers, reply = self._post(
            '/web/dataset/call_kw',
            {'model': model, 'method': method, 'args': list(args), 'kwargs': kwargs},
            self.session() or 'session_id=none',
        )
        if 'error' in reply:
            raise _json_fault(self.route, reply['error'])
        return reply['result']


def client_for(server, route, db, uid, login, password):
    """A client of ``route`` (one of :data:`ALL_ROUTES`) as the user ``uid``/``login``."""
    if route == 'web':
        return WebClient(server, db, login, password)
    return RpcClient(server, route, db, uid, password)


def create_orm_db(server, demo=True, name=None):
    """A new database with base (and demo data) and ``test_orm`` installed; returns its name."""
    name = name or pgsupport.new_db_name('oelorm')
    server.xmlrpc('db').create_database(server.admin_passwd, name, demo, 'en_US', 'admin')
    admin = RpcClient(server, 'xmlrpc2', name, 1, 'admin')
    admin.call('ir.module.module', 'update_list')
    ids = admin.call('ir.module.module', 'search', [('name', '=', 'test_orm')])
    assert ids, 'test_orm is not on the addons path of the server'
    admin.call('ir.module.module', 'button_immediate_install', ids)
    return name


def drop_db(server, name):
    try:
        server.xmlrpc('db').drop(server.admin_passwd, name)
    except xmlrpc.client.Fault:
        pass
    pgsupport.drop_database(pgsupport.params(), name)


def make_user(admin, login, group_xmlids, password=None):
    """Create user ``login`` (password = login unless given) in exactly these groups; its uid."""
    group_ids = []
    for xmlid in group_xmlids:
        module, name = xmlid.split('.')
        group_ids.append(admin.call('ir.model.data', 'get_object_reference', module, name)[1])
    return admin.call(
        'res.users',
        'create',
        {
            'name': login.title(),
            'login': login,
            'password': password or login,
            'groups_id': [(6, 0, group_ids)],
        },
    )
