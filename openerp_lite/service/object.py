"""The ``object`` service: ``execute`` and ``execute_kw`` on model methods, put together.

Each part has a module of its own: what a client may call and the rights it needs is the declared
RPC surface (``orm.rpc``: undeclared and private names are refused with an access error naming
them, the caller's groups, access right and record rules are checked before the method runs);
argument forms and result shapes are ``binding``'s; the credentials ``security``'s; what a
database error means for the client ``sql_errors``'; which hot standby may serve a read, and
when it has caught up, ``sql_replica``'s. This module runs the call in one transaction —
``READ ONLY`` for a method declared read-only, on a caught-up standby when there are any, unless
a call of the same request wrote before — with one retry loop (``sql_db.run_in_transaction``)
for serialization failures and for this service's own reasons to run a call again
(:class:`_Attempts`).
"""

import logging
import time

import psycopg2
import psycopg2.errors

from .. import sql_db, sql_errors, sql_replica
from ..exceptions import ProtocolError, UserError
from ..orm.environment import Environment
from ..orm.rpc import check_caller, declared, is_readonly
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


def _readonly(registry, model, method):
    """Whether the call will run read-only, from the registry this process has now (checked
    again against the current one inside the transaction)."""
    return is_readonly(registry.models.get(model), method)


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

    readonly = _readonly(registry, model, method)
    on_standby = readonly and not info.wrote and sql_replica.configured()
    if not readonly:
        info.wrote = True
    attempts = _Attempts(registry, credentials, readonly, on_standby)
    try:
        return attempts.execute(db, work)
    except psycopg2.Error as error:
        translated = sql_errors.client_error(error, db, _statement_limit(), registry.sql_constraints)
        if translated is None:
            raise
        raise translated from None
    finally:
        if credentials is not None:
            # a right password clears its count even when the call itself is refused
            credentials.finish()


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


#: seconds after a refused commit during which calls check the signals first instead of at
#: commit: while other processes signal changes in quick succession, paying one query is
#: cheaper than running calls twice
CHECK_FIRST_FOR = 1.0
_last_refusal = [float('-inf')]


class _Attempts:
    """What the attempts of one call share, and the reasons to run it again at once (besides the
    serialization failures :func:`sql_db.run_in_transaction` retries itself, in the same loop and
    budget).

    A call first checks the other processes' signals at commit (no extra round trip); when they
    moved — the commit guard refused, or the call failed and the signals say why it may have — it
    runs again after bringing this process up to date first. Right after a refusal, the next calls
    of the process check first. A call that found its method no longer read-only runs again
    read-write (on the primary); one that found the credential cache emptied runs again after
    reserving a password check. A read-only call may run on a hot standby that has caught up with
    the primary (``sql_replica``), else on the primary.
    """

    def __init__(self, registry, credentials, readonly, on_standby=False):
        self.registry = registry
        self.credentials = credentials
        self.mode_readonly = readonly
        self.on_standby = on_standby
        self.optimistic = time.monotonic() - _last_refusal[0] >= CHECK_FIRST_FOR

    def readonly(self):
        return self.mode_readonly

    def run(self, work):
        return lambda cr: work(cr, self.optimistic, self.mode_readonly)

    def execute(self, db, work):
        if self.on_standby:
            try:
                return sql_replica.run_read_only(db, self.run(work), SERIALIZATION_ATTEMPTS, again=self.again)
            except _ModeChanged:
                pass  # the method is no longer read-only: on the primary, read-write
        return sql_db.run_in_transaction(
            db, self.run(work), attempts=SERIALIZATION_ATTEMPTS, readonly=self.readonly, again=self.again
        )

    def again(self, error):
        if isinstance(error, _ModeChanged):
            self.mode_readonly = False
            if self.on_standby:
                self.on_standby = False
                return False  # leaves the standby for the primary (execute)
            return True
        if isinstance(error, security.NeedsReservation):
            self.credentials.reserve()
            return True
        if not self.optimistic:
            return False
        if isinstance(error, sql_db.CommitRefused):
            _last_refusal[0] = time.monotonic()
        else:
            try:
                if not self.registry.signals_moved():
                    return False
            except psycopg2.Error:
                return False
        self.optimistic = False
        return True


def _call(env, model_name, declaration, args, kwargs):
    """Check the caller's declared rights, then call the method and shape its result."""
    model = env[model_name]
    records, args, single = binding.target(model, declaration, args)
    check_caller(records, declaration)
    call = binding.bind(records, declaration, args, kwargs, single)
    result = getattr(call.records, declaration.name)(*call.args, **call.kwargs)
    return binding.shape(declaration, call, result)
