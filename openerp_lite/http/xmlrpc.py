"""XML-RPC codec: request bytes to ``(method, params)``, results and errors to response bytes.

Transport-only: no routing, no services. Parsing uses the standard library's unmarshaller fed by an
expat parser that refuses any document type declaration, so entity expansion ("billion laughs") and
external entities are rejected before a single entity is defined; a cheap byte scan turns the common
case away even earlier.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import xmlrpc.client
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from . import body_limits
from .errors import integer_fault, legacy_fault, protocol_error

if TYPE_CHECKING:  # for annotations only: no import at run time
    from .body_limits import Limits

CONTENT_TYPE = 'text/xml; charset=utf-8'

_DTD_MARKER = re.compile(rb'<!\s*(?:DOCTYPE|ENTITY)', re.IGNORECASE)


class _Refused(Exception):
    pass


def _refuse_dtd(*_args):
    raise _Refused()


class _Unmarshaller(xmlrpc.client.Unmarshaller):
    """The standard library's unmarshaller, refusing what no call may carry: NaN and infinities
    (no database column or JSON reply can hold them)."""

    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)

    def end_double(self, data):
        value = float(data)
        if not math.isfinite(value):
            raise ValueError('%r is not a finite number' % data)
        self.append(value)
        self._value = False

    dispatch['double'] = end_double  # type: ignore[assignment]

    def end_bigdecimal(self, data):
        value = decimal.Decimal(data)
        if not value.is_finite():
            raise ValueError('%r is not a finite number' % data)
        self.append(value)
        self._value = False

    dispatch['bigdecimal'] = end_bigdecimal  # type: ignore[assignment]


def decode(body: bytes, limits: Limits | None = None) -> tuple[str, tuple[Any, ...]]:
    """``(method_name, params_tuple)`` from an XML-RPC ``methodCall`` body.

    Raises ProtocolError (-32700 for unparsable XML or a DTD, -32600 for XML that is not a call,
    a value XML-RPC does not know, or a body that would decode past ``limits``).
    """
    if not body:
        raise protocol_error('Empty request body: expected an XML-RPC methodCall.', -32700)
    if _DTD_MARKER.search(body):
        raise protocol_error('XML document type and entity declarations are not accepted.', -32700)
    limits = limits or body_limits.Limits()
    body_limits.check_xml_values(body, limits)
    depth = body_limits.DepthGuard(limits)
    target = _Unmarshaller(use_datetime=True, use_builtin_types=True)
    target.xml(None, None)  # type: ignore[arg-type]  # expat already yields text; as the stdlib's own ExpatParser does
    parser = expat.ParserCreate(None, None)
    parser.buffer_text = True
    root: list[str] = []

    def start(tag, attrs):
        if not root:
            root.append(tag)
        depth.enter()
        target.start(tag, attrs)

    def end(tag):
        depth.leave()
        target.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = target.data
    # Belt and braces for encodings the byte scan cannot read (UTF-16 and friends).
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(body, True)
    except _Refused:
        raise protocol_error('XML document type and entity declarations are not accepted.', -32700)
    except expat.ExpatError as error:
        raise protocol_error('Request body is not well-formed XML: %s' % error, -32700)
    except xmlrpc.client.ResponseError as error:  # an element XML-RPC does not define
        raise protocol_error(
            'Malformed XML-RPC value: %s' % (error.args[0] if error.args else 'unknown element'), -32600
        )
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        OverflowError,
        decimal.InvalidOperation,
    ) as error:
        raise protocol_error('Malformed XML-RPC value: %s' % (error or type(error).__name__), -32600)
    try:
        params = target.close()
    except (xmlrpc.client.ResponseError, xmlrpc.client.Fault, IndexError) as error:
        raise protocol_error('XML-RPC request is not a methodCall (%s).' % type(error).__name__, -32600)
    method = target.getmethodname()
    if root != ['methodCall'] or not method:
        raise protocol_error('XML-RPC request is not a methodCall with a methodName.', -32600)
    return method, params


def encode_result(result: Any) -> bytes:
    """Response bytes for a successful call; ``None`` becomes ``False`` (OpenERP's convention)."""
    if result is None:
        result = False
    out = ["<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"]
    try:
        _encode(result, out)
    except _NotPlain:
        # Rare shapes (int dict keys, dates, Decimal, big ints): convert once, then the stdlib.
        return xmlrpc.client.dumps(
            (_marshallable(result),), methodresponse=True, allow_none=True, encoding='utf-8'
        ).encode('utf-8')
    out.append('</param>\n</params>\n</methodResponse>\n')
    return ''.join(out).encode('utf-8')


class _NotPlain(Exception):
    """A value :func:`_encode` leaves to the standard library's marshaller."""


def _escape(text):
    if '&' in text or '<' in text or '>' in text:
        return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return text


def _encode(value, out):
    """Append the XML-RPC ``<value>`` of ``value`` to ``out``.

    The standard library's marshaller is pure Python and dispatches through a method table per
    value; results of ``read``/``search_read`` are lists of flat dicts of strings, numbers and
    booleans, which this writes about twice as fast. Anything else raises :class:`_NotPlain`.
    """
    kind = type(value)
    if kind is str:
        out.append('<value><string>%s</string></value>' % _escape(value))
    elif kind is bool:
        out.append('<value><boolean>1</boolean></value>' if value else '<value><boolean>0</boolean></value>')
    elif kind is int:
        if not -_MAXINT - 1 <= value <= _MAXINT:
            raise _NotPlain()
        out.append('<value><int>%d</int></value>' % value)
    elif kind is float:
        if not math.isfinite(value):
            raise ValueError('the result holds %r, which XML-RPC cannot carry' % value)
        out.append('<value><double>%r</double></value>' % value)
    elif kind is dict:
        out.append('<value><struct>')
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain()
            out.append('<member><name>%s</name>' % _escape(key))
            _encode(item, out)
            out.append('</member>')
        out.append('</struct></value>')
    elif kind is list or kind is tuple:
        out.append('<value><array><data>')
        for item in value:
            _encode(item, out)
        out.append('</data></array></value>')
    elif value is None:
        out.append('<value><nil/></value>')
    else:
        raise _NotPlain()


def encode_fault(error: BaseException, legacy: bool) -> bytes:
    """Response bytes for ``error``: string fault codes when ``legacy``, integer codes otherwise."""
    code, text = legacy_fault(error) if legacy else integer_fault(error)
    fault = xmlrpc.client.Fault(code, text)
    return xmlrpc.client.dumps(fault, methodresponse=True, allow_none=True, encoding='utf-8').encode('utf-8')


_MAXINT = 2**31 - 1


def _marshallable(value):
    if isinstance(value, dict):
        return {str(key): _marshallable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_marshallable(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        # XML-RPC ints are 32 bits; larger ones travel as floats when exact, else as text.
        return value if -_MAXINT - 1 <= value <= _MAXINT else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%d %H:%M:%S')
    if isinstance(value, datetime.date):
        return value.strftime('%Y-%m-%d')
    if isinstance(value, (str, float, bytes, bytearray, xmlrpc.client.Binary, xmlrpc.client.DateTime)):
        return value
    return str(value)
