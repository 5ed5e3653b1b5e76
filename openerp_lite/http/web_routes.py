"""The web-session JSON routes the client libraries use (``/web/session/*``, ``/web/dataset/call_kw``).

OdooRPC asks ``/web/webclient/version_info`` on connect and logs in through
``/web/session/authenticate`` below series 10; odooly's default (web) mode uses nothing else. Each
route is a thin wrapper over the same services as ``/jsonrpc`` (``common``, ``db``, ``object``),
with Odoo's JSON-RPC envelope ``{"jsonrpc", "method": "call", "params": {...}, "id"}`` and the same
error table. The session itself lives in PostgreSQL (:mod:`openerp_lite.service.session`).

Sans-I/O: :func:`handle` takes the path, the body and a few request facts and returns
``(status, headers, body)``, so it is testable without a socket; ``wsgi`` does the I/O.
"""

import logging
import time
from http.cookies import CookieError, SimpleCookie

from .. import service
from ..exceptions import ProtocolError, SessionExpired
from . import access_log, body_limits, jsonrpc
from .errors import log_refusal

_logger = logging.getLogger(__name__)

COOKIE = 'session_id'
CALL_KW = '/web/dataset/call_kw'


class Request:
    """What a route needs from the HTTP request: the decoded params, the session id, the caller."""

    __slots__ = ('params', 'sid', 'info', 'secure')

    def __init__(self, params, sid, info, secure):
        self.params, self.sid, self.info, self.secure = params, sid, info, secure


def is_web_route(path):
    """True for the paths this module serves."""
    return path in ROUTES or path.startswith(CALL_KW + '/')


def session_id_of(cookie_header, session_header=None):
    """The session id sent by the client: the ``session_id`` cookie, else the OpenERP 7
    ``X-Openerp-Session-Id`` header."""
    if cookie_header:
        try:
            cookie = SimpleCookie(cookie_header)
        except CookieError:
            cookie = {}
        if COOKIE in cookie and cookie[COOKIE].value:
            return cookie[COOKIE].value
    return session_header or None


def _cookie(sid, options, secure):
    if sid is None:  # expire it on the client
        value = '%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax' % COOKIE
    else:
        value = '%s=%s; Path=/; HttpOnly; SameSite=Lax' % (COOKIE, sid)
        timeout = options.session_timeout
        if timeout:
            value += '; Max-Age=%d' % timeout
    if secure:
        value += '; Secure'
    return ('Set-Cookie', value)


# -- the routes: each takes a Request, returns (result, extra headers) ----------------------------


def _serie(info):
    from ..service.common import serie_of

    return serie_of(info.options)


def version_info(request):
    return service.dispatch('common', 'version', [], request.info), ()


def database_list(request):
    return service.dispatch('db', 'list', [], request.info), ()


def _session_info(info, db, uid, login, context, sid, user):
    version = service.dispatch('common', 'version', [], info)
    return {
        'uid': uid,
        'db': db,
        'username': login,
        'login': login,
        'name': user.get('name', login) if user else login,
        'partner_id': user.get('partner_id') if user else False,
        'company_id': user.get('company_id') if user else False,
        'user_context': context,
        'session_id': sid,
        'server_version': version['server_version'],
        'server_version_info': version['server_version_info'],
    }


def authenticate(request):
    """``{db, login, password}`` → session info with ``uid``, or ``uid: false`` (never an error)."""
    params, info = request.params, request.info
    db, login, password = params.get('db'), params.get('login'), params.get('password')
    uid = service.dispatch('common', 'login', [db, login, password], info)
    if not uid:
        return {
            'uid': False,
            'db': db,
            'username': login,
            'user_context': {},
            'session_id': False,
            'server_version': _serie(info),
        }, ()
    context = service.dispatch(
        'object', 'execute_kw', [db, uid, password, 'res.users', 'context_get', []], info
    )
    from ..service import security, session

    if request.sid:
        session.destroy(info, request.sid)  # a login never keeps a session id the client came with
    sid = session.create(db, uid, login, context, info.options.session_timeout)
    result = _session_info(info, db, uid, login, context, sid, security.user_summary(db, uid))
    return result, (_cookie(sid, info.options, request.secure),)


def _checked_session(request):
    from ..service import security

    if not request.sid:
        raise SessionExpired('No session: log in first.')
    return security.check_session(request.info, request.sid)


def get_session_info(request):
    current = _checked_session(request)
    from ..service import security

    return _session_info(
        request.info,
        current.db,
        current.uid,
        current.login,
        current.context,
        request.sid,
        security.user_summary(current.db, current.uid),
    ), ()


def destroy(request):
    """Log out: the session row is deleted, so every process refuses the id from now on."""
    from ..service import session

    if request.sid:
        session.destroy(request.info, request.sid)
    return None, (_cookie(None, request.info.options, request.secure),)


def call_kw(request, path_model=None, path_method=None):
    """``{model, method, args, kwargs}`` run as the session's user; the session's context is used
    when the call brings none."""
    params = request.params
    model = params.get('model') or path_model
    method = params.get('method') or path_method
    args = params.get('args') or []
    kwargs = params.get('kwargs') or {}
    if not isinstance(model, str) or not isinstance(method, str):
        raise ProtocolError('call_kw needs "model" and "method" strings', -32602)
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ProtocolError('call_kw: "args" must be a list and "kwargs" an object', -32602)
    current = _checked_session(request)
    if 'context' not in kwargs:
        kwargs = dict(kwargs, context=current.context)
    from ..service import object as object_service

    return object_service.execute_in_session(request.info, request.sid, model, method, args, kwargs), ()


ROUTES = {
    '/web/webclient/version_info': version_info,
    '/web/database/list': database_list,
    '/web/session/authenticate': authenticate,
    '/web/session/get_session_info': get_session_info,
    '/web/session/destroy': destroy,
    CALL_KW: call_kw,
}


# -- the envelope --------------------------------------------------------------------------------


def _decode(body, limits=None):
    """``(params, id)`` of a JSON-RPC ``call`` body; an empty body means ``{}`` params."""
    if not body.strip():
        return {}, None
    request = jsonrpc.loads(body, limits)
    if not isinstance(request, dict):
        raise ProtocolError('A JSON-RPC request must be an object.', -32600)
    params = request.get('params')
    if params is None:
        params = {}
    if not isinstance(params, dict):
        error = ProtocolError('JSON-RPC "params" must be an object.', -32602)
        error.request_id = request.get('id')
        raise error
    return params, request.get('id')


def handle(path, body, cookie_header, info, session_header=None, secure=False, remote_addr=None):
    """Serve one web route; returns ``(status, headers, body bytes)`` (always a JSON-RPC reply)."""
    started = time.perf_counter()
    request_id, target, outcome = None, path, 'ok'
    headers = [('Content-Type', jsonrpc.CONTENT_TYPE)]
    try:
        params, request_id = _decode(body, body_limits.Limits.of(info.options))
        sid = params.get('session_id') if isinstance(params.get('session_id'), str) else None
        request = Request(params, session_id_of(cookie_header, session_header) or sid, info, secure)
        if path.startswith(CALL_KW + '/'):
            parts = path[len(CALL_KW) + 1 :].split('/')
            target = '%s.%s' % (
                params.get('model') or parts[0],
                params.get('method') or (parts[1] if len(parts) > 1 else '?'),
            )
            result, extra = call_kw(request, parts[0] or None, parts[1] if len(parts) > 1 else None)
        else:
            result, extra = ROUTES[path](request)
            if path == '/web/session/authenticate' and not result.get('uid'):
                outcome = 'denied'
        headers.extend(extra)
        payload = jsonrpc.encode_result(request_id, result)
    except Exception as error:
        outcome = access_log.outcome(error)
        request_id = getattr(error, 'request_id', request_id)
        log_refusal(_logger, error, path)
        payload = jsonrpc.encode_error(request_id, error)
    access_log.write(remote_addr, '-', '-', target, outcome, started)
    return '200 OK', headers, payload
