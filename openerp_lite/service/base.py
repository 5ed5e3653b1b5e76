"""What every service shares: the call context and the checked call of an exposed function.

Services are plain Python: they get the decoded parameters and a :class:`CallInfo`, never an HTTP
object, so each one can be called from a test or a script without a server.
"""

import inspect
import re

from ..exceptions import AccessDenied, ProtocolError


class CallInfo:
    """Facts about the call that are not parameters: the settings and who is asking.

    ``host`` is the ``Host`` the client used (for ``dbfilter``'s ``%h``/``%d``); ``remote_addr``
    the client address (for logs and login records).
    """

    __slots__ = ('options', 'remote_addr', 'host')

    def __init__(self, options, remote_addr=None, host=None):
        self.options = options
        self.remote_addr = remote_addr
        self.host = host


_signatures = {}


def call_exposed(functions, service, method, params, info):
    """Call ``functions[method](info, *params)``, refusing unknown names and wrong argument counts.

    The argument check happens before the call, so a TypeError raised *inside* a service is still
    reported as the server error it is, not as the client's mistake.
    """
    func = functions.get(method) if isinstance(method, str) else None
    if func is None:
        raise ProtocolError('Method not found: %s.%s' % (service, method), -32601)
    signature = _signatures.get(func)
    if signature is None:
        signature = _signatures[func] = inspect.signature(func)
    try:
        signature.bind(info, *params)
    except TypeError as error:
        raise ProtocolError('Invalid parameters for %s.%s: %s' % (service, method, error), -32602)
    return func(info, *params)


def require_str(value, what):
    """``value`` when it is a string, else the client sent the wrong type (-32602)."""
    if not isinstance(value, str):
        raise ProtocolError('%s must be a string, got %s' % (what, type(value).__name__), -32602)
    return value


def dbfilter_pattern(info):
    """``--db-filter`` for this call, ``%h`` (the Host) and ``%d`` (its first label, ``www.``
    skipped) replaced."""
    pattern = getattr(info.options, 'dbfilter', None) or '.*'
    host = (info.host or '').split(':')[0]
    first, _, rest = host.partition('.')
    if first == 'www' and rest:
        first = rest.partition('.')[0]
    return pattern.replace('%h', re.escape(host)).replace('%d', re.escape(first))


def db_allowed(info, name):
    """True when ``--db-filter`` lets this call use database ``name``."""
    return isinstance(name, str) and re.match(dbfilter_pattern(info), name) is not None


def check_db_allowed(info, name):
    """Refuse a database ``--db-filter`` hides, as if the credentials were wrong: a client must
    not learn that a filtered database exists."""
    if not db_allowed(info, name):
        raise AccessDenied()
