"""The field descriptor shared by every field type.

A field declared on a model class is a template: when the registry builds the final class of a
model, each field is set up for it (:meth:`Field.setup`), after merging the keyword arguments of
every declaration of that field name across ``_inherit`` extensions. Values live in the
transaction's cache (``env.cache``), keyed by model, field and id; a field reads its value from
there and asks the model to fetch missing ones in batch.
"""

import itertools

_creation_counter = itertools.count()

#: Attributes reported by ``fields_get`` when truthy (plus ``type`` always).
DESCRIPTION_ATTRS = (
    'string',
    'help',
    'required',
    'readonly',
    'store',
    'size',
    'digits',
    'selection',
    'relation',
    'relation_field',
    'groups',
    'translate',
    'depends',
    'related',
    'index',
    'company_dependent',
    'currency_field',
)


class Field:
    """Base class of field types. Keyword arguments are kept verbatim in ``self.args`` so that an
    extension of a model can redeclare a field with a few attributes changed."""

    type = None
    #: PostgreSQL column type; None for fields without a column (x2many, non-stored computed)
    column_type = None
    #: can the field hold a SQL NULL that reads back as ``False``
    group_operator = None

    _defaults = {
        'string': None,
        'help': None,
        'required': False,
        'readonly': False,
        'index': False,
        'copy': True,
        'default': None,
        'groups': None,
        'compute': None,
        'inverse': None,
        'store': True,
        'related': None,
        'depends': (),
        'states': None,
        'translate': False,
        'company_dependent': False,
        'group_operator': None,
        'prefetch': True,
        # internal fields (password hashes) are never read, written or searched through the ORM
        # API, superuser included: server code reaches their column with SQL
        'internal': False,
        # for a field taken over from an ``_inherits`` parent: the name of the link many2one
        'inherited': None,
        # a custom field, defined by an ir.model.fields row (modules.manual), not by code
        'manual': False,
    }

    def __init__(self, string=None, **kwargs):
        if string is not None:
            kwargs['string'] = string
        self.args = kwargs
        self._sequence = next(_creation_counter)
        self.name = None
        self.model_name = None
        self._apply_args(kwargs)

    def _apply_args(self, args):
        for key, value in self._defaults.items():
            setattr(self, key, value)
        for klass in reversed(type(self).__mro__):
            for key, value in getattr(klass, '_type_defaults', {}).items():
                setattr(self, key, value)
        for key, value in args.items():
            setattr(self, key, value)
        if self.related:
            self.store = args.get('store', False)
            self.readonly = args.get('readonly', True)
            self.copy = args.get('copy', False)
        elif self.compute:
            self.store = args.get('store', False)
            self.readonly = args.get('readonly', self.inverse is None)
            self.copy = args.get('copy', False)

    def new_for_model(self, model_name, extra_args=None):
        """A fresh copy of this field for ``model_name`` with ``extra_args`` applied on top."""
        args = dict(self.args)
        args.update(extra_args or {})
        field = type(self)(**args)
        field.name = self.name
        field.model_name = model_name
        field._sequence = self._sequence
        return field

    def __set_name__(self, owner, name):
        self.name = name

    def __repr__(self):
        return '%s.%s' % (self.model_name, self.name)

    # -- set-up ------------------------------------------------------------------------------
    def setup(self, model_cls):
        """Resolve what depends on the final model class (called once per registry)."""
        if not self.string:
            self.string = (
                self.name.replace('_id', '').replace('_', ' ').strip().title() if self.name != 'id' else 'ID'
            )
        if self.related:
            path = self.related.split('.') if isinstance(self.related, str) else list(self.related)
            self.related_path = path
            self.depends = ('.'.join(path),)
            self.compute = '_compute_related__' + self.name
        if isinstance(self.depends, str):
            self.depends = (self.depends,)
        if self.compute and not self.depends:
            method = getattr(model_cls, self.compute, None) if isinstance(self.compute, str) else self.compute
            self.depends = tuple(getattr(method, '_depends', ()))

    @property
    def column(self):
        """True when the field has a column in the model's table."""
        return self.store and self.column_type is not None

    def column_sql(self, alias, env):
        """SQL of this field's value in the row of ``alias``, as ``env`` reads it (a translated
        field reads its value in the environment's language)."""
        return '"%s"."%s"' % (alias, self.name)

    # -- value conversions -------------------------------------------------------------------
    def convert_to_column(self, value, record=None):
        """Value given to psycopg2 when writing ``value`` into the column."""
        if value is False or value is None:
            return None
        return value

    def convert_to_cache(self, value, env=None):
        """Normalise a value from the database or from a ``write`` for the cache."""
        return False if value is None else value

    def convert_to_record(self, value, record):
        """What ``record.field`` returns for a cached value."""
        return value

    def convert_to_read(self, value, record, load='_classic_read'):
        """What ``read()`` puts on the wire for a cached value."""
        return value

    def convert_to_write(self, value, record):
        """Turn a Python value assigned through ``record.field = value`` into write() input."""
        return value

    # -- descriptor protocol -------------------------------------------------------------------
    def __get__(self, record, owner):
        if record is None:
            return self
        if not record._ids:
            return self.empty_value(record)
        record.ensure_one()
        return self.convert_to_record(record._get_cached_value(self), record)

    def __set__(self, record, value):
        computing = record.env.transaction.computing
        if (record._name, self.name) in computing:
            # a compute method assigning its own field fills the cache: it is not a write, and
            # must not run a model's write() override (side effects, signals) when only reading
            record._cache_set(
                self.name,
                {rid: self.convert_to_cache(self.convert_to_write(value, record)) for rid in record._ids},
            )
            return
        record.write({self.name: self.convert_to_write(value, record)})

    def empty_value(self, record):
        return False

    # -- reflection ----------------------------------------------------------------------------
    def get_description(self, env):
        """The ``fields_get`` entry of this field."""
        desc = {'type': self.type, 'sortable': self.column or self.name == 'id'}
        for attr in DESCRIPTION_ATTRS:
            value = getattr(self, attr, None)
            if attr == 'relation':
                value = getattr(self, 'comodel_name', None)
            elif attr == 'relation_field':
                value = getattr(self, 'inverse_name', None)
            elif attr == 'digits':
                value = self.get_digits(env) if hasattr(self, 'get_digits') else None
            elif attr == 'selection':
                value = self.get_values(env) if hasattr(self, 'get_values') else None
            if attr == 'depends' and value:
                value = list(value)
            if value and not callable(value):
                desc[attr] = value
        desc['store'] = bool(self.store)
        desc['required'] = bool(self.required)
        desc['readonly'] = bool(self.readonly)
        desc['string'] = self.string
        return desc
