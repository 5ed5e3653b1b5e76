"""Model base classes and the metaclass that records each addon's model declarations.

A class body declares or extends a model; the registry later composes the final class of each
model from every declaration of the installed modules, in load order (see ``orm.builder``).
"""

import collections
import logging

from . import fields_basic, fields_relational
from .model_group import GroupMixin
from .model_read import ReadMixin
from .model_schema import SchemaMixin
from .model_translate import TranslateMixin
from .model_write import WriteMixin
from .recordset import RecordSetMixin

_logger = logging.getLogger(__name__)

ADDONS_PACKAGE = 'openerp_lite.addons.'


class MetaModel(type):
    """Remembers every model class declared by an addon, keyed by the addon's name."""

    module_to_models = collections.defaultdict(list)

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        if not attrs.get('_register', True):
            return
        module = attrs.get('_module')
        if module is None:
            if not cls.__module__.startswith(ADDONS_PACKAGE):
                return  # a class outside any addon: usable only if registered explicitly
            module = cls.__module__[len(ADDONS_PACKAGE) :].split('.')[0]
        cls._module = module
        if cls not in MetaModel.module_to_models[module]:
            MetaModel.module_to_models[module].append(cls)


class BaseModel(
    RecordSetMixin, ReadMixin, GroupMixin, WriteMixin, TranslateMixin, SchemaMixin, metaclass=MetaModel
):
    """Behaviour common to every model. Its methods are the ORM API; over RPC only the methods
    declared with ``@api.rpc`` are reachable (``orm.rpc``)."""

    _register = False
    _name = None
    _inherit = None
    #: ``{parent model: many2one field}``: delegation, the model has every field of each parent
    #: through the record the link points to (a user is a partner)
    _inherits = {}
    #: a custom model, defined by an ir.model row (``modules.manual``), not by code
    _custom = False
    _description = None
    _order = 'id'
    _rec_name = None
    _table = None
    _sql_constraints = []
    _auto = True
    _abstract = True
    _transient = False
    _log_access = True
    _parent_name = 'parent_id'
    #: cache kinds (``registry.CACHE_KINDS``) that any create, write or unlink of this model
    #: clears, here and, once the transaction commits, in every other process
    _invalidates = ()
    _module = None
    _original_module = None

    # filled by the builder on final classes
    _fields = {}
    _constraint_methods = ()
    #: ``{name: rpc.RpcMethod}``: the methods callable over RPC and what each needs (``orm.rpc``)
    _rpc_methods = {}

    @classmethod
    def _declaring_modules(cls):
        """Comma-separated modules that declare or extend this model, in load order."""
        names = []
        for klass in reversed(cls.__mro__):
            module = vars(klass).get('_module')
            if module and module not in names:
                names.append(module)
        return ', '.join(names)

    def _compute_related(self, field):
        """Follow ``field.related_path`` from each record and store the value in the cache."""
        path = field.related_path
        values = {}
        for record in self.sudo():
            value = record
            for name in path[:-1]:
                value = value[name][:1] if value else value[name]
            last = (
                value[path[-1]]
                if value
                else value._fields[path[-1]].empty_value(value)
                if hasattr(value, '_fields')
                else False
            )
            if hasattr(last, '_ids'):
                last = last.id if field.type == 'many2one' else tuple(last.ids)
            values[record.id] = field.convert_to_cache(last)
        self._cache_set(field.name, values)

    def _transient_vacuum(self, force=False):
        """Delete old transient rows: past the age limit, or beyond the count limit.

        Rows touched in the last five minutes always stay, so a wizard in use is never lost.
        """
        if not self._transient:
            return 0
        registry = self.env.registry
        counter = registry.__dict__.setdefault('transient_counter', collections.Counter())
        counter[self._name] += 1
        if not force and counter[self._name] % 100 != 1:
            return 0
        cr = self.env.cr
        age = float(registry.transient_age_limit or 0)
        count_limit = int(registry.transient_count_limit or 0)
        deleted = 0
        if age:
            cr.execute(
                'DELETE FROM "%s" WHERE COALESCE(write_date, create_date) < '
                "(now() at time zone 'UTC') - make_interval(secs => %%s) "
                "AND COALESCE(write_date, create_date) < (now() at time zone 'UTC') - interval '5 minutes'"
                % self._table,
                (age * 3600,),
            )
            deleted += cr.rowcount
        if count_limit:
            cr.execute(
                'DELETE FROM "%s" WHERE id IN (SELECT id FROM "%s" ORDER BY id DESC OFFSET %%s) '
                "AND COALESCE(write_date, create_date) < (now() at time zone 'UTC') - interval '5 minutes'"
                % (self._table, self._table),
                (count_limit,),
            )
            deleted += cr.rowcount
        if deleted:
            self.env.transaction.invalidate(self._name)
            _logger.info('vacuumed %d transient rows of %s', deleted, self._name)
        return deleted


class AbstractModel(BaseModel):
    """A model without a table: shared fields and methods for other models to inherit."""

    _register = False
    _abstract = True


class Model(AbstractModel):
    """A regular model, stored in its own table."""

    _register = False
    _abstract = False


class TransientModel(Model):
    """Wizard rows: stored in PostgreSQL so any worker can continue them, readable only by their
    creator, and vacuumed by age and count."""

    _register = False
    _transient = True


def magic_fields():
    """Fields every stored model gets: id and the log-access columns."""
    return {
        'id': fields_basic.Integer('ID', readonly=True),
        'create_uid': fields_relational.Many2one(
            'res.users', 'Created by', readonly=True, ondelete='set null'
        ),
        'create_date': fields_basic.Datetime('Created on', readonly=True),
        'write_uid': fields_relational.Many2one(
            'res.users', 'Last Updated by', readonly=True, ondelete='set null'
        ),
        'write_date': fields_basic.Datetime('Last Updated on', readonly=True),
        'display_name': fields_basic.Char('Display Name', compute='_compute_display_name'),
    }
