"""The ``object`` service: ``execute`` and ``execute_kw`` on model methods.

What a client may call is the declared RPC surface (``orm.rpc``): a method is reachable only when
its model declares it with ``@api.rpc``, and the caller's declared rights (groups, the access right
on the model, the record rules on the ids) are checked here, before the method runs. Undeclared
and private (``_``) names are refused with an access error naming them. Each call runs in one
transaction — ``READ ONLY`` for a method declared read-only — retried from scratch on a
serialization failure (``sql_db.run_in_transaction``). Argument forms and result shapes are
``binding``'s business.
"""

import functools
import logging
import time

import psycopg2
import psycopg2.errors

from .. import sql_db
from ..exceptions import (
    AccessError,
    DatabaseUnavailable,
    LimitExceeded,
    ProtocolError,
    UserError,
    ValidationError,
)
from ..orm.environment import Environment
from ..orm.rpc import check_caller
from ..registry import Registry
from . import binding, security
from .base import call_exposed, catalog_exists, check_served, not_served

_logger = logging.getLogger(__name__)

#: tries of one call when concurrent transactions update the same rows: eight clients hammering
#: one row (the concurrency test) lose about half their rounds, so five tries left ~3% of calls
#: failing; twenty make a failure vanishingly rare (the back-off is capped at one second)
SERIALIZATION_ATTEMPTS = 20


def dispatch(method, params, info):
    return call_exposed(_FUNCTIONS, 'object', method, params, info)


def execute(info, db, uid, password, model, method, *args):
    return _execute(info, db, uid, password, model, method, list(args), {})


def execute_kw(info, db, uid, password, model, method, args=None, kwargs=None):
    if args is None or args is False:
        args = []
    if kwargs is None or kwargs is False:
        kwargs = {}
    if not isinstance(args, (list, tuple)):
        raise ProtocolError('execute_kw: args must be a list, got %s' % type(args).__name__, -32602)
    if not isinstance(kwargs, dict):
        raise ProtocolError('execute_kw: kwargs must be a dict, got %s' % type(kwargs).__name__, -32602)
    return _execute(info, db, uid, password, model, method, list(args), dict(kwargs))


def exec_workflow(info, db, uid, password, model, signal, record_id):
    raise UserError(
        'Workflows are not supported by this server: call the model method instead '
        '(e.g. %s.%s).' % (model, signal)
    )


_FUNCTIONS = {'execute': execute, 'execute_kw': execute_kw, 'exec_workflow': exec_workflow}


# -- the call ------------------------------------------------------------------------------------


def execute_in_session(info, sid, model, method, args, kwargs):
    """``execute_kw`` for the web routes: web session ``sid`` stands for ``(db, uid, password)``.

    Not reachable over ``/xmlrpc`` or ``/jsonrpc`` (absent from the exposed functions).
    """
    checked = security.check_session(info, sid)
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise ProtocolError('call_kw: args must be a list and kwargs a dict', -32602)
    return _execute(
        info, checked.db, checked.uid, None, model, method, list(args), dict(kwargs), session=checked
    )


class _ModeChanged(Exception):
    """The registry the call began with said read-only, the current one says otherwise."""


def declared(model_cls, method):
    """The declaration of ``method`` on ``model_cls``; an access error naming it otherwise."""
    if not method or method.startswith('_'):
        raise AccessError('Private methods (such as %s) cannot be called remotely.' % method)
    declaration = model_cls._rpc_methods.get(method)
    if declaration is None:
        raise AccessError(
            'Method %r of model %s is not callable over RPC (it is not declared '
            'with @api.rpc).' % (method, model_cls._name)
        )
    return declaration


def _readonly(registry, model, method):
    """Whether the call will run read-only, from the registry this process has now (checked
    again against the current one inside the transaction)."""
    model_cls = registry.models.get(model)
    declaration = model_cls._rpc_methods.get(method) if model_cls is not None else None
    return bool(declaration is not None and declaration.readonly)


def _execute(info, db, uid, password, model, method, args, kwargs, session=None):
    if not isinstance(db, str) or not isinstance(model, str) or not isinstance(method, str):
        raise ProtocolError('db, model and method must be strings', -32602)
    registry = _registry(info, db)
    credentials = None
    if session is None:  # a web session was checked by execute_in_session
        credentials = security.CallCredentials(db, uid, password, info.remote_addr)
        credentials.prepare(registry)

    def work(cr, optimistic, readonly):
        if optimistic:
            current = registry.check_signals_at_commit(cr)
        else:
            current = registry.check_signals(cr)
        if credentials is not None:
            credentials.check(cr, current)
        model_cls = current.models.get(model)
        if model_cls is None:
            raise UserError("Object %s doesn't exist" % model)
        declaration = declared(model_cls, method)
        if readonly and not declaration.readonly:
            raise _ModeChanged()
        return _call(Environment(cr, uid, {}, current), model, declaration, args, kwargs)

    try:
        result = _run_call(db, registry, work, _readonly(registry, model, method), credentials)
    except psycopg2.IntegrityError as error:
        raise _integrity_error(registry, error) from None
    except psycopg2.errors.QueryCanceled as error:
        raise LimitExceeded(
            'The call was stopped: one of its database statements ran longer than %s (%s); its '
            'changes were rolled back.' % (_statement_limit(), str(error).strip().splitlines()[0])
        ) from None
    except psycopg2.Error as error:
        if _connection_lost(error):
            raise DatabaseUnavailable(
                'The connection to database %r was lost during the call (%s); its changes were '
                'rolled back, unless the connection broke while they were being committed. The '
                'server reconnects by itself: try again.'
                % (db, str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
            ) from None
        if isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            raise
        raise UserError(
            'The database refused the operation: %s' % (error.pgerror or str(error)).strip().splitlines()[0]
        ) from None
    finally:
        if credentials is not None:
            # a right password clears its count even when the call itself is refused
            credentials.finish()
    return result


def _run_call(db, registry, work, readonly, credentials):
    """:func:`_run_checked`, run again in a read-write transaction when the method stopped being
    read-only, or after reserving a password check when the credential cache emptied meanwhile."""
    for _attempt in range(3):
        try:
            return _run_checked(db, registry, work, readonly)
        except _ModeChanged:
            readonly = False
        except security.NeedsReservation:
            credentials.reserve()
    return _run_checked(db, registry, work, readonly)


def _registry(info, db):
    """The registry of ``db`` once it is known to be a database this server serves (``--db-filter``
    and the openerp-lite mark, checked before anything connects to it); refused like bad
    credentials otherwise, so a client learns nothing about the other databases of the cluster."""
    check_served(info, db)
    try:
        return Registry.get(db)
    except psycopg2.OperationalError:
        if not catalog_exists(db):
            raise not_served(info, db) from None
        raise


def _statement_limit():
    seconds = sql_db.statement_timeout()
    return '%g s (--limit-time-sql)' % seconds if seconds else 'its limit'


def _connection_lost(error):
    """True for a driver error saying the session went away: no SQLSTATE at all (the socket
    closed), a connection exception (08...) or an operator intervention (57..., e.g. a terminated
    backend or a server shutting down)."""
    if not isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return False
    code = getattr(error, 'pgcode', None)
    return code is None or code[:2] in ('08', '57')


#: seconds after a refused commit during which calls check the signals first instead of at
#: commit: while other processes signal changes in quick succession, paying one query is
#: cheaper than running calls twice
CHECK_FIRST_FOR = 1.0
_last_refusal = [float('-inf')]


def _run_checked(db, registry, work, readonly):
    """Run ``work`` checking the other processes' signals at commit (no extra round trip); when
    they moved — the commit guard refused, or the call failed and the signals say why it may
    have — run it again after bringing this process up to date first. Right after a refusal, the
    next calls check first."""
    if time.monotonic() - _last_refusal[0] < CHECK_FIRST_FOR:
        return sql_db.run_in_transaction(
            db,
            functools.partial(work, optimistic=False, readonly=readonly),
            attempts=SERIALIZATION_ATTEMPTS,
            readonly=readonly,
        )
    try:
        return sql_db.run_in_transaction(
            db,
            functools.partial(work, optimistic=True, readonly=readonly),
            attempts=SERIALIZATION_ATTEMPTS,
            readonly=readonly,
        )
    except sql_db.CommitRefused:
        _last_refusal[0] = time.monotonic()
    except (_ModeChanged, security.NeedsReservation):
        raise
    except Exception:
        try:
            moved = registry.signals_moved()
        except psycopg2.Error:
            moved = False
        if not moved:
            raise
    return sql_db.run_in_transaction(
        db,
        functools.partial(work, optimistic=False, readonly=readonly),
        attempts=SERIALIZATION_ATTEMPTS,
        readonly=readonly,
    )


def _call(env, model_name, declaration, args, kwargs):
    """Check the caller's declared rights, then call the method and shape its result."""
    model = env[model_name]
    records, args, single = binding.target(model, declaration, args)
    check_caller(records, declaration)
    call = binding.bind(records, declaration, args, kwargs, single)
    result = getattr(call.records, declaration.name)(*call.args, **call.kwargs)
    return binding.shape(declaration, call, result)


def _integrity_error(registry, error):
    diag = getattr(error, 'diag', None)
    name = getattr(diag, 'constraint_name', None)
    message = registry.sql_constraints.get(name)
    if message:
        return ValidationError(message)
    detail = (error.pgerror or str(error)).strip().splitlines()[0]
    code = getattr(error, 'pgcode', None)
    if code == '23502':
        column = getattr(diag, 'column_name', None)
        table = getattr(diag, 'table_name', None)
        return ValidationError(
            'The operation cannot be completed: a required field is missing (%s.%s).' % (table, column)
        )
    if code == '23503':
        return ValidationError(
            'The operation cannot be completed: another record still refers to '
            'this one, or a referenced record does not exist.\n%s' % detail
        )
    return ValidationError('The operation cannot be completed: %s' % detail)
