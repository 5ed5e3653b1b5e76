"""One table from exception kinds to what each protocol sends back.

Code that raises picks a kind (``openerp_lite.exceptions``); this module alone decides how that kind
looks on the wire: the legacy string fault of ``/xmlrpc/<service>``, the integer fault of
``/xmlrpc/2/<service>`` and the JSON-RPC error object. Clients depend on these shapes (tests/test_clients.py
drives each published client): erppeek parses ``warning -- `` prefixes, odoorpc needs
``error.data.message``.
"""

import traceback
from collections import namedtuple

from .. import exceptions

#: ``title``: the title of a legacy "warning -- <title>" fault, or None when the kind is not a warning.
#: ``code``: the integer XML-RPC fault code. ``json_code``/``json_message``: the JSON-RPC error.
#: ``exception_type``: the ``data.exception_type`` Odoo's web client reads, or None.
#: ``log``: how the server logs it: ``'error'`` (with the traceback: something to fix),
#: ``'warning'`` (an operational limit reached, no traceback) or ``'debug'`` (the caller's doing).
#: ``status``: the HTTP status of a reply that is not RPC (a body refused before decoding); RPC
#: replies carry every error inside a 200, as XML-RPC and JSON-RPC clients expect.
Mapping = namedtuple('Mapping', 'title code json_code json_message exception_type log status')

SERVER_ERROR = Mapping(None, 1, 200, 'Odoo Server Error', None, 'error', '500 Internal Server Error')


def _refusal(title, code, json_code, json_message, exception_type, status='400 Bad Request'):
    return Mapping(title, code, json_code, json_message, exception_type, 'debug', status)


KINDS = {
    'user_error': _refusal('Warning', 2, 200, 'Odoo Server Error', 'user_error'),
    'validation': _refusal('ValidationError', 2, 200, 'Odoo Server Error', 'validation_error'),
    'missing': _refusal('MissingError', 2, 200, 'Odoo Server Error', 'missing_error', '404 Not Found'),
    'access_error': _refusal('AccessError', 4, 200, 'Odoo Server Error', 'access_error', '403 Forbidden'),
    'access_denied': _refusal(None, 3, 200, 'Odoo Server Error', 'access_denied', '403 Forbidden'),
    'session_expired': _refusal(None, 3, 100, 'Odoo Session Expired', 'session_expired', '403 Forbidden'),
    'protocol': _refusal(None, 1, -32600, 'Invalid Request', None),
    'concurrency': SERVER_ERROR._replace(status='503 Service Unavailable'),
    'too_busy': SERVER_ERROR._replace(status='503 Service Unavailable'),
    'limit': SERVER_ERROR._replace(log='warning', status='413 Request Entity Too Large'),
    'server_error': SERVER_ERROR,
    'config': SERVER_ERROR,
}


def log_refusal(logger, error, what):
    """Log ``error`` (raised by ``what``) at the level its kind calls for."""
    level = mapping_for(error).log
    if level == 'error':
        logger.error('%s failed', what, exc_info=True)
    elif level == 'warning':
        logger.warning('%s stopped: %s', what, message_of(error))
    else:
        logger.debug('%s refused: %s', what, error)


#: JSON-RPC 2.0 reserved codes and their standard messages.
JSONRPC_MESSAGES = {
    -32700: 'Parse error',
    -32600: 'Invalid Request',
    -32601: 'Method not found',
    -32602: 'Invalid params',
    -32603: 'Internal error',
}

_DENIED_KINDS = ('access_denied', 'session_expired')


def kind_of(error):
    return getattr(error, 'kind', 'server_error')


def mapping_for(error):
    return KINDS.get(kind_of(error), SERVER_ERROR)


#: what a bare MemoryError means here: the worker's --limit-memory-hard (RLIMIT_AS) was reached
MEMORY_LIMIT_MESSAGE = 'memory limit exceeded: the request needed more memory than the server allows'


def format_traceback(error):
    text = ''.join(traceback.format_exception(type(error), error, error.__traceback__))
    if isinstance(error, MemoryError) and not str(error):
        text += MEMORY_LIMIT_MESSAGE + '\n'
    return text


def message_of(error):
    """The user-facing text of ``error`` (``str`` of it, or its class name when that is empty)."""
    text = str(error)
    if not text and isinstance(error, MemoryError):
        return MEMORY_LIMIT_MESSAGE
    return text if text else type(error).__name__


def legacy_fault(error):
    """``(faultCode, faultString)`` for ``/xmlrpc/<service>``: string codes, OpenERP 6.1/7.0 style."""
    kind = kind_of(error)
    if kind in _DENIED_KINDS:
        return 'AccessDenied', 'Access denied.'
    if kind == 'protocol':
        # Malformed input is the client's mistake; a traceback would only hide the message.
        text = message_of(error)
        return text, text
    mapping = KINDS.get(kind, SERVER_ERROR)
    if mapping.title is not None:
        return 'warning -- %s\n\n%s' % (mapping.title, message_of(error)), ''
    return message_of(error), format_traceback(error)


def integer_fault(error):
    """``(faultCode, faultString)`` for ``/xmlrpc/2/<service>``: 1 error, 2 warning, 3 denied, 4 access."""
    mapping = mapping_for(error)
    if mapping.code == 1:
        if kind_of(error) == 'protocol':
            return 1, message_of(error)
        return 1, format_traceback(error)
    if mapping.code == 3:
        return 3, message_of(error) or 'Access denied.'
    return mapping.code, message_of(error)


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def jsonrpc_error(error):
    """The ``error`` member of a JSON-RPC reply for ``error``."""
    mapping = mapping_for(error)
    cls = type(error)
    data = {
        'name': '%s.%s' % (cls.__module__, cls.__qualname__),
        'message': message_of(error),
        'arguments': _jsonable(list(error.args)),
        'debug': format_traceback(error),
    }
    if mapping.exception_type:
        data['exception_type'] = mapping.exception_type
    if kind_of(error) == 'protocol':
        code = getattr(error, 'jsonrpc_code', -32600)
        data['debug'] = ''
        return {'code': code, 'message': JSONRPC_MESSAGES.get(code, 'Invalid Request'), 'data': data}
    return {'code': mapping.json_code, 'message': mapping.json_message, 'data': data}


def protocol_error(message, jsonrpc_code=-32600):
    """A :class:`~openerp_lite.exceptions.ProtocolError` (shortcut for the codecs)."""
    return exceptions.ProtocolError(message, jsonrpc_code)
