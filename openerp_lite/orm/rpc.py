"""The declared RPC surface: which model methods a client may call, and what each one needs.

Nothing is callable over RPC (XML-RPC, JSON-RPC, the web ``call_kw`` route) unless its model
declares it with :func:`rpc`, next to the method::

    @api.rpc(access='write')
    def action_confirm(self):
        ...

A declaration says what the caller must hold before the method runs: an access right on the
model (``access``: ``'read'``, ``'write'``, ``'create'``, ``'unlink'``, or None for "any
authenticated user") and optionally membership of one of ``groups`` (external ids). The object
service checks both *before* calling, so a method that uses ``sudo()`` or raw SQL cannot forget
to. For a method on records, the record rules of ``access`` are checked on the ids too, unless the
declaration says the method enforces them itself (``rules=False``, the ORM's own methods).
``readonly`` methods run in a ``READ ONLY`` transaction (the default for ``access='read'``).

The ORM's methods (``search``, ``read``, ``write``...) are declared once on the base model; an
override inherits the declaration of the method it overrides, and may replace it with a new
``@api.rpc``. :func:`surface` computes the final table of a model class when the registry is
built; the object service consults nothing else.
"""

from ..exceptions import AccessError

ACCESS_MODES = ('read', 'write', 'create', 'unlink')
#: how the object service turns a method's return value into the reply (see ``service.binding``)
RESULT_SHAPES = ('plain', 'read', 'create', 'id', 'true')
_UNSET = object()


class RpcMethod:
    """The declaration of one RPC-callable method (immutable once the registry is built)."""

    __slots__ = ('name', 'access', 'groups', 'readonly', 'rules', 'params', 'result', 'records', 'required')

    def __init__(
        self, access, groups=(), readonly=None, rules=True, params=None, result='plain', required=()
    ):
        if access is not None and access not in ACCESS_MODES:
            raise ValueError(
                'rpc access must be one of %s or None, not %r' % (', '.join(ACCESS_MODES), access)
            )
        if isinstance(groups, str):
            groups = tuple(g.strip() for g in groups.split(',') if g.strip())
        if any('.' not in group for group in groups):
            raise ValueError('rpc groups are external ids (module.name): %r' % (groups,))
        if result not in RESULT_SHAPES:
            raise ValueError('rpc result must be one of %s, not %r' % (', '.join(RESULT_SHAPES), result))
        self.name = None
        self.access = access
        self.groups = tuple(groups)
        self.readonly = (access == 'read') if readonly is None else bool(readonly)
        self.rules = bool(rules)
        #: wire names of the positional parameters (after the ids), for the OpenERP 7 forms;
        #: None: the Python signature of the method decides
        self.params = tuple(params) if params is not None else None
        #: wire parameters a client must send, even where the Python method has a default for
        #: the server's own callers (Odoo's ``search`` takes no call without its domain)
        self.required = tuple(required)
        if self.required and (self.params is None or not set(self.required) <= set(self.params)):
            raise ValueError('rpc required=%r must name declared params' % (self.required,))
        self.result = result
        #: True when the method works on records: ``args[0]`` holds the ids (set by surface())
        self.records = True

    def bound(self, name, function):
        """A copy of this declaration for method ``name`` whose first definition is ``function``."""
        copy = RpcMethod.__new__(RpcMethod)
        for slot in RpcMethod.__slots__:
            setattr(copy, slot, getattr(self, slot))
        copy.name = name
        copy.records = getattr(function, '_api', None) not in ('model', 'model_create')
        return copy

    def describe(self):
        """A plain dict of the declaration (for reports and tests)."""
        return {
            'access': self.access,
            'groups': list(self.groups),
            'readonly': self.readonly,
            'records': self.records,
            'rules': self.rules,
        }

    def __repr__(self):
        return 'RpcMethod(%s, access=%r, groups=%r, readonly=%r)' % (
            self.name,
            self.access,
            self.groups,
            self.readonly,
        )


def rpc(access=_UNSET, groups=(), readonly=None, rules=True, params=None, result='plain', required=()):
    """Declare the decorated model method callable over RPC (see the module docstring).

    ``access`` is required: an access right on the model, or None for any authenticated user.
    ``required``: names among ``params`` a call must give (``None`` or ``False`` count as given).
    """
    if access is _UNSET:
        raise TypeError(
            'api.rpc needs access=: an access right on the model '
            "('read', 'write', 'create', 'unlink') or None for any authenticated user"
        )
    declaration = RpcMethod(access, groups, readonly, rules, params, result, required)

    def decorate(method):
        if method.__name__.startswith('_'):
            raise ValueError(
                '%s: a method whose name starts with "_" is private and cannot be '
                'declared for RPC' % method.__qualname__
            )
        method._rpc = declaration
        return method

    return decorate


def surface(model_cls, orm_core=()):
    """``{method name: RpcMethod}`` of a final model class, from its bases' declarations.

    Walks the classes from the most basic to the most derived: a declaration applies from the
    class that makes it on, an override without ``@api.rpc`` keeps it, ``@api.private`` or an
    attribute that is not a method withdraws it. An abstract model has no rows: the ORM's own
    declarations (the classes ``orm_core``) do not apply to it, only what its addons declare.
    """
    declared = {}
    first_definition = {}
    skipped = set(orm_core) if model_cls._abstract else set()
    for klass in reversed(model_cls.__mro__):
        if klass in skipped:
            continue
        for name, value in vars(klass).items():
            declaration = getattr(value, '_rpc', None) if callable(value) else None
            if declaration is not None:
                first_definition.setdefault(name, value)
                declared[name] = declaration.bound(name, first_definition[name])
            elif name in declared and (not callable(value) or getattr(value, '_private', False)):
                del declared[name]
                first_definition.pop(name, None)
    return declared


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


def is_readonly(model_cls, method):
    """Whether ``method`` of ``model_cls`` (None: no such model) is declared read-only."""
    declaration = model_cls._rpc_methods.get(method) if model_cls is not None else None
    return bool(declaration is not None and declaration.readonly)


def check_caller(records, declaration):
    """Raise AccessError unless the user of ``records`` holds what ``declaration`` asks for.

    Runs before the method, whatever the method itself does later: the declared groups, the
    declared access right on the model and, for a method on records, the record rules of that
    right on the ids (unless the method checks them itself). The superuser holds everything.
    """
    env = records.env
    if env.su:
        return
    if declaration.groups:
        mine = env['res.users']._user_group_xmlids(env.uid)
        if not any(group in mine for group in declaration.groups):
            raise AccessError(
                '%s.%s is reserved to the members of %s.'
                % (records._name, declaration.name, ', '.join(declaration.groups))
            )
    if declaration.access is not None:
        records.check_access_rights(declaration.access)
        if declaration.rules and declaration.records and records._ids:
            records.check_access_rule(declaration.access)
