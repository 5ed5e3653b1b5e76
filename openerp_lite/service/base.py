"""What every service shares: the call context and the checked call of an exposed function.

Services are plain Python: they get the decoded parameters and a :class:`CallInfo`, never an HTTP
object, so each one can be called from a test or a script without a server.
"""

from __future__ import annotations

import inspect
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import catalog, sql_db
from ..exceptions import AccessDenied, MissingError, ProtocolError

if TYPE_CHECKING:  # for annotations only: no import at run time
    from ..tools.config import Options


class CallInfo:
    """Facts about the call that are not parameters: the settings and who is asking.

    ``host`` is the ``Host`` the client used (for ``dbfilter``'s ``%h``/``%d``); ``remote_addr``
    the client address (for logs and login records). ``wrote`` becomes True once a call of this
    request ran read-write: the read-only calls after it in the same request go to the primary.
    """

    __slots__ = ('options', 'remote_addr', 'host', 'wrote')

    def __init__(self, options: Options, remote_addr: str | None = None, host: str | None = None) -> None:
        self.options = options
        self.remote_addr = remote_addr
        self.host = host
        self.wrote = False


_signatures: dict[Callable[..., Any], inspect.Signature] = {}


def call_exposed(
    functions: dict[str, Callable[..., Any]], service: str, method: Any, params: Sequence[Any], info: CallInfo
) -> Any:
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


def require_str(value: Any, what: str) -> str:
    """``value`` when it is a string, else the client sent the wrong type (-32602)."""
    if not isinstance(value, str):
        raise ProtocolError('%s must be a string, got %s' % (what, type(value).__name__), -32602)
    return value


def dbfilter_pattern(info):
    """``--db-filter`` for this call, ``%h`` (the Host) and ``%d`` (its first label, ``www.``
    skipped) replaced."""
    pattern = info.options.dbfilter or '.*'
    host = (info.host or '').split(':')[0]
    first, _, rest = host.partition('.')
    if first == 'www' and rest:
        first = rest.partition('.')[0]
    return pattern.replace('%h', re.escape(host)).replace('%d', re.escape(first))


def host_based(options):
    """True when ``--db-filter`` depends on the Host of a request (``%h``, ``%d``): without one,
    as in cron or at start, it says nothing about a name."""
    pattern = options.dbfilter or ''
    return '%h' in pattern or '%d' in pattern


def db_allowed(info: CallInfo, name: str) -> bool:
    """True when ``--db-filter`` lets this call use database ``name``."""
    return isinstance(name, str) and re.match(dbfilter_pattern(info), name) is not None


def check_db_allowed(info, name):
    """Refuse a database ``--db-filter`` hides, as if the credentials were wrong: a client must
    not learn that a filtered database exists."""
    if not db_allowed(info, name):
        raise AccessDenied()


#: a database name as PostgreSQL takes it unquoted-safe, and at most 63 bytes (longer ones are
#: truncated silently by the server)
DB_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$')
#: seconds a positive answer of the catalog stays trusted for a database with no registry here
SERVED_TTL = 30.0
_served: dict[str, Any] = {}
_served_lock = threading.Lock()


def is_served(info: CallInfo, name: Any) -> bool:
    """True when this server serves database ``name``: a well-formed name that ``--db-filter``
    lets through, of a database carrying the openerp-lite mark (``catalog``) — known without
    opening a connection to it. A database this process holds a registry of is known."""
    if not (isinstance(name, str) and DB_NAME.match(name) and db_allowed(info, name)):
        return False
    from ..registry import Registry  # lower layer; imported late to keep this module light

    if name in Registry._registries:
        return True
    with _served_lock:
        expiry = _served.get(name)
    if expiry is not None and expiry > time.monotonic():
        return True
    if not catalog.is_marked(name):
        return False
    with _served_lock:
        _served[name] = time.monotonic() + SERVED_TTL
    return True


def not_served(info: CallInfo, name: Any) -> Exception:
    """The error for a call naming database ``name``, which this server does not serve.

    While the database list is public (``list_db``, the default), ``db.list`` tells anyone which
    databases there are, so saying that this one is missing reveals nothing more, and tells the
    operator who mistyped a name what is wrong. With ``--no-database-list`` it stays a refusal
    that looks like wrong credentials.
    """
    if info.options.list_db:
        return MissingError(
            'Database %r does not exist on this server (db.list names the ones it serves).'
            % (name if isinstance(name, str) else str(name)[:80])
        )
    return AccessDenied()


def check_served(info: CallInfo, name: Any) -> None:
    """Refuse a database this server does not serve (see :func:`is_served`, :func:`not_served`)."""
    if not is_served(info, name):
        raise not_served(info, name)


def forget_served(name):
    """Drop what this process believes of ``name`` (dropped, renamed, restored)."""
    with _served_lock:
        _served.pop(name, None)


def catalog_exists(name):
    """True when a database called ``name`` exists in the cluster (a catalog query)."""
    return bool(sql_db.admin_query('SELECT 1 FROM pg_database WHERE datname = %s', (name,)))
