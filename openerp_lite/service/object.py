"""The ``object`` service: ``execute`` and ``execute_kw`` on model methods.

This is where RPC exposure is decided, once for every model: the ORM methods listed in
:data:`SIGNATURES` and public methods that addons define are callable; anything starting with
``_``, marked ``@api.private``, or belonging to the ORM's internal API is not. Each call runs in
one transaction, retried from scratch on a serialization failure (``sql_db.run_in_transaction``).
Positional arguments are accepted in the OpenERP 7 forms (context in any trailing position) and in
the Odoo 8+ forms, and ``None``/``False`` mean "not given" for limits, orders and field lists.
"""

import functools
import inspect
import logging

import psycopg2

from .. import sql_db
from ..exceptions import (
    AccessDenied,
    AccessError,
    DatabaseUnavailable,
    ProtocolError,
    UserError,
    ValidationError,
)
from ..orm.environment import Environment
from ..orm.models import BaseModel
from ..registry import Registry
from . import security
from .base import call_exposed, check_db_allowed

_logger = logging.getLogger(__name__)

#: parameters after the ids (record methods) of the ORM methods reachable over RPC, Odoo 8+ order
SIGNATURES = {
    'create': ('vals_list',),
    'read': ('fields', 'load'),
    'write': ('vals',),
    'unlink': (),
    'search': ('domain', 'offset', 'limit', 'order', 'count'),
    'search_count': ('domain',),
    'search_read': ('domain', 'fields', 'offset', 'limit', 'order'),
    'read_group': ('domain', 'fields', 'groupby', 'offset', 'limit', 'orderby', 'lazy'),
    'name_get': (),
    'name_search': ('name', 'args', 'operator', 'limit'),
    'name_create': ('name',),
    'fields_get': ('allfields', 'attributes'),
    'fields_get_keys': (),
    'default_get': ('fields_list',),
    'copy': ('default',),
    'exists': (),
    'check_access_rights': ('operation', 'raise_exception'),
    'check_access_rule': ('operation',),
}
RECORD_METHODS = frozenset(('read', 'write', 'unlink', 'name_get', 'copy', 'exists', 'check_access_rule'))
DICT_PARAMS = frozenset(('vals', 'vals_list', 'default'))
#: parameters where None or False from the wire means "use the default"
UNSET_WHEN_FALSY = frozenset(('offset', 'limit', 'order', 'fields', 'orderby', 'allfields',
                              'attributes', 'args', 'domain', 'default'))
#: tries of one call when concurrent transactions update the same rows: eight clients hammering
#: one row (the concurrency test) lose about half their rounds, so five tries left ~3% of calls
#: failing; twenty make a failure vanishingly rare (the back-off is capped at one second)
SERIALIZATION_ATTEMPTS = 20
_ORM_CORE = tuple(klass for klass in BaseModel.__mro__ if klass is not object)


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
    raise UserError('Workflows are not supported by this server: call the model method instead '
                    '(e.g. %s.%s).' % (model, signal))


_FUNCTIONS = {'execute': execute, 'execute_kw': execute_kw, 'exec_workflow': exec_workflow}


# -- the call ------------------------------------------------------------------------------------

def execute_in_session(info, sid, model, method, args, kwargs):
    """``execute_kw`` for the web routes: web session ``sid`` stands for ``(db, uid, password)``.

    Not reachable over ``/xmlrpc`` or ``/jsonrpc`` (absent from the exposed functions).
    """
    checked = security.check_session(sid, getattr(info.options, 'session_timeout', 0))
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise ProtocolError('call_kw: args must be a list and kwargs a dict', -32602)
    return _execute(info, checked.db, checked.uid, None, model, method, list(args), dict(kwargs),
                    session=checked)


def _execute(info, db, uid, password, model, method, args, kwargs, session=None):
    if not isinstance(db, str) or not isinstance(model, str) or not isinstance(method, str):
        raise ProtocolError('db, model and method must be strings', -32602)
    check_db_allowed(info, db)
    registry = _registry(db)

    def work(cr, optimistic):
        if optimistic:
            current = registry.check_signals_at_commit(cr)
        else:
            current = registry.check_signals(cr)
        if session is None:  # a web session was checked by execute_in_session
            security.check(cr, current, uid, password)
        model_cls = current.models.get(model)
        if model_cls is None:
            raise UserError("Object %s doesn't exist" % model)
        _check_exposed(model_cls, method)
        result = _call(Environment(cr, uid, {}, current), model, method, args, kwargs)
        return _to_wire(result)

    try:
        result = _run_checked(db, registry, work)
    except psycopg2.IntegrityError as error:
        raise _integrity_error(registry, error) from None
    except psycopg2.Error as error:
        if _connection_lost(error):
            raise DatabaseUnavailable(
                'The connection to database %r was lost during the call (%s); its changes were '
                'rolled back, unless the connection broke while they were being committed. The '
                'server reconnects by itself: try again.'
                % (db, str(error).strip().splitlines()[0] if str(error).strip() else
                   type(error).__name__)) from None
        if isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            raise
        raise UserError('The database refused the operation: %s'
                        % (error.pgerror or str(error)).strip().splitlines()[0]) from None
    return result


def _registry(db):
    """The registry of ``db``; a database that does not exist is refused like bad credentials
    (as ``--db-filter`` does), not reported as a driver error."""
    try:
        return Registry.get(db)
    except psycopg2.OperationalError:
        from .common import _database_missing
        if _database_missing(db):
            raise AccessDenied() from None
        raise


def _connection_lost(error):
    """True for a driver error saying the session went away: no SQLSTATE at all (the socket
    closed), a connection exception (08...) or an operator intervention (57..., e.g. a terminated
    backend or a server shutting down)."""
    if not isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return False
    code = getattr(error, 'pgcode', None)
    return code is None or code[:2] in ('08', '57')


def _run_checked(db, registry, work):
    """Run ``work`` checking the other processes' signals at commit (no extra round trip); when
    they moved — the commit guard refused, or the call failed and the signals say why it may
    have — run it again after bringing this process up to date first."""
    try:
        return sql_db.run_in_transaction(db, functools.partial(work, optimistic=True),
                                         attempts=SERIALIZATION_ATTEMPTS)
    except sql_db.CommitRefused:
        pass
    except Exception:
        try:
            moved = registry.signals_moved()
        except psycopg2.Error:
            moved = False
        if not moved:
            raise
    return sql_db.run_in_transaction(db, functools.partial(work, optimistic=False),
                                     attempts=SERIALIZATION_ATTEMPTS)


def _check_exposed(model_cls, method):
    if not method or method.startswith('_'):
        raise AccessError('Private methods (such as %s) cannot be called remotely.' % method)
    if method in SIGNATURES:
        return
    for klass in model_cls.__mro__:
        if method in vars(klass):
            function = vars(klass)[method]
            if klass in _ORM_CORE or not callable(function) or getattr(function, '_private', False):
                break
            return
    raise ProtocolError('Method not found: %s.%s (or not callable over RPC)' % (model_cls._name, method),
                        -32601)


def _call(env, model_name, method, args, kwargs):
    kwargs = dict(kwargs)
    context = kwargs.pop('context', None)
    model = env[model_name]
    function = getattr(type(model), method)
    record_call = method in RECORD_METHODS or (method not in SIGNATURES and
                                               getattr(function, '_api', None) != 'model')
    single = False
    if record_call:
        if not args:
            raise ProtocolError('%s.%s needs the record ids as first argument' % (model_name, method), -32602)
        ids, args = args[0], args[1:]
        single = isinstance(ids, int) and not isinstance(ids, bool)
        records = model.browse(_ids(ids))
    else:
        records = model
    if method in SIGNATURES:
        kwargs, positional_context = _bind(method, SIGNATURES[method], args, kwargs)
        context = context if context is not None else positional_context
        args = ()
    elif args and isinstance(args[-1], dict) and context is None and \
            len(args) > _max_positional(function):
        # OpenERP 7 clients pass the context as the last argument of every method, addon methods
        # included; a method that has no room for it gets it as the context instead
        context, args = args[-1], args[:-1]
    if context is not None:
        if not isinstance(context, dict) or not all(isinstance(k, str) for k in context):
            raise UserError('The context must be a dict with string keys')
        records = records.with_context(context)
    # ORM methods too: read_group without its groupby is the caller's mistake, not a server error
    _check_arguments(model_name, method, function, records, args, kwargs)
    result = getattr(records, method)(*args, **kwargs)
    if method == 'read' and single:
        return result[0] if result else False
    if method == 'create' and hasattr(result, '_ids') and isinstance(kwargs.get('vals_list'), dict):
        return result.id
    if method == 'copy':
        return result.id
    if method == 'write' or method == 'unlink':
        return True
    return result


def _check_arguments(model_name, method, function, records, args, kwargs):
    """Refuse a call whose arguments do not fit the method, before running it: a TypeError
    raised inside the method is a server bug, one raised here is the caller's mistake."""
    signature = _signature(function)
    if signature is None:
        return
    try:
        signature.bind(records, *args, **kwargs)
    except TypeError as error:
        raise ProtocolError('Invalid arguments for %s.%s: %s' % (model_name, method, error), -32602)


@functools.lru_cache(maxsize=4096)
def _signature(function):
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def _max_positional(function):
    """How many positional arguments ``function`` takes after ``self`` (a large number for *args)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return 1 << 30
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 1 << 30
    return sum(1 for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _ids(value):
    if isinstance(value, bool) or value is None:
        raise UserError('Invalid record ids %r' % (value,))
    if isinstance(value, int):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    raise UserError('Invalid record ids %r: expected an id or a list of ids' % (value,))


def _bind(method, names, args, kwargs):
    """Map positional ``args`` onto ``names``; a dict where no dict is expected is the context."""
    bound, context, position = {}, None, 0
    for value in args:
        if isinstance(value, dict) and (position >= len(names) or names[position] not in DICT_PARAMS):
            context = value
            continue
        if position >= len(names):
            raise ProtocolError('%s takes at most %d arguments' % (method, len(names)), -32602)
        bound[names[position]] = value
        position += 1
    for key, value in kwargs.items():
        if key not in names:
            raise ProtocolError('%s got an unexpected keyword argument %r' % (method, key), -32602)
        if key in bound:
            raise ProtocolError('%s got several values for %r' % (method, key), -32602)
        bound[key] = value
    for key in list(bound):
        if key in UNSET_WHEN_FALSY and (bound[key] is None or bound[key] is False):
            del bound[key]
    if method == 'create' and 'vals_list' not in bound:
        raise ProtocolError('create needs the values of the new record', -32602)
    return bound, context


def _to_wire(result):
    """Recordsets become id lists; ``None`` means success."""
    if result is None:
        return True
    if hasattr(result, '_ids') and hasattr(result, '_name'):
        return list(result._ids)
    if isinstance(result, tuple):
        return [_to_wire(item) for item in result]
    if isinstance(result, list):
        return [_to_wire(item) if isinstance(item, (tuple, list)) or hasattr(item, '_ids') else item
                for item in result]
    return result


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
        return ValidationError('The operation cannot be completed: a required field is missing '
                               '(%s.%s).' % (table, column))
    if code == '23503':
        return ValidationError('The operation cannot be completed: another record still refers to '
                               'this one, or a referenced record does not exist.\n%s' % detail)
    return ValidationError('The operation cannot be completed: %s' % detail)
