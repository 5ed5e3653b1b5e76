"""Bounds on what a request body decodes into, checked on the bytes before anything is built.

``--max-request-size`` bounds the bytes, not what they become: ``[{},{},{},...]`` turns 60 MB of
JSON into 30 million dicts, nearly 2 GB of memory in a process that keeps it (a one-process server
never gives it back). So a body is refused when it would decode into more than
:attr:`Limits.items` values or nest deeper than :attr:`Limits.depth`, counted with byte scans that
run at C speed and build nothing (strings are stripped first, so a comma or a bracket inside a
string counts for nothing). Strings cannot grow past the body that carries them, which
``--max-request-size`` already bounds.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from .errors import protocol_error

if TYPE_CHECKING:  # for annotations only: no import at run time
    from ..tools.config import Options

#: values (containers and scalars) one request may carry: a batch ``create`` of 10,000 records of
#: 20 fields is 400,000
DEFAULT_ITEMS = 1000000
#: nesting levels of arrays and objects: a domain or a command list needs a handful
DEFAULT_DEPTH = 100


class Limits:
    """The bounds of one server (from its options)."""

    __slots__ = ('items', 'depth')

    def __init__(self, items: int = DEFAULT_ITEMS, depth: int = DEFAULT_DEPTH) -> None:
        self.items, self.depth = items, depth

    @classmethod
    def of(cls, options: Options) -> Limits:
        """The bounds ``--max-request-values`` and ``--max-request-depth`` set."""
        return cls(options.max_request_values or DEFAULT_ITEMS, options.max_request_depth or DEFAULT_DEPTH)


#: a JSON string, written "unrolled" so that a long run of plain characters is one fast loop
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = bytes(range(256)).translate(None, b'[]{}')
_STEP = {ord('['): 1, ord('{'): 1, ord(']'): -1, ord('}'): -1}


def _too_many(count, limits, what):
    return protocol_error(
        'Request too large: %s %d values, at most %d are accepted in one call.' % (what, count, limits.items),
        -32600,
    )


def _too_deep(depth, limits):
    return protocol_error(
        'Request nested too deep: more than %d levels (at least %d).' % (limits.depth, depth), -32600
    )


def check_json(body, limits):
    """Raise a ProtocolError when ``body`` (JSON bytes) would decode past ``limits``."""
    if isinstance(body, str):
        body = body.encode('utf-8', 'surrogatepass')
    bare = _JSON_STRING.sub(b'0', body)
    # every value but the first follows a comma or opens a container: an upper bound, exact for
    # the usual bodies
    values = bare.count(b',') + bare.count(b'[') + bare.count(b'{') + 1
    if values > limits.items:
        raise _too_many(values, limits, 'the body holds up to')
    brackets = bare.translate(None, _BRACKETS)
    if len(brackets) > 2 * limits.depth:
        deepest = max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)
        if deepest > limits.depth:
            raise _too_deep(deepest, limits)


def check_xml_values(body, limits):
    """Raise a ProtocolError when an XML-RPC ``body`` holds more ``<value>`` elements than
    ``limits`` allow (the depth is checked while parsing, see :class:`DepthGuard`)."""
    values = body.count(b'<value')
    if values > limits.items:
        raise _too_many(values, limits, 'the body holds')


class DepthGuard:
    """Counts open elements while an XML document is parsed; refuses past the limit. XML-RPC
    spends three elements per level (``value``, ``array``, ``data``)."""

    __slots__ = ('depth', 'limit', 'levels')

    def __init__(self, limits):
        self.depth, self.levels, self.limit = 0, limits.depth, 3 * limits.depth + 4

    def enter(self):
        self.depth += 1
        if self.depth > self.limit:
            raise _too_deep(self.depth // 3, Limits(depth=self.levels))

    def leave(self):
        self.depth -= 1
