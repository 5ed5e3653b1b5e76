"""The exception root shared by every layer, with stable kinds.

Each kind maps to one XML-RPC fault code, one JSON-RPC error and one HTTP status in ``http.errors``;
code that raises only chooses the kind.
"""


class OpenERPLiteError(Exception):
    """Base of every error meant to reach a client with a clean message."""

    #: stable kind used by the protocol codecs to pick a fault code
    kind = 'server_error'

    def __init__(self, message='', *args):
        super().__init__(message, *args)
        self.message = message

    def __str__(self):
        return str(self.message)


class UserError(OpenERPLiteError):
    """A business rule refused the call; the message is for the end user."""

    kind = 'user_error'


# OpenERP 7 spelling, kept for addon code written against it.
Warning = UserError


class ValidationError(UserError):
    """A constraint on record values failed."""

    kind = 'validation'


class MissingError(UserError):
    """A record the call needs does not exist (any more)."""

    kind = 'missing'


class AccessError(OpenERPLiteError):
    """The user is authenticated but not allowed to do this."""

    kind = 'access_error'


class AccessDenied(OpenERPLiteError):
    """Wrong credentials (login, password or master password)."""

    kind = 'access_denied'

    def __init__(self, message='Access denied.', *args):
        super().__init__(message, *args)


class SessionExpired(AccessDenied):
    """A web session id is unknown, forged or expired."""

    kind = 'session_expired'


class ConcurrencyError(OpenERPLiteError):
    """A transaction lost a race and the retry budget ran out."""

    kind = 'concurrency'


class DatabaseUnavailable(OpenERPLiteError):
    """The connection to PostgreSQL was lost during the call (a restart, a terminated session).

    A server error, but one with a message that says what happened instead of a driver traceback.
    """


class LimitExceeded(OpenERPLiteError):
    """The call went past one of the server's limits (one SQL statement ran longer than
    ``--limit-time-sql``, the body decoded into too much...): stopped, rolled back, reported."""

    kind = 'limit'


class TooBusy(OpenERPLiteError):
    """No database connection became free within the pool's wait timeout."""

    kind = 'too_busy'


class ProtocolError(OpenERPLiteError):
    """The request could not be decoded or names nothing that can be called."""

    kind = 'protocol'

    def __init__(self, message, jsonrpc_code=-32600):
        super().__init__(message)
        self.jsonrpc_code = jsonrpc_code


class ConfigError(OpenERPLiteError):
    """A configuration key or value is wrong; the server refuses to start."""

    kind = 'config'
