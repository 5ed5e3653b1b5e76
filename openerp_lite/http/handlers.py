"""What each route does: decode the request, call the service, encode the reply.

Each handler takes one :class:`Call` (the WSGI environ and ``start_response``, the options, the
path and what the route matched in it) and returns the WSGI body. Errors come back in the
protocol of the route: a fault, a JSON-RPC error object, or a short text/JSON body; never an
HTML page.
"""

import logging
import os
import time
from collections import namedtuple

from werkzeug import formparser
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import release, service
from ..exceptions import LimitExceeded, ProtocolError
from ..service.base import db_allowed
from . import access_log, binary, body_limits, database_manager, jsonrpc, web_routes, xmlrpc
from .errors import MEMORY_LIMIT_MESSAGE, log_refusal
from .request_body import (
    BodyNotReceived,
    BodyTooLarge,
    json_reply,
    not_received,
    read_body,
    respond,
    text,
    too_large,
    unread,
)

_logger = logging.getLogger('openerp_lite.http.wsgi')

#: one request as a handler sees it; ``match``: what the route read from the path (the service
#: name of an XML-RPC route), ``server_kind``: threaded, waitress, gunicorn...
Call = namedtuple('Call', 'environ start_response options path match server_kind')


def call_info(environ, options):
    return service.CallInfo(options, environ.get('REMOTE_ADDR'), environ.get('HTTP_HOST'))


def _dispatch(environ, options, service_name, method, params):
    """Run one call; returns ``(result, error)`` and writes the access line."""
    started = time.perf_counter()
    try:
        result = service.dispatch(service_name, method, params, call_info(environ, options))
    except Exception as error:
        access_log.note_limit(error)
        if access_log.enabled():
            access_log.write(
                environ.get('REMOTE_ADDR'),
                *access_log.call_fields(service_name, method, params),
                access_log.outcome(error),
                started,
            )
        log_refusal(_logger, error, '%s.%s' % (service_name, method))
        return None, error
    if access_log.enabled():
        access_log.write(
            environ.get('REMOTE_ADDR'),
            *access_log.call_fields(service_name, method, params, result),
            access_log.outcome(None, service_name, method, result),
            started,
        )
    return result, None


def _undecoded(environ, target, error, started):
    """The access line of a request refused before it became a call."""
    access_log.write(environ.get('REMOTE_ADDR'), '-', '-', target, access_log.outcome(error), started, error)


def _memory_refusal(environ, where):
    """The error reported when ``--limit-memory-hard`` strikes while a request is read or
    decoded: the documented fault, never a bare 500."""
    _logger.warning(
        'memory limit exceeded while decoding a request to %s from %s', where, environ.get('REMOTE_ADDR', '-')
    )
    error = LimitExceeded(MEMORY_LIMIT_MESSAGE)
    access_log.note_limit(error)
    return error


def xmlrpc_call(call, legacy):
    environ, start_response, options, service_name = (
        call.environ,
        call.start_response,
        call.options,
        call.match,
    )
    started = time.perf_counter()
    try:
        body = read_body(environ, options.max_request_size)
        method, params = xmlrpc.decode(body, body_limits.Limits.of(options))
    except BodyTooLarge:
        return unread(start_response, too_large(options), legacy)
    except BodyNotReceived as error:
        return unread(start_response, not_received(error), legacy)
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            body = None
            error = _memory_refusal(environ, service_name)
        _undecoded(environ, '%s.?' % service_name, error, started)
        return respond(start_response, '200 OK', xmlrpc.CONTENT_TYPE, xmlrpc.encode_fault(error, legacy))
    result, error = _dispatch(environ, options, service_name, method, params)
    if error is None:
        try:
            payload = xmlrpc.encode_result(result)
        except Exception as encode_error:  # a result no XML-RPC client could read
            _logger.error('cannot encode the result of %s.%s', service_name, method, exc_info=True)
            payload = xmlrpc.encode_fault(encode_error, legacy)
    else:
        payload = xmlrpc.encode_fault(error, legacy)
    return respond(start_response, '200 OK', xmlrpc.CONTENT_TYPE, payload)


def xmlrpc_legacy(call):
    return xmlrpc_call(call, True)


def xmlrpc_2(call):
    return xmlrpc_call(call, False)


def jsonrpc_call(call):
    environ, start_response, options = call.environ, call.start_response, call.options
    request_id = None
    started = time.perf_counter()
    try:
        body = read_body(environ, options.max_request_size)
        decoded = jsonrpc.decode(body, body_limits.Limits.of(options))
    except BodyTooLarge:
        return unread(start_response, too_large(options))
    except BodyNotReceived as error:
        return unread(start_response, not_received(error))
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            body = None
            error = _memory_refusal(environ, '/jsonrpc')
        request_id = getattr(error, 'request_id', None)
        _undecoded(environ, 'jsonrpc', error, started)
        return respond(
            start_response, '200 OK', jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(request_id, error)
        )
    result, error = _dispatch(environ, options, decoded.service, decoded.method, decoded.args)
    if error is None:
        try:
            payload = jsonrpc.encode_result(decoded.id, result)
        except Exception as encode_error:
            _logger.error('cannot encode the result of %s.%s', decoded.service, decoded.method, exc_info=True)
            payload = jsonrpc.encode_error(decoded.id, encode_error)
    else:
        payload = jsonrpc.encode_error(decoded.id, error)
    return respond(start_response, '200 OK', jsonrpc.CONTENT_TYPE, payload)


def web_session(call):
    """A web-session JSON route (:mod:`.web_routes`): read the body, hand it over, answer."""
    environ, start_response, options, path = call.environ, call.start_response, call.options, call.path
    try:
        body = read_body(environ, options.max_request_size)
    except BodyTooLarge:
        return unread(start_response, too_large(options))
    except BodyNotReceived as error:
        return unread(start_response, not_received(error))
    except (ProtocolError, MemoryError) as error:
        if isinstance(error, MemoryError):
            error = _memory_refusal(environ, path)
        return respond(start_response, '200 OK', jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(None, error))
    status, headers, payload = web_routes.handle(
        path,
        body,
        environ.get('HTTP_COOKIE'),
        call_info(environ, options),
        environ.get('HTTP_X_OPENERP_SESSION_ID'),
        environ.get('wsgi.url_scheme') == 'https',
        environ.get('REMOTE_ADDR'),
    )
    return respond(start_response, status, headers[0][1], payload, headers[1:])


def database_form(call):
    """A database manager form (:mod:`.database_manager`): decode the form (files included) under
    ``--max-request-size``, hand it over, answer."""
    environ, start_response, options, path = call.environ, call.start_response, call.options, call.path
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        length = -1
    if length > options.max_request_size:
        return unread(start_response, too_large(options))
    try:
        _stream, form, files = formparser.parse_form_data(
            environ,
            max_content_length=options.max_request_size,
            max_form_memory_size=options.max_request_size,
            silent=False,
        )
        uploads = {name: upload.read() for name, upload in files.items()}
    except RequestEntityTooLarge:
        return unread(start_response, too_large(options))
    except OSError as error:
        return unread(start_response, not_received(error))
    except (ValueError, HTTPException) as error:
        return respond(
            start_response,
            '400 Bad Request',
            jsonrpc.CONTENT_TYPE,
            jsonrpc.encode_error(None, ProtocolError('The form could not be decoded: %s' % error, -32600)),
            close=True,
        )
    status, headers, body = database_manager.handle(
        path, form.to_dict(), uploads, call_info(environ, options)
    )
    return respond(start_response, status, headers[0][1], body, headers[1:])


def health(call):
    """``/web/health``: the machine-readable probe (JSON), for load balancers and monitoring."""
    options = call.options
    report = {
        'status': 'pass',
        'version': release.version,
        'server_serie': options.server_serie or release.DEFAULT_SERIE,
        'pid': os.getpid(),
        'server': call.server_kind or 'unknown',
        'mode': options.mode,
    }
    report.update(_named_for(call_info(call.environ, options), processes()))
    replicas = _replicas()
    if replicas is not None:
        report['replicas'] = replicas
    return json_reply(call.start_response, '200 OK', report)


def _named_for(info, report):
    """``report`` naming only the databases this caller may learn of: none with
    ``--no-database-list``, else those ``--db-filter`` lets this call see (the probe answers
    anybody: it must not tell what ``db.list`` would not)."""

    def shown(name):
        return info.options.list_db and db_allowed(info, name)

    for entry in [report.get('process')] + report.get('workers', []) + report.get('cron', []):
        if not entry:
            continue
        if 'databases' in entry:
            entry['databases'] = [name for name in entry['databases'] or () if shown(name)]
        pool = entry.get('pool') or {}
        if 'databases' in pool:
            pool['databases'] = {name: v for name, v in pool['databases'].items() if shown(name)}
    return report


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


def processes():
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


def company_logo(call):
    """The image of ``binary.company_logo``; a HEAD request gets its headers only."""
    environ = call.environ
    sid = web_routes.session_id_of(environ.get('HTTP_COOKIE'), environ.get('HTTP_X_OPENERP_SESSION_ID'))
    status, headers, body = binary.company_logo(
        environ.get('QUERY_STRING', ''), call_info(environ, call.options), sid
    )
    call.start_response(status, headers)
    return [b''] if environ.get('REQUEST_METHOD') == 'HEAD' else [body]


def root(call):
    return text(
        call.start_response,
        '200 OK',
        'openerp-lite %s: XML-RPC on /xmlrpc/<service>, '
        '/xmlrpc/2/<service>; JSON-RPC on /jsonrpc.\n' % release.version,
    )
