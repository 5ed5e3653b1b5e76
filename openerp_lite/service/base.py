"""What every service shares: the call context and the checked call of an exposed function.

Services are plain Python: they get the decoded parameters and a :class:`CallInfo`, never an HTTP
object, so each one can be called from a test or a script without a server.
"""

import inspect

from ..exceptions import ProtocolError


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
