"""JSON-RPC codec for ``/jsonrpc``: Odoo's ``call`` envelope carrying ``{service, method, args}``.

Transport-only. Malformed envelopes get the JSON-RPC 2.0 codes (-32700 parse error, -32600 invalid
request, -32602 invalid params); everything else is the services' business.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
from typing import TYPE_CHECKING, Any

from . import body_limits
from .errors import jsonrpc_error, protocol_error

if TYPE_CHECKING:  # for annotations only: no import at run time
    from .body_limits import Limits

CONTENT_TYPE = 'application/json'

_NO_ID = object()


class Call:
    """A decoded request: what to dispatch, and the id to echo."""

    __slots__ = ('service', 'method', 'args', 'id')

    def __init__(self, service: str, method: str, args: list[Any], id_: Any) -> None:
        self.service = service
        self.method = method
        self.args = args
        self.id = id_


class NotFinite(ValueError):
    pass


def _refuse_constant(name):
    raise NotFinite('%s is not a JSON number (NaN and infinities are refused)' % name)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise NotFinite('%s is out of the range of a number' % text)
    return value


def loads(body: bytes, limits: Limits | None = None) -> Any:
    """The JSON value of a request body, refused (ProtocolError -32700/-32600) when it is not JSON,
    holds NaN or an infinity, or would decode past ``limits`` (checked before decoding)."""
    body_limits.check_json(body, limits or body_limits.Limits())
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except NotFinite as error:
        raise protocol_error('Invalid JSON data: %s' % error, -32700)
    except (ValueError, UnicodeDecodeError) as error:
        raise protocol_error('Invalid JSON data: %s' % error, -32700)
    except RecursionError:
        raise protocol_error('Invalid JSON data: nested too deep', -32600)


def decode(body: bytes, limits: Limits | None = None) -> Call:
    """A :class:`Call` from a request body; raises ProtocolError carrying the id when known.

    The error's ``request_id`` attribute lets the caller echo the id even for a bad envelope.
    """
    request = loads(body, limits)
    if not isinstance(request, dict):
        raise protocol_error('A JSON-RPC request must be an object.', -32600)
    request_id = request.get('id')
    try:
        params = request.get('params')
        if not isinstance(params, dict):
            raise protocol_error(
                'JSON-RPC "params" must be an object with "service", "method" and "args".', -32600
            )
        service, method = params.get('service'), params.get('method')
        if not isinstance(service, str) or not service:
            raise protocol_error('JSON-RPC params need a "service" name (common, db, object).', -32600)
        if not isinstance(method, str) or not method:
            raise protocol_error('JSON-RPC params need a "method" name.', -32600)
        args = params.get('args', [])
        if args is None:
            args = []
        if not isinstance(args, list):
            raise protocol_error('JSON-RPC params "args" must be a list.', -32602)
    except Exception as error:
        error.request_id = request_id  # type: ignore[attr-defined]
        raise
    return Call(service, method, args, request_id)


def _default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode('ascii')
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%d %H:%M:%S')
    if isinstance(value, datetime.date):
        return value.strftime('%Y-%m-%d')
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def encode_result(request_id: Any, result: Any) -> bytes:
    """Reply bytes for a successful call; ``None`` becomes ``false`` like over XML-RPC."""
    if result is None:
        result = False
    return json.dumps(
        {'jsonrpc': '2.0', 'id': request_id, 'result': result},
        default=_default,
        separators=(',', ':'),
        allow_nan=False,
    ).encode('utf-8')


def encode_error(request_id: Any, error: BaseException) -> bytes:
    """Reply bytes carrying the JSON-RPC error object for ``error``."""
    return json.dumps(
        {'jsonrpc': '2.0', 'id': request_id, 'error': jsonrpc_error(error)},
        default=_default,
        separators=(',', ':'),
        allow_nan=False,
    ).encode('utf-8')
