"""Transport-free RPC dispatch: ``dispatch(service, method, params, info)``.

The HTTP codecs decode a request into these four values and encode whatever comes back; each
service module (``common``, ``db``, ``object``) exposes ``dispatch(method, params, info)``. Service
modules are imported on first use so the ``object`` service (and the ORM behind it) costs nothing
to a process that never calls it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from ..exceptions import ProtocolError
from .base import CallInfo

__all__ = ['CallInfo', 'SERVICES', 'dispatch']

#: Service names reachable over RPC; nothing else under ``openerp_lite.service`` is.
SERVICES = ('common', 'db', 'object')

_loaded: dict[str, Any] = {}


def _service(name):
    module = _loaded.get(name)
    if module is not None:
        return module
    if name not in SERVICES:
        raise ProtocolError('Unknown service %r (known: %s).' % (name, ', '.join(SERVICES)), -32601)
    module_name = '%s.%s' % (__name__, name)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise ProtocolError(
            'The %r service is not available in this installation (%s is missing).' % (name, module_name),
            -32601,
        )
    _loaded[name] = module
    return module


def dispatch(service_name: Any, method: Any, params: Sequence[Any], info: CallInfo) -> Any:
    """Call ``method`` of service ``service_name`` with the positional ``params``.

    Raises :class:`ProtocolError` (-32601) for an unknown service or method, (-32602) for wrong
    arguments; any other exception comes from the service itself.
    """
    if not isinstance(service_name, str):
        raise ProtocolError('Service name must be a string.', -32600)
    return _service(service_name).dispatch(method, params, info)
