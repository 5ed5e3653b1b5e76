"""Replies, and request bodies read within ``--max-request-size``.

A body over the limit is refused unread (413), one the client stops sending is refused when the
server's read deadline strikes (408); either way the reply carries the route's own error (a
fault or a JSON-RPC error object) and closes the connection, since keep-alive would read the
unread rest of the body as the next request.
"""

import json

from ..exceptions import LimitExceeded, ProtocolError
from . import jsonrpc, xmlrpc


def respond(start_response, status, content_type, body, extra=(), close=False):
    headers = [('Content-Type', content_type), ('Content-Length', str(len(body)))]
    headers.extend(extra)
    if close:
        # The request body was not read: keep-alive would parse it as the next request.
        headers.append(('Connection', 'close'))
    start_response(status, headers)
    return [body]


def text(start_response, status, message, extra=(), close=False):
    return respond(start_response, status, 'text/plain; charset=utf-8', message.encode('utf-8'), extra, close)


def json_reply(start_response, status, payload, close=False):
    return respond(
        start_response, status, 'application/json', json.dumps(payload).encode('utf-8'), close=close
    )


class BodyTooLarge(Exception):
    pass


class BodyNotReceived(Exception):
    """The client stopped sending its body (the server's read deadline, or a reset)."""


def _read(stream, size):
    try:
        return stream.read(size)
    except OSError as error:  # the read deadline of the server, a reset connection
        raise BodyNotReceived(str(error)) from None


def read_body(environ, limit):
    """The request body, at most ``limit`` bytes; raises BodyTooLarge without reading more."""
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
            raise BodyTooLarge()
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
                raise BodyTooLarge()
        return b''.join(chunks)
    return b''


def unread(start_response, refusal, legacy=None):
    """The reply to a body that was not read: its HTTP status, with the protocol's own error
    naming the reason: a JSON-RPC error object, or a fault for XML-RPC (``legacy`` True or
    False); the connection is closed."""
    status, error = refusal
    if legacy is None:
        return respond(
            start_response, status, jsonrpc.CONTENT_TYPE, jsonrpc.encode_error(None, error), close=True
        )
    return respond(
        start_response, status, xmlrpc.CONTENT_TYPE, xmlrpc.encode_fault(error, legacy), close=True
    )


def too_large(options):
    return '413 Request Entity Too Large', LimitExceeded(
        'Request body larger than %d bytes (--max-request-size): refused unread.' % options.max_request_size
    )


def not_received(error):
    return '408 Request Timeout', LimitExceeded(
        'The request body was not received in time (--limit-time-read): %s' % error
    )
