"""Models and fields: reflected from the code, or custom ones defined over the API.

Rows of state ``base`` mirror the registry and are kept by the loader; clients cannot change or
delete them (upgrade or uninstall the module instead). Rows of state ``manual`` are the
definition of custom models and fields (``openerp_lite.modules.manual``): creating, changing or
deleting one alters the tables in the same transaction and rebuilds the registry, which every
process reloads once the transaction commits.
"""

import contextlib
import logging

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, UserError
from openerp_lite.modules import manual

_logger = logging.getLogger(__name__)

STATES = [('base', 'Base Object'), ('manual', 'Custom Object')]
FIELD_TYPES = [(name, name) for name in manual.FIELD_TYPES]

#: what the loader reflects from the code: a client may not change it on a ``base`` row
REFLECTED_MODEL_COLUMNS = ('name', 'model', 'state', 'transient', 'abstract', 'modules')
#: what defines a custom field's storage: changing it would need its data converted
FIXED_FIELD_COLUMNS = (
    'model',
    'model_id',
    'ttype',
    'state',
    'relation',
    'relation_field',
    'relation_table',
    'column1',
    'column2',
    'currency_field',
)


def _manual_default():
    # callable: adding the column to an existing database must not mark its rows custom
    return 'manual'


@contextlib.contextmanager
def custom_change(env, model_names):
    """Around a change of custom models or fields: once the outermost one succeeds, rebuild the
    registry (tables of ``model_names`` altered, every process signalled). Nested changes (the
    fields a new model is created with) wait for the outer one."""
    data = env.cr.transaction_data
    pending = data.setdefault('custom_models_changed', set())
    pending.update(model_names)
    depth = data.get('custom_change_depth', 0)
    data['custom_change_depth'] = depth + 1
    try:
        yield
    finally:
        data['custom_change_depth'] = depth
    if depth == 0:
        names = sorted(data.pop('custom_models_changed', ()))
        env.registry.rebuild(env.cr, names)
        env['ir.model.fields']._reflect_custom_models(names)


def custom_changed(env, model_names):
    """Record that custom definitions of ``model_names`` changed (rebuilt as :func:`custom_change`
    does)."""
    with custom_change(env, model_names):
        pass


class IrModel(models.Model):
    _name = 'ir.model'
    _description = 'Models'
    _order = 'model'
    _rec_name = 'name'

    name = fields.Char('Model Description', required=True)
    model = fields.Char('Model', required=True, index=True)
    info = fields.Text('Information')
    field_id = fields.One2many('ir.model.fields', 'model_id', 'Fields')
    access_ids = fields.One2many('ir.model.access', 'model_id', 'Access')
    transient = fields.Boolean('Transient Model')
    abstract = fields.Boolean('Abstract Model')
    modules = fields.Char('In Modules', help='Modules that declare or extend this model')
    state = fields.Selection(STATES, 'Type', default=_manual_default)

    _sql_constraints = [('model_uniq', 'unique (model)', 'Each model must be unique!')]

    # -- reflection (the loader) -------------------------------------------------------------------
    @api.model
    def _reflect_registry(self):
        """Bring ir.model / ir.model.fields (and their external ids) in line with the registry;
        custom models are defined by their rows and left as they are."""
        registry = self.env.registry
        cr = self.env.cr
        cr.execute('SELECT model, id FROM ir_model')
        existing = dict(cr.fetchall())
        data = self.env['ir.model.data']
        for name, cls in sorted(registry.models.items()):
            if cls._custom:
                continue
            values = {
                'name': cls._description or name,
                'transient': bool(cls._transient),
                'abstract': bool(cls._abstract),
                'modules': cls._declaring_modules(),
            }
            if name in existing:
                model_id = existing[name]
                cr.execute(
                    'UPDATE ir_model SET name = %s, transient = %s, abstract = %s, modules = %s, '
                    "state = 'base' WHERE id = %s",
                    (values['name'], values['transient'], values['abstract'], values['modules'], model_id),
                )
            else:
                model_id = self.sudo()._create_reflected(dict(values, model=name, state='base')).id
                existing[name] = model_id
            data._ensure_xmlid(
                cls._original_module, 'model_%s' % name.replace('.', '_'), 'ir.model', model_id
            )
        self.env['ir.model.fields']._reflect_fields(existing)
        self.env.transaction.invalidate('ir.model')

    def _create_reflected(self, values):
        """Create the row of a model of the code (the loader only: the flag lives in the
        transaction, out of any client's reach)."""
        self.env.transaction.reflecting = True
        try:
            return self.create(values)
        finally:
            self.env.transaction.reflecting = False

    # -- custom models over the API ----------------------------------------------------------------
    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        if self.env.transaction.reflecting:
            return super().create(vals_list)
        prepared = [self._custom_model_values(vals) for vals in vals_list]
        with custom_change(self.env, [vals['model'] for vals in prepared]):
            records = super().create(prepared)
            group = self.env.ref('base.group_system', raise_if_not_found=False)
            for record in records:
                # its creators may use it; rights for other groups are the administrator's call
                self.env['ir.model.access'].sudo().create(
                    {
                        'name': 'access_%s_system' % manual.table_of(record.model),
                        'model_id': record.id,
                        'group_id': group.id if group else False,
                        'perm_read': True,
                        'perm_write': True,
                        'perm_create': True,
                        'perm_unlink': True,
                    }
                )
        return records

    def _custom_model_values(self, vals):
        vals = dict(vals)
        if vals.setdefault('state', 'manual') != 'manual':
            raise AccessError(
                "Models of state 'base' are reflected from the code of their "
                'module; a model created over the API is a custom one '
                "(state 'manual')."
            )
        name = vals.get('model')
        if (
            not isinstance(name, str)
            or not manual.MODEL_NAME.match(name)
            or len(name) > manual.MAX_IDENTIFIER
        ):
            raise UserError(
                'The name of a custom model must start with x_ and use lowercase '
                'letters, digits, underscores and dots (at most %d characters): %r'
                % (manual.MAX_IDENTIFIER, name)
            )
        if name in self.env.registry.models or self.sudo().search_count([('model', '=', name)]):
            raise UserError('A model named %s already exists.' % name)
        self.env.cr.execute('SELECT to_regclass(%s) IS NOT NULL', ('"%s"' % manual.table_of(name),))
        if self.env.cr.fetchone()[0]:
            raise UserError(
                'Model %s would be stored in table %s, which exists already.' % (name, manual.table_of(name))
            )
        vals['name'] = vals.get('name') or name
        commands = list(vals.get('field_id') or ())
        if not any(_command_creates(command, 'x_name') for command in commands):
            # like Odoo: a custom model has a name to show unless it is given fields of its own
            commands.insert(
                0, (0, 0, {'name': 'x_name', 'field_description': 'Name', 'ttype': 'char', 'copied': True})
            )
        vals['field_id'] = commands
        vals.pop('modules', None)
        vals['abstract'] = False
        return vals

    def write(self, vals):
        fixed = [name for name in REFLECTED_MODEL_COLUMNS if name in vals]
        if fixed and any(record.state != 'manual' for record in self.sudo()):
            raise AccessError(
                'Models declared in code are described by their module; upgrade it '
                'to change %s.' % ', '.join(fixed)
            )
        for name in ('model', 'state', 'transient'):
            if name in vals and any(record[name] != vals[name] for record in self.sudo()):
                raise UserError(
                    'The %s of a custom model cannot be changed; create another model instead.' % name
                )
        if 'field_id' in vals:
            with custom_change(self.env, self.sudo().mapped('model')):
                return super().write(vals)
        return super().write(vals)

    def unlink(self):
        if not self:
            return True
        self.check_access_rights('unlink')
        records = self.sudo()
        base = [record.model for record in records if record.state != 'manual']
        if base:
            raise AccessError(
                'Models declared in code go with their module: uninstall it instead '
                'of deleting %s.' % ', '.join(base)
            )
        names = records.mapped('model')
        cr = self.env.cr
        with custom_change(self.env, ()):
            fields_model = self.env['ir.model.fields'].sudo()
            # custom fields of other models pointing here go too (their columns with them)
            pointing = fields_model.search([('relation', 'in', names), ('model', 'not in', names)])
            pointing.unlink()
            own = fields_model.search([('model', 'in', names)])
            own._drop_storage()
            for name in names:
                cr.execute('DROP TABLE IF EXISTS "%s" CASCADE' % manual.table_of(name))
                cr.execute('DELETE FROM ir_model_data WHERE model = %s', (name,))
                if 'ir.attachment' in self.env.registry.models:
                    cr.execute('DELETE FROM ir_attachment WHERE res_model = %s', (name,))
            result = super().unlink()
        return result


def _command_creates(command, name):
    return (
        isinstance(command, (list, tuple))
        and len(command) == 3
        and command[0] == 0
        and isinstance(command[2], dict)
        and command[2].get('name') == name
    )


class IrModelFieldsSelection(models.Model):
    """The values of a custom selection field, in order."""

    _name = 'ir.model.fields.selection'
    _description = 'Fields Selection'
    _order = 'sequence, id'

    field_id = fields.Many2one('ir.model.fields', 'Field', required=True, ondelete='cascade', index=True)
    value = fields.Char(required=True)
    name = fields.Char(required=True)
    sequence = fields.Integer(default=1000)

    _sql_constraints = [
        (
            'selection_field_uniq',
            'unique (field_id, value)',
            'Selection values must be different from each other.',
        )
    ]

    @api.model
    def create(self, vals_list):
        records = super().create(vals_list)
        records._changed()
        return records

    def write(self, vals):
        result = super().write(vals)
        self._changed()
        return result

    def unlink(self):
        fields_of = self.sudo().mapped('field_id')
        fields_of._check_custom('change')
        result = super().unlink()
        custom_changed(self.env, fields_of.mapped('model'))
        return result

    def _changed(self):
        fields_of = self.sudo().mapped('field_id')
        fields_of._check_custom('change')
        custom_changed(self.env, fields_of.mapped('model'))


class IrModelFields(models.Model):
    _name = 'ir.model.fields'
    _description = 'Fields'
    _order = 'model, name'

    name = fields.Char('Field Name', required=True, index=True)
    model = fields.Char(
        'Object Name', required=True, index=True, help='Set from the model when the field is created'
    )
    model_id = fields.Many2one('ir.model', 'Model', required=True, ondelete='cascade')
    field_description = fields.Char('Field Label')
    help = fields.Text('Field Help')
    ttype = fields.Selection(FIELD_TYPES, 'Field Type', required=True)
    selection = fields.Char(
        'Selection Options',
        compute='_compute_selection',
        inverse='_inverse_selection',
        help="The values of a selection field as a list of pairs, e.g. [('blue', 'Blue'), ('red', 'Red')]",
    )
    selection_ids = fields.One2many('ir.model.fields.selection', 'field_id', 'Selection Values')
    relation = fields.Char('Object Relation')
    relation_field = fields.Char('Relation Field')
    relation_table = fields.Char('Relation Table')
    column1 = fields.Char('Column 1')
    column2 = fields.Char('Column 2')
    on_delete = fields.Selection(
        [(value, value) for value in manual.ON_DELETE],
        'On Delete',
        help='What a many2one does when the record it points to is deleted',
    )
    domain = fields.Char(help='Shown to clients with the field description')
    currency_field = fields.Char()
    groups = fields.Many2many('res.groups', 'ir_model_fields_group_rel', 'field_id', 'group_id', 'Groups')
    required = fields.Boolean()
    readonly = fields.Boolean()
    store = fields.Boolean(default=True)
    index = fields.Boolean()
    copied = fields.Boolean('Copied')
    translate = fields.Boolean('Translatable')
    size = fields.Integer()
    state = fields.Selection(STATES, 'Type', default=_manual_default)
    module = fields.Char('Declared in module')

    _sql_constraints = [('model_name_uniq', 'unique (model, name)', 'Field names must be unique per model.')]

    def _compute_selection(self):
        for record in self:
            if record.ttype != 'selection':
                record.selection = False
            elif record.state == 'manual':
                record.selection = repr([(item.value, item.name) for item in record.selection_ids])
            else:
                cls = self.env.registry.models.get(record.model)
                field = cls._fields.get(record.name) if cls is not None else None
                values = getattr(field, 'selection', None)
                record.selection = (
                    repr([tuple(item) for item in values]) if isinstance(values, (list, tuple)) else False
                )

    def _inverse_selection(self):
        for record in self:
            record.selection_ids = _selection_commands(record.selection)

    # -- reflection (the loader) -------------------------------------------------------------------
    @api.model
    def _reflect_fields(self, model_ids, model_names=None):
        """Rows for the fields of the registry's code (``model_names``: only of those models);
        custom fields are defined by their rows and left as they are."""
        cr = self.env.cr
        cr.execute('SELECT model, name, id FROM ir_model_fields')
        existing = {(model, name): fid for model, name, fid in cr.fetchall()}
        data = self.env['ir.model.data']
        rows = []
        for model_name, cls in sorted(self.env.registry.models.items()):
            if model_names is not None and model_name not in model_names:
                continue
            for fname, field in cls._fields.items():
                if field.manual:
                    continue
                values = (
                    field.string or fname,
                    field.type,
                    getattr(field, 'comodel_name', None),
                    getattr(field, 'inverse_name', None),
                    bool(field.required),
                    bool(field.readonly),
                    bool(
                        field.store
                        and field.column_type is not None
                        or field.type in ('one2many', 'many2many')
                    ),
                    bool(field.index),
                    bool(getattr(field, 'translate', False)),
                    getattr(field, '_module', None) or cls._original_module,
                )
                key = (model_name, fname)
                if key in existing:
                    cr.execute(
                        'UPDATE ir_model_fields SET field_description=%s, ttype=%s, relation=%s, '
                        'relation_field=%s, required=%s, readonly=%s, store=%s, index=%s, '
                        "translate=%s, module=%s, state='base' WHERE id = %s",
                        values + (existing[key],),
                    )
                else:
                    cr.execute(
                        'INSERT INTO ir_model_fields (field_description, ttype, relation, '
                        'relation_field, required, readonly, store, index, translate, module, '
                        'model, name, model_id, state, create_uid, write_uid, create_date, '
                        "write_date) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'base',1,1,"
                        "now() at time zone 'UTC', now() at time zone 'UTC') RETURNING id",
                        values + (model_name, fname, model_ids[model_name]),
                    )
                    existing[key] = cr.fetchone()[0]
                if not cls._custom:
                    rows.append(
                        (values[-1], 'field_%s__%s' % (model_name.replace('.', '_'), fname), existing[key])
                    )
        for module, xmlid, fid in rows:
            data._ensure_xmlid(module, xmlid, 'ir.model.fields', fid)
        self.env.transaction.invalidate('ir.model.fields')

    @api.model
    def _reflect_custom_models(self, model_names):
        """The fields every model has (``id``, ``create_uid``...) of the custom ones among
        ``model_names``, just built."""
        custom = [
            name
            for name in model_names
            if name in self.env.registry.models and self.env.registry.models[name]._custom
        ]
        if custom:
            self.env.cr.execute('SELECT model, id FROM ir_model WHERE model = ANY(%s)', (custom,))
            self._reflect_fields(dict(self.env.cr.fetchall()), set(custom))

    # -- custom fields over the API ----------------------------------------------------------------
    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        prepared, replaced = [], {}
        for position, vals in enumerate(vals_list):
            vals = self._custom_field_values(vals)
            automatic = self._automatic_name_field(vals)
            if automatic:
                replaced[position] = (automatic, vals)
            else:
                prepared.append(vals)
        with custom_change(
            self.env,
            {vals['model'] for vals in prepared} | {vals['model'] for _record, vals in replaced.values()},
        ):
            created = iter(super().create(prepared)) if prepared else iter(())
            for record, vals in replaced.values():
                super(IrModelFields, record).write(
                    {key: value for key, value in vals.items() if key not in FIXED_FIELD_COLUMNS + ('name',)}
                )
            ids = [
                replaced[position][0].id if position in replaced else next(created).id
                for position in range(len(vals_list))
            ]
            result = self.browse(ids)
            result._name_groups()
        return result

    def _name_groups(self):
        """Give the groups restricting these fields an external id if they have none (a group
        created over the API): a field's groups are checked by external id."""
        self.env.cr.execute(
            'SELECT DISTINCT r.group_id FROM ir_model_fields_group_rel r WHERE r.field_id = ANY(%s) '
            "AND NOT EXISTS (SELECT 1 FROM ir_model_data d WHERE d.model = 'res.groups' AND "
            'd.res_id = r.group_id)',
            (list(self.ids),),
        )
        missing = [row[0] for row in self.env.cr.fetchall()]
        for group_id in missing:
            self.env['ir.model.data']._ensure_xmlid(
                manual.MODULE, 'group_%d' % group_id, 'res.groups', group_id
            )
        if missing:
            self.env.registry.invalidate_cache('groups', self.env.cr)

    def _automatic_name_field(self, vals):
        """The ``x_name`` a custom model got when it was created, if ``vals`` defines it again:
        Odoo's documented example creates the model, then its ``x_name``; both versions of it
        work (the second call redefines the first's field instead of failing as a duplicate)."""
        if vals['name'] != 'x_name' or vals['ttype'] != 'char':
            return None
        found = self.sudo().search(
            [
                ('model', '=', vals['model']),
                ('name', '=', 'x_name'),
                ('state', '=', 'manual'),
                ('ttype', '=', 'char'),
            ],
            limit=1,
        )
        return found or None

    def _custom_field_values(self, vals):
        """``vals`` of a new custom field, completed (its model from ``model_id``, the defaults of
        its kind) and checked; UserError naming what is wrong otherwise."""
        vals = dict(vals)
        if vals.setdefault('state', 'manual') != 'manual':
            raise AccessError(
                "Fields of state 'base' are reflected from the code of their module; "
                "a field created over the API is a custom one (state 'manual')."
            )
        models_ = self.env['ir.model'].sudo()
        if vals.get('model_id'):
            owner = models_.browse(vals['model_id']).exists()
            if not owner:
                raise UserError('Model id %r does not exist.' % (vals['model_id'],))
            if vals.get('model') and vals['model'] != owner.model:
                raise UserError(
                    'model %r and model_id %r (%s) disagree.' % (vals['model'], vals['model_id'], owner.model)
                )
            vals['model'] = owner.model
        elif vals.get('model'):
            owner = models_.search([('model', '=', vals['model'])], limit=1)
            if not owner:
                raise UserError('Model %r does not exist.' % (vals['model'],))
            vals['model_id'] = owner.id
        else:
            raise UserError('A custom field needs the model it belongs to (model_id).')
        cls = self.env.registry.models.get(vals['model'])
        if cls is not None and (cls._abstract or not cls._auto):
            raise UserError(
                'Model %s has no table of its own (abstract or a view): custom fields go '
                'on the models that store records.' % vals['model']
            )
        vals['field_description'] = vals.get('field_description') or vals.get('name')
        if vals.get('ttype') == 'selection' and 'selection' in vals:
            vals['selection_ids'] = _selection_commands(vals.pop('selection'))
        if vals.get('ttype') == 'many2many':
            self._complete_many2many(vals)
        if vals.get('ttype') == 'monetary' and not vals.get('currency_field'):
            vals['currency_field'] = (
                'currency_id' if self._has_field(vals['model'], 'currency_id') else 'x_currency_id'
            )
        if vals.get('ttype') == 'many2one':
            vals['on_delete'] = vals.get('on_delete') or 'set null'
        vals.pop('module', None)
        vals['store'] = True
        problem = manual.field_problem(vals, self._known_models(), self._has_field)
        if problem:
            raise UserError('Cannot add field %s to %s: %s' % (vals.get('name'), vals['model'], problem))
        if self._has_field(vals['model'], vals['name']) and not self._automatic_name_field(vals):
            raise UserError('Model %s already has a field named %s.' % (vals['model'], vals['name']))
        if vals['ttype'] == 'many2many':
            self._check_relation_table(vals)
        return vals

    def _complete_many2many(self, vals):
        if not vals.get('relation'):
            return
        table, cotable = manual.table_of(vals['model']), manual.table_of(vals['relation'])
        if not vals.get('relation_table'):
            first, second = sorted((table, cotable))
            vals['relation_table'] = ('x_%s_%s_rel' % (first, second))[: manual.MAX_IDENTIFIER]
        vals['column1'] = vals.get('column1') or '%s_id' % table
        vals['column2'] = vals.get('column2') or (
            '%s_id' % cotable if cotable != table else '%s_id2' % cotable
        )

    def _check_relation_table(self, vals):
        """The relation table of a new custom many2many is its own, or shared with the other
        side of the same relation only."""
        if vals['column1'] == vals['column2']:
            raise UserError('column1 and column2 of a many2many must differ.')
        self.env.cr.execute(
            'SELECT model, relation, column1, column2 FROM ir_model_fields '
            "WHERE relation_table = %s AND ttype = 'many2many'",
            (vals['relation_table'],),
        )
        users = self.env.cr.fetchall()
        # a table is shared only by the two sides of one relation
        inverse = (vals['relation'], vals['model'], vals['column2'], vals['column1'])
        if any(user != inverse for user in users) or len(users) > 1:
            raise UserError(
                'The relation table %s is used by another many2many; name another '
                'one in relation_table.' % vals['relation_table']
            )
        if not users:
            self.env.cr.execute('SELECT to_regclass(%s) IS NOT NULL', ('"%s"' % vals['relation_table'],))
            if self.env.cr.fetchone()[0]:
                raise UserError(
                    'A table named %s already exists; name another one in '
                    'relation_table.' % vals['relation_table']
                )

    def _known_models(self):
        self.env.cr.execute("SELECT model FROM ir_model WHERE state = 'manual'")
        return set(self.env.registry.models) | {row[0] for row in self.env.cr.fetchall()}

    def _has_field(self, model_name, field_name):
        cls = self.env.registry.models.get(model_name)
        if cls is not None and field_name in cls._fields:
            return True
        self.env.cr.execute(
            'SELECT 1 FROM ir_model_fields WHERE model = %s AND name = %s', (model_name, field_name)
        )
        return bool(self.env.cr.fetchone())

    def _check_custom(self, action):
        base = ['%s.%s' % (record.model, record.name) for record in self.sudo() if record.state != 'manual']
        if base:
            raise AccessError(
                'Fields declared in code are described by their module; upgrade or '
                'uninstall it instead (cannot %s %s).' % (action, ', '.join(base))
            )

    def write(self, vals):
        if not vals:
            return True
        self._check_custom('change')
        records = self.sudo()
        for name in FIXED_FIELD_COLUMNS:
            if name in vals and any(_differs(record, name, vals[name]) for record in records):
                raise UserError(
                    'The %s of a custom field cannot be changed; delete the field and create it again.' % name
                )
        vals = dict(vals)
        if 'selection' in vals:
            vals['selection_ids'] = _selection_commands(vals.pop('selection'))
        if 'on_delete' in vals and vals['on_delete'] not in manual.ON_DELETE:
            raise UserError('on_delete must be one of %s' % ', '.join(manual.ON_DELETE))
        if 'domain' in vals or 'size' in vals:
            for record in records:
                record._check_definition(vals)
        with custom_change(self.env, records.mapped('model')):
            if 'name' in vals:
                for record in records:
                    record._rename(vals['name'])
            result = super().write(vals)
            if 'groups' in vals:
                records._name_groups()
        return result

    def _check_definition(self, vals):
        """Refuse ``vals`` unless this custom field, changed by them, still loads (what the
        registry would otherwise skip with a warning, the field gone)."""
        row = {name: self[name] for name in ('name', 'model', 'ttype', 'relation', 'relation_field')}
        row.update(
            {name: self[name] for name in ('relation_table', 'column1', 'column2', 'on_delete', 'domain')},
            size=self.size,
            currency_field=self.currency_field,
        )
        row.update({key: value for key, value in vals.items() if key in ('domain', 'size')})
        problem = manual.field_problem(row, self._known_models(), self._has_field)
        if problem:
            raise UserError('Cannot change field %s of %s: %s' % (self.name, self.model, problem))

    def _rename(self, new_name):
        """Rename the column (or the attachments' field) of this custom field to ``new_name``."""
        if new_name == self.name:
            return
        problem = manual.field_problem(
            dict(model=self.model, name=new_name, ttype='char'), self._known_models(), self._has_field
        )
        if problem:
            raise UserError('Cannot rename %s.%s: %s' % (self.model, self.name, problem))
        if self._has_field(self.model, new_name):
            raise UserError('Model %s already has a field named %s.' % (self.model, new_name))
        cls = self.env.registry.models.get(self.model)
        field = cls._fields.get(self.name) if cls is not None else None
        cr = self.env.cr
        if field is not None and field.column:
            cr.execute('ALTER TABLE "%s" RENAME COLUMN "%s" TO "%s"' % (cls._table, self.name, new_name))
        elif field is not None and field.type == 'binary' and 'ir.attachment' in self.env.registry.models:
            cr.execute(
                'UPDATE ir_attachment SET res_field = %s WHERE res_model = %s AND res_field = %s',
                (new_name, self.model, self.name),
            )
        cr.execute(
            "UPDATE ir_model_fields SET relation_field = %s WHERE ttype = 'one2many' AND "
            'relation = %s AND relation_field = %s',
            (new_name, self.model, self.name),
        )

    def unlink(self):
        if not self:
            return True
        self.check_access_rights('unlink')
        self._check_custom('delete')
        records = self.sudo()
        for record in records:
            if record.ttype != 'many2one':
                continue
            inverse = records.search(
                [
                    ('ttype', '=', 'one2many'),
                    ('relation', '=', record.model),
                    ('relation_field', '=', record.name),
                    ('id', 'not in', records.ids),
                ]
            )
            if inverse:
                raise UserError(
                    'Field %s.%s is the inverse of %s; delete that one2many first.'
                    % (record.model, record.name, ', '.join('%s.%s' % (f.model, f.name) for f in inverse))
                )
        with custom_change(self.env, records.mapped('model')):
            records._drop_storage()
            result = super().unlink()
        return result

    def _drop_storage(self):
        """Drop the columns, relation tables and attachments of these custom fields."""
        cr = self.env.cr
        for record in self:
            cls = self.env.registry.models.get(record.model)
            if record.ttype == 'many2many' and record.relation_table:
                cr.execute(
                    'SELECT count(*) FROM ir_model_fields WHERE relation_table = %s AND '
                    "ttype = 'many2many' AND NOT (id = ANY(%s))",
                    (record.relation_table, self.ids),
                )
                if not cr.fetchone()[0]:
                    cr.execute('DROP TABLE IF EXISTS "%s" CASCADE' % record.relation_table)
            elif record.ttype == 'binary' and 'ir.attachment' in self.env.registry.models:
                cr.execute(
                    'DELETE FROM ir_attachment WHERE res_model = %s AND res_field = %s',
                    (record.model, record.name),
                )
            elif record.ttype != 'one2many' and cls is not None and cls._auto and not cls._abstract:
                cr.execute('ALTER TABLE "%s" DROP COLUMN IF EXISTS "%s" CASCADE' % (cls._table, record.name))


def _differs(record, name, value):
    current = record[name]
    if hasattr(current, '_ids'):
        current = current.id
    return (current or False) != (value or False)


def _selection_commands(text):
    try:
        pairs = manual.parse_selection(text or '[]')
    except ValueError as error:
        raise UserError('Invalid selection: %s' % error) from None
    return [(5, 0, 0)] + [
        (0, 0, {'value': value, 'name': label, 'sequence': position})
        for position, (value, label) in enumerate(pairs)
    ]
