"""Binding the wire arguments of a model call to a declared method, and shaping its result.

Clients send the same call in several forms: Odoo's ``execute_kw(..., args, kwargs)``, OpenERP 7's
positional ``execute(..., *args)`` with the context in a trailing position, ``None``/``False``
for "not given", a bare id where a list of ids is expected. This module turns each into one Python
call of the method declared in ``orm.rpc``, and the method's return value into what OpenERP
clients expect (an id for ``create`` of one dict, a dict for ``read`` of one id, ``True`` for
``write``...). It decides nothing about rights: that is ``orm.rpc.check_caller``.
"""

import functools
import inspect
import re

from ..exceptions import ProtocolError, UserError

#: parameters that take a dict (a dict elsewhere in the positional arguments is the context)
DICT_PARAMS = frozenset(('vals', 'vals_list', 'default', 'translations'))
#: parameters where None or False from the wire means "use the default"
UNSET_WHEN_FALSY = frozenset(
    ('offset', 'limit', 'order', 'fields', 'orderby', 'allfields', 'attributes', 'args', 'domain', 'default')
)


class Call:
    """One model call after binding: ``records``, the Python ``args``/``kwargs``, and what the
    reply needs (``single``: the ids came as one bare id)."""

    __slots__ = ('records', 'args', 'kwargs', 'single')

    def __init__(self, records, args, kwargs, single):
        self.records, self.args, self.kwargs, self.single = records, args, kwargs, single


#: an id sent as text: ASCII digits only (no sign, blank or other digit script), at most 18 of
#: them, so it is a number PostgreSQL can compare with an id
_ID_TEXT = re.compile(r'[0-9]{1,18}')


def _one_id(value):
    """``value`` as a record id, or None when it is not one: an int (not a bool) or a string of
    digits, as some clients send ids they read from a URL or a form."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _ID_TEXT.fullmatch(value):
        return int(value)
    return None


def ids_of(value):
    """The list of record ids the wire sent (one id or a list of ids, each an int or a string of
    digits such as ``'42'``), else a user error."""
    if isinstance(value, (list, tuple)):
        ids = [_one_id(item) for item in value]
        if None not in ids:
            return ids
    else:
        one = _one_id(value)
        if one is not None:
            return [one]
    raise UserError('Invalid record ids %r: expected an id or a list of ids' % (value,))


def is_single_id(value):
    """True when the wire sent one bare id (an int or a string of digits), not a list."""
    return not isinstance(value, (list, tuple)) and _one_id(value) is not None


def target(model, declaration, args):
    """``(records, remaining args, single)``: the records a call addresses. A method on records
    takes its ids as the first argument; a model method gets the empty recordset."""
    if not declaration.records:
        return model, list(args), False
    if not args:
        raise ProtocolError(
            '%s.%s needs the record ids as first argument' % (model._name, declaration.name), -32602
        )
    ids = args[0]
    return model.browse(ids_of(ids)), list(args[1:]), is_single_id(ids)


def bind(records, declaration, args, kwargs, single=False):
    """The :class:`Call` of ``declaration`` on ``records`` for the wire ``args``/``kwargs``
    (the context, wherever it came, applied to the records); ``single`` as :func:`target` said."""
    kwargs = dict(kwargs)
    context = kwargs.pop('context', None)
    function = getattr(type(records), declaration.name)
    if declaration.params is not None:
        kwargs, positional_context = _bind_named(declaration, args, kwargs)
        context = context if context is not None else positional_context
        args = ()
    elif args and isinstance(args[-1], dict) and context is None and len(args) > _max_positional(function):
        # OpenERP 7 clients pass the context as the last argument of every method, addon methods
        # included; a method that has no room for it gets it as the context instead
        context, args = args[-1], args[:-1]
    if context is not None:
        if not isinstance(context, dict) or not all(isinstance(k, str) for k in context):
            raise UserError('The context must be a dict with string keys')
        records = records.with_context(context)
    _check_arguments(records, declaration.name, function, args, kwargs)
    return Call(records, tuple(args), kwargs, single)


def _bind_named(declaration, args, kwargs):
    """Map positional ``args`` onto the declared parameter names; a dict where no dict is
    expected is the context (OpenERP 7 puts it in any trailing position)."""
    names, method = declaration.params, declaration.name
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
    for key in declaration.required:
        if key not in bound:
            # worded as Python words it, which is what Odoo clients show for the same mistake
            raise ProtocolError("%s() missing 1 required positional argument: '%s'" % (method, key), -32602)
    for key in list(bound):
        if key in UNSET_WHEN_FALSY and (bound[key] is None or bound[key] is False):
            del bound[key]
    if method == 'create' and 'vals_list' not in bound:
        raise ProtocolError('create needs the values of the new record', -32602)
    return bound, context


def _check_arguments(records, method, function, args, kwargs):
    """Refuse a call whose arguments do not fit the method, before running it: a TypeError
    raised inside the method is a server bug, one raised here is the caller's mistake."""
    signature = _signature(function)
    if signature is None:
        return
    try:
        signature.bind(records, *args, **kwargs)
    except TypeError as error:
        raise ProtocolError('Invalid arguments for %s.%s: %s' % (records._name, method, error), -32602)


@functools.lru_cache(maxsize=4096)
def _signature(function):
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def _max_positional(function):
    """How many positional arguments ``function`` takes after ``self`` (a large number for *args)."""
    signature = _signature(function)
    if signature is None:
        return 1 << 30
    parameters = list(signature.parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 1 << 30
    return sum(1 for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


# -- the reply -----------------------------------------------------------------------------------


def shape(declaration, call, result):
    """What goes on the wire for ``result`` of ``call``: the declared shape, then recordsets as
    id lists and ``None`` as ``True``."""
    kind = declaration.result
    if kind == 'read' and call.single:
        return to_wire(result[0]) if result else False
    if kind == 'create' and hasattr(result, '_ids') and isinstance(call.kwargs.get('vals_list'), dict):
        return result.id
    if kind == 'id':
        return result.id if hasattr(result, '_ids') else result
    if kind == 'true':
        return True
    return to_wire(result)


def to_wire(result):
    """Recordsets become id lists; ``None`` means success."""
    if result is None:
        return True
    if hasattr(result, '_ids') and hasattr(result, '_name'):
        return list(result._ids)
    if isinstance(result, tuple):
        return [to_wire(item) for item in result]
    if isinstance(result, list):
        return [
            to_wire(item) if isinstance(item, (tuple, list)) or hasattr(item, '_ids') else item
            for item in result
        ]
    return result
