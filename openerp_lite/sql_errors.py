"""What a PostgreSQL error means for the call that met it: one definition of each kind.

The pool (whether a connection may be reused), the retry loop (whether a transaction is worth
running again) and the services (which clean error the client gets) all ask this module, so that
"the connection was lost" or "a statement ran too long" means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg2
import psycopg2.errorcodes
import psycopg2.errors

from .exceptions import DatabaseUnavailable, LimitExceeded, OpenERPLiteError, UserError, ValidationError

#: SQLSTATEs after which the whole transaction is worth running again from scratch.
RETRYABLE_PGCODES = frozenset(
    (
        psycopg2.errorcodes.SERIALIZATION_FAILURE,
        psycopg2.errorcodes.DEADLOCK_DETECTED,
        psycopg2.errorcodes.LOCK_NOT_AVAILABLE,
    )
)

#: operator interventions that end the session (class 57 also holds ``query_canceled``, which
#: leaves the session usable and is not one of them)
SESSION_ENDING_PGCODES = frozenset(
    (
        psycopg2.errorcodes.ADMIN_SHUTDOWN,
        psycopg2.errorcodes.CRASH_SHUTDOWN,
        psycopg2.errorcodes.CANNOT_CONNECT_NOW,
        psycopg2.errorcodes.DATABASE_DROPPED,
    )
)


def is_retryable(error: BaseException) -> bool:
    """True when ``error`` is a PostgreSQL error that a fresh transaction may not hit again."""
    return isinstance(error, psycopg2.Error) and getattr(error, 'pgcode', None) in RETRYABLE_PGCODES


def is_connection_lost(error: BaseException) -> bool:
    """True for a driver error saying the session went away: no SQLSTATE at all (the socket
    closed), a connection exception (class 08) or an intervention that ends the session (a
    terminated backend, a server shutting down)."""
    if not isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return False
    code = getattr(error, 'pgcode', None)
    return code is None or code[:2] == '08' or code in SESSION_ENDING_PGCODES


def first_line(error: BaseException) -> str:
    """The first line of the server's message for ``error`` (its class name when it has none)."""
    text = (getattr(error, 'pgerror', None) or str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def client_error(
    error: BaseException,
    dbname: str,
    statement_limit: str = 'its limit',
    constraint_messages: Mapping[str | None, str] | None = None,
) -> OpenERPLiteError | None:
    """The clean error a client gets for ``error``, a driver error raised by a call on ``dbname``,
    or None when it is a fault of the server to log with its traceback.

    ``statement_limit``: how the statement time limit reads in the message; ``constraint_messages``:
    the messages the models gave their SQL constraints, by constraint name.
    """
    if isinstance(error, psycopg2.IntegrityError):
        return _integrity_error(error, constraint_messages or {})
    if isinstance(error, psycopg2.errors.QueryCanceled):
        return LimitExceeded(
            'The call was stopped: one of its database statements ran longer than %s (%s); its '
            'changes were rolled back.' % (statement_limit, first_line(error))
        )
    if is_connection_lost(error):
        return DatabaseUnavailable(
            'The connection to database %r was lost during the call (%s); its changes were '
            'rolled back, unless the connection broke while they were being committed. The '
            'server reconnects by itself: try again.' % (dbname, first_line(error))
        )
    if isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return None
    if isinstance(error, psycopg2.Error):
        return UserError('The database refused the operation: %s' % first_line(error))
    return None


def _integrity_error(error, constraint_messages):
    diag = getattr(error, 'diag', None)
    message = constraint_messages.get(getattr(diag, 'constraint_name', None))
    if message:
        return ValidationError(message)
    code = getattr(error, 'pgcode', None)
    if code == psycopg2.errorcodes.NOT_NULL_VIOLATION:
        return ValidationError(
            'The operation cannot be completed: a required field is missing (%s.%s).'
            % (getattr(diag, 'table_name', None), getattr(diag, 'column_name', None))
        )
    if code == psycopg2.errorcodes.FOREIGN_KEY_VIOLATION:
        return ValidationError(
            'The operation cannot be completed: another record still refers to '
            'this one, or a referenced record does not exist.\n%s' % first_line(error)
        )
    return ValidationError('The operation cannot be completed: %s' % first_line(error))
