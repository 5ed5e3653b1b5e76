"""The WSGI callable: routing by path, bounded body reads, one access-log line per RPC call.

Plain WSGI rather than a framework: the hot path is one dict lookup on the path, one bounded read,
the codec and the dispatch. Errors always come back in the protocol of the route (a fault, a
JSON-RPC error object or a short text/JSON body), never as an HTML traceback.
"""

import json
import logging
import os
import time

from werkzeug import formparser
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import release, service
from ..exceptions import LimitExceeded, ProtocolError
from . import binary, body_limits, database_manager, jsonrpc, web_routes, xmlrpc
from .errors import MEMORY_LIMIT_MESSAGE, log_refusal

_logger = logging.getLogger(__name__)
_access = logging.getLogger('openerp_lite.http.access')

_state = {'options': None, 'server_kind': None}


def setup(options, server_kind=None):
    """Install the settings :func:`application` serves with (called once by each entry point,
    after ``bootstrap.settle`` handed the same settings to the layers below)."""
    _state['options'] = options
    _state['server_kind'] = server_kind


def _options():
    options = _state['options']
    if options is None:
        # Started by a foreign server (``gunicorn openerp_lite.http:application``) without main():
        # settle from the environment on the first request, never at import time.
        from .. import bootstrap

        _state['options'] = options = bootstrap.from_environment()
        _state['server_kind'] = _state['server_kind'] or 'external'
    return options


# -- responses ---------------------------------------------------------------------------------


def _respond(start_response, status, content_type, body, extra=(), close=False):
    headers = [('Content-Type', content_type), ('Content-Length', str(len(body)))]
    headers.extend(extra)
    if close:
        # The request body was not read: keep-alive would parse it as the next request.
        headers.append(('Connection', 'close'))
    start_response(status, headers)
    return [body]


def _text(start_response, status, text, extra=(), close=False):
    return _respond(start_response, status, 'text/plain; charset=utf-8', text.encode('utf-8'), extra, close)


def _json(start_response, status, payload, close=False):
    return _respond(
        start_response, status, 'application/json', json.dumps(payload).encode('utf-8'), close=close
    )


class _BodyTooLarge(Exception):
    pass


class _BodyNotReceived(Exception):
    """The client stopped sending its body (the server's read deadline, or a reset)."""


def _read(stream, size):
    try:
        return stream.read(size)
    except OSError as error:  # the read deadline of the server, a reset connection
        raise _BodyNotReceived(str(error)) from None


def _read_body(environ, limit):
    """The request body, at most ``limit`` bytes; raises _BodyTooLarge without reading more."""
    length = environ.get('CONTENT_LENGTH')
    stream = environ['wsgi.input']
    if length:
        try:
            length = int(length)
        except ValueError:
            raise ProtocolError('Invalid Content-Length header.', -32600)
        if length < 0:
            raise ProtocolError('Invalid Content-Length header.', -32600)
        if length > limit:
            raise _BodyTooLarge()
        return _read(stream, length) if length else b''
    if environ.get('wsgi.input_terminated') or 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
        chunks, total = [], 0
        while True:  # bounded: stops at end of stream or past the limit
            chunk = _read(stream, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _BodyTooLarge()
        return b''.join(chunks)
    return b''


# -- RPC ---------------------------------------------------------------------------------------


def _call_info(environ, options):
    return service.CallInfo(options, environ.get('REMOTE_ADDR'), environ.get('HTTP_HOST'))


def _log_call(environ, service_name, method, params, status, started, result=None):
    if not _access.isEnabledFor(logging.INFO):
        return
    db, uid, target = '-', '-', '%s.%s' % (service_name, method)
    try:
        if service_name == 'object' and len(params) >= 5:
            db, uid = params[0], params[1]
            target = '%s.%s' % (params[3], params[4] if method != 'exec_workflow' else method)
        elif service_name == 'common' and method in ('login', 'authenticate') and params:
            db = params[0]
            if isinstance(result, int) and not isinstance(result, bool):
                uid = result
        elif service_name == 'db' and len(params) >= 2 and method not in ('change_admin_password',):
            db = params[1]
        elif service_name == 'db' and method in ('exist', 'db_exist') and params:
            db = params[0]
    except (TypeError, IndexError, KeyError):
        pass
    _access.info(
        '%s %s %s %s %s %.1fms',
        environ.get('REMOTE_ADDR', '-'),
        db,
        uid,
        target,
        status,
        (time.perf_counter() - started) * 1000.0,
    )


def _dispatch(environ, options, service_name, method, params):
    """Run one call; returns ``(result, error)`` and writes the access line."""
    started = time.perf_counter()
    try:
        result = service.dispatch(service_name, method, params, _call_info(environ, options))
    except Exception as error:
        _log_call(environ, service_name, method, params, 'error', started)
        log_refusal(_logger, error, '%s.%s' % (service_name, method))
        return None, error
    _log_call(environ, service_name, method, params, 'ok', started, result)
    return result, None


def _memory_refusal(environ, where):
    """The error reported when ``--limit-memory-hard`` strikes while a request is read or
    decoded: the documented fault, never a bare 500."""
    _logger.warning(
        'memory limit exceeded while decoding a request to %s from %s', where, environ.get('REMOTE_ADDR', '-')
    )
    return LimitExceeded(MEMORY_LIMIT_MESSAGE)


def _xmlrpc(environ, start_response, options, service_name, legacy):
    try:
        body = _read_body(environ, options.max_request_size)
        method, params = xmlrpc.decode(body, body_limits.Limits.of(options))
    except _BodyTooLarge:
        return _unread(start_response, _too_large(options), legacy)
    except _BodyNotReceived as error:
        return _unread(start_response, _not_received(error), legacy)
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            body = None
            error = _memory_refusal(environ, service_name)
        _access.info('%s - - %s.? error (%s)', environ.get('REMOTE_ADDR', '-'), service_name, error)
        return _respond(start_response, '200 OK', xmlrpc.CONTENT_TYPE, xmlrpc.encode_fault(error, legacy))
    result, error = _dispatch(environ, options, service_name, method, params)
    if error is None:
        try:
            payload = xmlrpc.encode_result(result)
        except Exception as encode_error:  # a result no XML-RPC client could read
            _logger.error('cannot encode the result of %s.%s', service_name, method, exc_info=True)
            payload = xmlrpc.encode_fault(encode_error, legacy)
    else:
        payload = xmlrpc.encode_fault(error, legacy)
    return _respond(start_response, '200 OK', xmlrpc.CONTENT_TYPE, payload)


def _jsonrpc(environ, start_response, options):
    request_id = None
    try:
        body = _read_body(environ, options.max_request_size)
        call = jsonrpc.decode(body, body_limits.Limits.of(options))
    except _BodyTooLarge:
        return _unread(start_response, _too_large(options))
    except _BodyNotReceived as error:
        return _unread(start_response, _not_received(error))
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            body = None
            error = _memory_refusal(environ, '/jsonrpc')
        request_id = getattr(error, 'request_id', None)
        _access.info('%s - - jsonrpc error (%s)', environ.get('REMOTE_ADDR', '-'), error)
        return _respond(
            start_response, '200 OK', jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(request_id, error)
        )
    result, error = _dispatch(environ, options, call.service, call.method, call.args)
    if error is None:
        try:
            payload = jsonrpc.encode_result(call.id, result)
        except Exception as encode_error:
            _logger.error('cannot encode the result of %s.%s', call.service, call.method, exc_info=True)
            payload = jsonrpc.encode_error(call.id, encode_error)
    else:
        payload = jsonrpc.encode_error(call.id, error)
    return _respond(start_response, '200 OK', jsonrpc.CONTENT_TYPE, payload)


def _web(environ, start_response, options, path):
    """A web-session JSON route (:mod:`.web_routes`): read the body, hand it over, answer."""
    try:
        body = _read_body(environ, options.max_request_size)
    except _BodyTooLarge:
        return _unread(start_response, _too_large(options))
    except _BodyNotReceived as error:
        return _unread(start_response, _not_received(error))
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            error = _memory_refusal(environ, path)
        return _respond(start_response, '200 OK', jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(None, error))
    status, headers, payload = web_routes.handle(
        path,
        body,
        environ.get('HTTP_COOKIE'),
        _call_info(environ, options),
        environ.get('HTTP_X_OPENERP_SESSION_ID'),
        environ.get('wsgi.url_scheme') == 'https',
        environ.get('REMOTE_ADDR'),
    )
    return _respond(start_response, status, headers[0][1], payload, headers[1:])


def _database_form(environ, start_response, options, path):
    """A database manager form (:mod:`.database_manager`): decode the form (files included) under
    ``--max-request-size``, hand it over, answer."""
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        length = -1
    if length > options.max_request_size:
        return _unread(start_response, _too_large(options))
    try:
        _stream, form, files = formparser.parse_form_data(
            environ,
            max_content_length=options.max_request_size,
            max_form_memory_size=options.max_request_size,
            silent=False,
        )
        uploads = {name: upload.read() for name, upload in files.items()}
    except RequestEntityTooLarge:
        return _unread(start_response, _too_large(options))
    except OSError as error:
        return _unread(start_response, _not_received(error))
    except (ValueError, HTTPException) as error:
        return _respond(
            start_response,
            '400 Bad Request',
            jsonrpc.CONTENT_TYPE,
            jsonrpc.encode_error(None, ProtocolError('The form could not be decoded: %s' % error, -32600)),
            close=True,
        )
    status, headers, body = database_manager.handle(
        path, form.to_dict(), uploads, _call_info(environ, options)
    )
    return _respond(start_response, status, headers[0][1], body, headers[1:])


def _unread(start_response, refusal, legacy=None):
    """The reply to a body that was not read: its HTTP status, with the protocol's own error
    naming the reason: a JSON-RPC error object, or a fault for XML-RPC (``legacy`` True or
    False); the connection is closed."""
    status, error = refusal
    if legacy is None:
        return _respond(
            start_response, status, jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(None, error), close=True
        )
    return _respond(
        start_response, status, xmlrpc.CONTENT_TYPE, xmlrpc.encode_fault(error, legacy), close=True
    )


def _too_large(options):
    return '413 Request Entity Too Large', LimitExceeded(
        'Request body larger than %d bytes (--max-request-size): refused unread.' % options.max_request_size
    )


def _not_received(error):
    return '408 Request Timeout', LimitExceeded(
        'The request body was not received in time (--limit-time-read): %s' % error
    )


# -- operational routes ------------------------------------------------------------------------


def _health(environ, start_response, options):
    report = {
        'status': 'pass',
        'version': release.version,
        'server_serie': options.server_serie or release.DEFAULT_SERIE,
        'pid': os.getpid(),
        'server': _state['server_kind'] or 'unknown',
        'mode': options.mode,
    }
    report.update(_processes())
    replicas = _replicas()
    if replicas is not None:
        report['replicas'] = replicas
    return _json(start_response, '200 OK', report)


def _replicas():
    """The hot standbys' figures as this process sees them (``sql_replica.status``, measured now),
    or None without standbys; the health route answers whatever they do."""
    from .. import sql_replica

    if not sql_replica.configured():
        return None
    try:
        return sql_replica.status(probe=True)
    except Exception as error:  # the health route must still answer
        _logger.warning('standby figures unavailable: %s', error)
        return [{'state': 'unknown', 'reason': str(error)}]


def _processes():
    """``workers`` and ``cron`` (pid, RSS, requests, CPU seconds of each) from the process board
    of a prefork server; this process alone for a one-process server."""
    from .. import sql_db
    from ..tools import procboard

    try:
        board = procboard.current()
        if board is None:
            return {'process': dict(procboard.process_info(), pool=sql_db.stats())}
        entries = board.entries()
    except Exception:  # psutil missing or a platform without it: health must still answer
        _logger.debug('process statistics unavailable', exc_info=True)
        return {}
    return {
        'workers': [e for e in entries if e.get('role') == 'worker'],
        'cron': [e for e in entries if e.get('role') == 'cron'],
    }


def _company_logo(environ, start_response, options, head):
    """The image of ``binary.company_logo``; a HEAD request gets its headers only."""
    sid = web_routes.session_id_of(environ.get('HTTP_COOKIE'), environ.get('HTTP_X_OPENERP_SESSION_ID'))
    status, headers, body = binary.company_logo(
        environ.get('QUERY_STRING', ''), _call_info(environ, options), sid
    )
    start_response(status, headers)
    return [b''] if head else [body]


def _root(environ, start_response, options):
    return _text(
        start_response,
        '200 OK',
        'openerp-lite %s: XML-RPC on /xmlrpc/<service>, '
        '/xmlrpc/2/<service>; JSON-RPC on /jsonrpc.\n' % release.version,
    )


_XMLRPC_LEGACY_PREFIXES = ('/xmlrpc/', '/openerp/xmlrpc/1/')


def _route(path):
    """``(kind, service)`` for ``path``; kind is 'legacy', 'xmlrpc2', 'jsonrpc', 'health',
    'root', 'web', 'binary', 'database_form' or None."""
    if path == '/jsonrpc':
        return 'jsonrpc', None
    if path.startswith('/xmlrpc/2/'):
        name = path[len('/xmlrpc/2/') :]
        return ('xmlrpc2', name) if name and '/' not in name else (None, None)
    for prefix in _XMLRPC_LEGACY_PREFIXES:
        if path.startswith(prefix):
            name = path[len(prefix) :]
            return ('legacy', name) if name and '/' not in name else (None, None)
    if path in ('/web/health', '/web/health/'):
        return 'health', None
    if path == '/':
        return 'root', None
    if web_routes.is_web_route(path):
        return 'web', None
    if path == binary.PATH:
        return 'binary', None
    if database_manager.is_form_route(path):
        return 'database_form', None
    return None, None


def application(environ, start_response):
    """The WSGI entry point of openerp-lite (``gunicorn openerp_lite.http:application``).

    With ``--proxy-mode`` the client address, scheme and host come from the ``X-Forwarded-For``,
    ``-Proto`` and ``-Host`` headers set by the one reverse proxy in front (the last value of
    each, so a client cannot forge them through the proxy); without it those headers are
    ignored, since any client could send them.
    """
    options = _options()
    if options.proxy_mode:
        return _behind_proxy(environ, start_response)
    return _serve(environ, start_response, options)


def _serve_forwarded(environ, start_response):
    return _serve(environ, start_response, _state['options'])


_behind_proxy = ProxyFix(_serve_forwarded, x_for=1, x_proto=1, x_host=1)


def _serve(environ, start_response, options):
    path = environ.get('PATH_INFO') or '/'
    method = environ.get('REQUEST_METHOD', 'GET')
    kind, service_name = _route(path)
    try:
        if kind in ('legacy', 'xmlrpc2', 'jsonrpc', 'web', 'database_form'):
            if method != 'POST':
                return _text(
                    start_response,
                    '405 Method Not Allowed',
                    'Use POST for RPC calls.\n',
                    [('Allow', 'POST')],
                    close=True,
                )
            if kind == 'jsonrpc':
                return _jsonrpc(environ, start_response, options)
            if kind == 'web':
                return _web(environ, start_response, options, path)
            if kind == 'database_form':
                return _database_form(environ, start_response, options, path)
            return _xmlrpc(environ, start_response, options, service_name, kind == 'legacy')
        if kind in ('health', 'root'):
            if method not in ('GET', 'HEAD'):
                return _text(
                    start_response,
                    '405 Method Not Allowed',
                    'Use GET.\n',
                    [('Allow', 'GET, HEAD')],
                    close=True,
                )
            handler = _health if kind == 'health' else _root
            return handler(environ, start_response, options)
        if kind == 'binary':
            if method not in ('GET', 'HEAD'):
                return _text(
                    start_response,
                    '405 Method Not Allowed',
                    'Use GET.\n',
                    [('Allow', 'GET, HEAD')],
                    close=True,
                )
            return _company_logo(environ, start_response, options, method == 'HEAD')
        return _text(
            start_response,
            '404 Not Found',
            'No handler found for %s.\n' % path,
            close=method not in ('GET', 'HEAD'),
        )
    except Exception:
        # Last line of defence: a bug in this module must not become an HTML traceback.
        _logger.exception('unhandled error serving %s %s', method, path)
        return _text(
            start_response,
            '500 Internal Server Error',
            'Internal server error; see the server log.\n',
            close=True,
        )
