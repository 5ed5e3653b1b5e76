"""Composing the final model classes of a registry from the addons' declarations.

Each declaration class becomes a base of the final class, the latest-loaded module first, so a
method overridden in an extension reaches the original through ``super()``. Fields redeclared by
an extension are merged: the later declaration's keyword arguments update the earlier ones.
"""

from ..exceptions import UserError
from .fields_base import Field
from .fields_relational import Many2one
from .models import BaseModel, magic_fields
from .rpc import surface

#: fields every stored model has of its own, never taken over from an ``_inherits`` parent
MAGIC_FIELDS = ('create_uid', 'create_date', 'write_uid', 'write_date')
#: the classes of the ORM itself (its methods are declared there once for every model)
ORM_CORE = tuple(klass for klass in BaseModel.__mro__ if klass is not object)


def _as_list(value):
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def add_model_class(models, cls):
    """Add declaration ``cls`` to ``models`` (a dict name → final class) and return the new class."""
    parents = _as_list(cls._inherit)
    name = cls.__dict__.get('_name') or (parents[0] if len(parents) == 1 else None)
    if not name:
        raise UserError(
            'Model class %s.%s needs a _name or a single _inherit' % (cls.__module__, cls.__qualname__)
        )
    bases = [cls]
    for parent in parents:
        if parent not in models:
            raise UserError(
                'Model %s inherits from %s, which is not loaded (missing dependency '
                'in the manifest of module %s?)' % (name, parent, cls._module)
            )
        if models[parent] not in bases:
            bases.append(models[parent])
    if name in models and models[name] not in bases:
        bases.insert(1, models[name])
    original = models[name]._original_module if name in models else cls._module
    attrs = {
        '_name': name,
        '_register': False,
        '__module__': cls.__module__,
        '_original_module': original,
        '_table': cls.__dict__.get('_table') or _inherited_table(name, models, bases),
    }
    final = type(name.replace('.', '_'), tuple(bases), attrs)
    models[name] = final
    return final


def _inherited_table(name, models, bases):
    if name in models:
        return models[name]._table
    return name.replace('.', '_')


def setup_models(models):
    """Set up every final class of ``models``, the parents a model ``_inherits`` from first (it
    takes over their fields)."""
    done = set()

    def visit(name, chain=()):
        if name in done:
            return
        if name in chain:
            raise UserError('Models %s inherit from each other (_inherits)' % ' -> '.join(chain + (name,)))
        cls = models[name]
        for parent in cls._inherits or {}:
            if parent not in models:
                raise UserError('Model %s delegates to %s, which is not loaded (_inherits)' % (name, parent))
            visit(parent, chain + (name,))
        setup_model(cls, models)
        done.add(name)

    for name in list(models):
        visit(name)


#: attributes of a parent's field an inherited field keeps (what it is, not how it is stored)
_INHERITED_ARGS = (
    'string',
    'help',
    'selection',
    'comodel_name',
    'inverse_name',
    'relation',
    'column1',
    'column2',
    'digits',
    'size',
    'groups',
    'translate',
    'currency_field',
    'domain',
    'context',
    'attachment',
    'manual',
)


def _inherited_fields(model_cls, models, own):
    """The fields ``model_cls`` takes over from the models it ``_inherits`` from: each parent field
    it does not define itself, as a field related through the link (``partner_id.email``),
    readable and writable as if it were the model's own (``model_write`` sends the values on)."""
    result = {}
    for parent_name, link in (model_cls._inherits or {}).items():
        for fname, pfield in models[parent_name]._fields.items():
            if fname in own or fname in result or fname in ('id', 'display_name') or fname in MAGIC_FIELDS:
                continue
            args = {key: value for key, value in pfield.args.items() if key in _INHERITED_ARGS}
            args.update(
                related='%s.%s' % (link, fname),
                inherited=link,
                copy=pfield.copy,
                readonly=bool(pfield.readonly or (pfield.compute and not pfield.inverse)),
            )
            field = type(pfield)(**args)
            field.name, field.model_name, field._sequence = fname, model_cls._name, pfield._sequence
            field._module = getattr(pfield, '_module', None)
            result[fname] = field
    return result


def setup_model(model_cls, models=None):
    """Collect and set up the fields of a final class; find its constraint methods."""
    fields = _magic_fields_of(model_cls)
    for fname, (template, extra, module) in sorted(
        _declared_fields(model_cls).items(), key=lambda item: item[1][0]._sequence
    ):
        template.name = fname
        fields[fname] = template.new_for_model(model_cls._name, extra)
        fields[fname]._module = module
    for parent_name, link in (model_cls._inherits or {}).items():
        if link not in fields:  # the link is the delegate many2one, declared or not
            fields[link] = Many2one(parent_name, required=True, ondelete='cascade', string=parent_name)
            fields[link].name, fields[link].model_name = link, model_cls._name
    if models is not None:
        fields.update(_inherited_fields(model_cls, models, fields))
    model_cls._fields = fields
    for fname, field in fields.items():
        field.setup(model_cls)
        if field.related:
            field.compute = _related_compute(field)
        if fname != 'id':
            setattr(model_cls, fname, field)
    model_cls._constraint_methods = _constraint_methods(model_cls)
    model_cls._rpc_methods = surface(model_cls, ORM_CORE)


def _declared_fields(model_cls):
    """``{name: (template field, extra args, module)}`` over the class's MRO: a later class
    redefining a field with the same type adds to its arguments, with another type replaces it."""
    collected = {}
    for klass in reversed(model_cls.__mro__):
        for attr, value in vars(klass).items():
            if not isinstance(value, Field):
                continue
            previous = collected.get(attr)
            if previous is None or type(value) is not type(previous[0]):
                module = previous[2] if previous else vars(klass).get('_module', klass._module)
                collected[attr] = (value, {}, module)
            else:
                collected[attr][1].update(value.args)
    return collected


def _magic_fields_of(model_cls):
    """The fields every model has (``id``, ``display_name``), plus the log-access ones."""
    magic = magic_fields()
    names = ['id', 'display_name']
    if model_cls._log_access and not model_cls._abstract:
        names += ['create_uid', 'create_date', 'write_uid', 'write_date']
    fields = {}
    for fname in names:
        fields[fname] = magic[fname].new_for_model(model_cls._name)
        fields[fname].name = fname
    return fields


def _constraint_methods(model_cls):
    """``((method name, field names), ...)`` of the ``@api.constrains`` methods, most derived
    definition first."""
    constraints = []
    seen = set()
    for klass in model_cls.__mro__:
        for attr, value in vars(klass).items():
            names = getattr(value, '_constrains', None)
            if names and attr not in seen:
                seen.add(attr)
                constraints.append((attr, names))
    return tuple(constraints)


def _related_compute(field):
    def compute(records):
        records._compute_related(field)

    return compute


def build_triggers(models):
    """``{(model, field): [(dependent model, dependent field, path from it)]}`` for stored
    computed fields, so that a write knows which other records to recompute."""
    triggers = {}
    for model_name, model_cls in models.items():
        for field in model_cls._fields.values():
            if not (field.compute and field.store):
                continue
            for path in field.depends:
                parts = path.split('.')
                current = model_cls
                for position, part in enumerate(parts):
                    prefix = '.'.join(parts[:position])
                    triggers.setdefault((current._name, part), []).append((model_name, field, prefix))
                    sub_field = current._fields.get(part)
                    if sub_field is None:
                        raise UserError(
                            'Field %s depends on %r, which does not exist on %s'
                            % (field, path, current._name)
                        )
                    if sub_field.type not in ('many2one', 'one2many', 'many2many'):
                        break
                    comodel = models.get(sub_field.comodel_name)
                    if comodel is None:
                        break
                    if sub_field.type == 'one2many' and position + 1 < len(parts) + 1:
                        # creating or re-parenting a line changes the set the field sums over
                        triggers.setdefault((comodel._name, sub_field.inverse_name), []).append(
                            (model_name, field, '.'.join(parts[: position + 1]))
                        )
                    current = comodel
    return triggers
