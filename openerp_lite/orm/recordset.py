"""Recordset plumbing: a model instance is an ordered set of ids of one model in one environment."""

from ..exceptions import MissingError, UserError
from .rpc import rpc


class RecordSetMixin:
    """Set operations, iteration and environment switching shared by every model."""

    def __init__(self, env, ids, prefetch_ids=None):
        self.env = env
        self._ids = tuple(ids)
        self._prefetch_ids = prefetch_ids if prefetch_ids is not None else self._ids

    # -- identity ----------------------------------------------------------------------------
    @property
    def ids(self):
        return list(self._ids)

    @property
    def id(self):
        if not self._ids:
            return False
        self.ensure_one()
        return self._ids[0]

    @property
    def _cr(self):
        return self.env.cr

    @property
    def _uid(self):
        return self.env.uid

    @property
    def _context(self):
        return self.env.context

    @property
    def pool(self):
        return self.env.registry

    def browse(self, ids=()):
        """Records of this model with the given ids (an id, a list of ids, or nothing)."""
        if ids is None or ids is False:
            ids = ()
        elif isinstance(ids, int) and not isinstance(ids, bool):
            ids = (ids,)
        else:
            ids = tuple(ids)
        for rid in ids:
            if isinstance(rid, bool) or not isinstance(rid, int):
                raise UserError('Invalid record id %r for model %s' % (rid, self._name))
        return type(self)(self.env, ids)

    def ensure_one(self):
        if len(self._ids) != 1:
            raise ValueError('Expected a single record of %s, got %s' % (self._name, self))
        return self

    def __repr__(self):
        return '%s%r' % (self._name, self._ids)

    def __len__(self):
        return len(self._ids)

    def __bool__(self):
        return bool(self._ids)

    def __iter__(self):
        cls, env, prefetch = type(self), self.env, self._prefetch_ids
        for rid in self._ids:
            yield cls(env, (rid,), prefetch)

    def __contains__(self, item):
        return item._name == self._name and item.id in self._ids

    def __eq__(self, other):
        return (
            isinstance(other, RecordSetMixin)
            and other._name == self._name
            and set(other._ids) == set(self._ids)
        )

    def __hash__(self):
        return hash((self._name, frozenset(self._ids)))

    def __getitem__(self, key):
        if isinstance(key, str):
            return getattr(self, key) if key in self._fields else self._raise_key(key)
        if isinstance(key, slice):
            return type(self)(self.env, self._ids[key], self._prefetch_ids)
        return type(self)(self.env, (self._ids[key],), self._prefetch_ids)

    def _raise_key(self, key):
        raise KeyError('Model %s has no field %r' % (self._name, key))

    def __add__(self, other):
        return type(self)(self.env, self._ids + tuple(other._ids))

    def __or__(self, other):
        seen, ids = set(), []
        for rid in self._ids + tuple(other._ids):
            if rid not in seen:
                seen.add(rid)
                ids.append(rid)
        return type(self)(self.env, ids)

    def __and__(self, other):
        keep = set(other._ids)
        return type(self)(self.env, [rid for rid in self._ids if rid in keep])

    def __sub__(self, other):
        drop = set(other._ids)
        return type(self)(self.env, [rid for rid in self._ids if rid not in drop])

    # -- environment switching ---------------------------------------------------------------
    def with_env(self, env):
        return type(self)(env, self._ids, self._prefetch_ids)

    def with_context(self, *args, **kwargs):
        """The same records with ``kwargs`` merged into (or ``args[0]`` replacing) the context."""
        context = dict(args[0]) if args else dict(self.env.context)
        context.update(kwargs)
        return self.with_env(self.env(context=context))

    def sudo(self, flag=True):
        """The same records, bypassing access rights and record rules."""
        return self.with_env(self.env(su=bool(flag)))

    def with_user(self, user):
        return self.with_env(self.env(user=user, su=False))

    # -- functional helpers ------------------------------------------------------------------
    def mapped(self, func):
        """Apply ``func`` (a callable or a dotted field path) to every record."""
        if isinstance(func, str):
            recs = self
            for name in func.split('.'):
                recs = recs._map_field(name)
            return recs
        return [func(rec) for rec in self]

    def _map_field(self, name):
        field = self._fields.get(name)
        if field is None:
            self._raise_key(name)
        if field.type in ('many2one', 'one2many', 'many2many'):
            result = self.env[field.comodel_name]
            for rec in self:
                result |= rec[name]
            return result
        return [rec[name] for rec in self]

    def filtered(self, func):
        if isinstance(func, str):
            name = func
            func = lambda rec: any(rec.mapped(name))  # noqa: E731
        return type(self)(self.env, [rec.id for rec in self if func(rec)], self._prefetch_ids)

    def sorted(self, key=None, reverse=False):
        if key is None:
            ids = self.search([('id', 'in', self.ids)])._ids if self._ids else ()
            ids = tuple(reversed(ids)) if reverse else ids
            return type(self)(self.env, ids)
        if isinstance(key, str):
            name = key
            key = lambda rec: rec[name]  # noqa: E731
        return type(self)(self.env, [rec.id for rec in sorted(self, key=key, reverse=reverse)])

    @rpc('read', rules=False, params=())
    def exists(self):
        """The subset of these records that still exist in the database."""
        if not self._ids:
            return self
        self.env.cr.execute('SELECT id FROM "%s" WHERE id = ANY(%%s)' % self._table, (list(self._ids),))
        found = {row[0] for row in self.env.cr.fetchall()}
        return type(self)(self.env, [rid for rid in self._ids if rid in found])

    def _missing_error(self, ids):
        return MissingError(
            'Record does not exist or has been deleted.\n(Records: %s, Model: %s)' % (list(ids), self._name)
        )
