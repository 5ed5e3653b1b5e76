"""Reflection of models and fields, external ids, and model access rights."""

import logging

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, MissingError, UserError
from openerp_lite.tools.cache import ormcache

_logger = logging.getLogger(__name__)

ACCESS_MODES = ('read', 'write', 'create', 'unlink')


class IrModel(models.Model):
    _name = 'ir.model'
    _description = 'Models'
    _order = 'model'
    _rec_name = 'name'

    name = fields.Char('Model Description', required=True)
    model = fields.Char('Model', required=True, index=True)
    info = fields.Text('Information')
    field_id = fields.One2many('ir.model.fields', 'model_id', 'Fields')
    transient = fields.Boolean('Transient Model')
    abstract = fields.Boolean('Abstract Model')
    modules = fields.Char('In Modules', help='Modules that declare or extend this model')
    state = fields.Selection([('base', 'Base Object'), ('manual', 'Custom Object')], default='base')

    _sql_constraints = [('model_uniq', 'unique (model)', 'Each model must be unique!')]

    @api.model
    def _reflect_registry(self):
        """Bring ir.model / ir.model.fields (and their external ids) in line with the registry."""
        registry = self.env.registry
        cr = self.env.cr
        cr.execute('SELECT model, id FROM ir_model')
        existing = dict(cr.fetchall())
        data = self.env['ir.model.data']
        for name, cls in sorted(registry.models.items()):
            values = {'name': cls._description or name, 'transient': bool(cls._transient),
                      'abstract': bool(cls._abstract), 'modules': cls._declaring_modules()}
            if name in existing:
                model_id = existing[name]
                cr.execute('UPDATE ir_model SET name = %s, transient = %s, abstract = %s, modules = %s '
                           'WHERE id = %s', (values['name'], values['transient'], values['abstract'],
                                             values['modules'], model_id))
            else:
                model_id = self.sudo().create(dict(values, model=name)).id
                existing[name] = model_id
            data._ensure_xmlid(cls._original_module, 'model_%s' % name.replace('.', '_'), 'ir.model',
                               model_id)
        self.env['ir.model.fields']._reflect_fields(existing)
        self.env.transaction.invalidate('ir.model')

    def unlink(self):
        if not self.env.su:
            raise AccessError('Models are reflected from the code; they cannot be deleted over RPC.')
        return super().unlink()


class IrModelFields(models.Model):
    _name = 'ir.model.fields'
    _description = 'Fields'
    _order = 'model, name'

    name = fields.Char('Field Name', required=True, index=True)
    model = fields.Char('Object Name', required=True, index=True)
    model_id = fields.Many2one('ir.model', 'Model', required=True, ondelete='cascade')
    field_description = fields.Char('Field Label')
    ttype = fields.Char('Field Type', required=True)
    relation = fields.Char('Object Relation')
    relation_field = fields.Char('Relation Field')
    required = fields.Boolean()
    readonly = fields.Boolean()
    store = fields.Boolean(default=True)
    index = fields.Boolean()
    module = fields.Char('Declared in module')

    _sql_constraints = [('model_name_uniq', 'unique (model, name)', 'Field names must be unique per model.')]

    @api.model
    def _reflect_fields(self, model_ids):
        cr = self.env.cr
        cr.execute('SELECT model, name, id FROM ir_model_fields')
        existing = {(model, name): fid for model, name, fid in cr.fetchall()}
        data = self.env['ir.model.data']
        rows = []
        for model_name, cls in sorted(self.env.registry.models.items()):
            for fname, field in cls._fields.items():
                values = (field.string or fname, field.type, getattr(field, 'comodel_name', None),
                          getattr(field, 'inverse_name', None), bool(field.required),
                          bool(field.readonly), bool(field.store and field.column_type is not None or
                                                     field.type in ('one2many', 'many2many')),
                          bool(field.index), getattr(field, '_module', None) or cls._original_module)
                key = (model_name, fname)
                if key in existing:
                    cr.execute('UPDATE ir_model_fields SET field_description=%s, ttype=%s, relation=%s, '
                               'relation_field=%s, required=%s, readonly=%s, store=%s, index=%s, '
                               'module=%s WHERE id = %s', values + (existing[key],))
                else:
                    cr.execute('INSERT INTO ir_model_fields (field_description, ttype, relation, '
                               'relation_field, required, readonly, store, index, module, model, name, '
                               "model_id, create_uid, write_uid, create_date, write_date) VALUES "
                               "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,1,1,now() at time zone 'UTC',"
                               "now() at time zone 'UTC') RETURNING id",
                               values + (model_name, fname, model_ids[model_name]))
                    existing[key] = cr.fetchone()[0]
                rows.append((values[-1], 'field_%s__%s' % (model_name.replace('.', '_'), fname),
                             existing[key]))
        for module, xmlid, fid in rows:
            data._ensure_xmlid(module, xmlid, 'ir.model.fields', fid)
        self.env.transaction.invalidate('ir.model.fields')


class IrModelData(models.Model):
    """External ids: ``module.name`` → (model, res_id)."""

    _name = 'ir.model.data'
    _description = 'External Identifiers'
    _order = 'module, model, name'
    _invalidates = ('xmlid',)

    name = fields.Char('External Identifier', required=True, index=True)
    module = fields.Char(required=True, index=True)
    model = fields.Char('Model Name', required=True)
    res_id = fields.Integer('Record ID', index=True)
    noupdate = fields.Boolean('Non Updatable', default=False)
    complete_name = fields.Char(compute='_compute_complete_name')

    _sql_constraints = [('module_name_uniq', 'unique (module, name)',
                         'External identifiers must be unique per module.')]

    def _compute_complete_name(self):
        for record in self:
            record.complete_name = '%s.%s' % (record.module, record.name)

    # -- lookups ---------------------------------------------------------------------------------
    @api.model
    def _lookup(self, xmlid):
        """``(model, res_id, noupdate)`` of a ``module.name`` external id, or None (cached)."""
        if not isinstance(xmlid, str) or '.' not in xmlid:
            raise UserError('External id %r must have the form module.name' % (xmlid,))
        return self._lookup_cached(xmlid)

    @api.model
    @ormcache('xmlid', 'xmlid')
    def _lookup_cached(self, xmlid):
        module, name = xmlid.split('.', 1)
        self.env.cr.execute('SELECT model, res_id, noupdate FROM ir_model_data WHERE module = %s AND name = %s',
                            (module, name))
        row = self.env.cr.fetchone()
        return tuple(row) if row else None

    @api.model
    def _xmlid_to_res_id(self, xmlid, raise_if_not_found=True):
        found = self._lookup(xmlid)
        if not found:
            if raise_if_not_found:
                raise MissingError('External ID not found in the system: %s' % xmlid)
            return False
        return found[1]

    @api.model
    def _xmlid_to_model(self, xmlid):
        found = self._lookup(xmlid)
        return found[0] if found else None

    @api.model
    @api.rpc('read')
    def xmlid_to_res_model_res_id(self, xmlid, raise_if_not_found=False):
        """``[model, res_id]`` of an external id (``[False, False]`` when unknown)."""
        found = self._lookup(xmlid)
        if not found:
            if raise_if_not_found:
                raise MissingError('External ID not found in the system: %s' % xmlid)
            return [False, False]
        return [found[0], found[1]]

    @api.model
    @api.rpc('read')
    def xmlid_to_res_id(self, xmlid, raise_if_not_found=False):
        return self._xmlid_to_res_id(xmlid, raise_if_not_found)

    @api.model
    @api.rpc('read')
    def get_object_reference(self, module, xml_id):
        found = self._lookup('%s.%s' % (module, xml_id))
        if not found:
            raise MissingError('External ID not found in the system: %s.%s' % (module, xml_id))
        return [found[0], found[1]]

    @api.model
    @api.rpc('read')
    def check_object_reference(self, module, xml_id, raise_on_access_error=False):
        model, res_id = self.get_object_reference(module, xml_id)
        record = self.env[model].browse(res_id)
        if record.exists() and record.check_access_rights('read', raise_exception=False):
            return [model, res_id]
        if raise_on_access_error:
            raise AccessError('Not enough access rights on the external ID: %s.%s' % (module, xml_id))
        return [model, False]

    # -- writes by the module loader ---------------------------------------------------------------
    def _invalidate_xmlids(self):
        self.env.registry.invalidate_cache('xmlid', self.env.cr)

    @api.model
    def _ensure_xmlid(self, module, name, model, res_id, noupdate=False):
        self.env.cr.execute(
            'INSERT INTO ir_model_data (module, name, model, res_id, noupdate, create_uid, write_uid, '
            "create_date, write_date) VALUES (%s, %s, %s, %s, %s, 1, 1, now() at time zone 'UTC', "
            "now() at time zone 'UTC') ON CONFLICT (module, name) DO UPDATE SET model = EXCLUDED.model, "
            'res_id = EXCLUDED.res_id', (module, name, model, res_id, noupdate))
        self._seen().add((module, name))
        self._invalidate_xmlids()

    def _seen(self):
        return self.env.transaction.__dict__.setdefault('xmlids_seen', set())

    @api.model
    def _load_record(self, module, name, model, values, noupdate, mode, forcecreate=True):
        """Create or update the record of a data file, honouring ``noupdate``; returns it."""
        target = self.env[model]
        if not name:
            return target.create(values)
        found = self._lookup('%s.%s' % (module, name))
        self._seen().add((module, name))
        record = target.browse(found[1]).exists() if found and found[0] == model else target
        if record:
            if mode == 'update' and (found[2] or noupdate):
                return record
            record.write(values)
        else:
            if mode == 'update' and noupdate and not forcecreate:
                return target
            record = target.create(values)
        self._ensure_xmlid(module, name, model, record.id, noupdate)
        return record

    @api.model
    def _delete_xmlid_record(self, module, name):
        found = self._lookup('%s.%s' % (module, name))
        if found:
            self.env[found[0]].browse(found[1]).exists().unlink()
            self.env.cr.execute('DELETE FROM ir_model_data WHERE module = %s AND name = %s', (module, name))
            self._invalidate_xmlids()

    @api.model
    def _process_end(self, modules):
        """After an upgrade: delete records whose external id vanished from the modules' data."""
        seen = self._seen()
        self.env.cr.execute(
            "SELECT id, module, name, model, res_id FROM ir_model_data WHERE module = ANY(%s) "
            "AND NOT noupdate AND model NOT IN ('ir.model', 'ir.model.fields', 'ir.module.module') "
            'ORDER BY id DESC', (list(modules),))
        for data_id, module, name, model, res_id in self.env.cr.fetchall():
            if (module, name) in seen or model not in self.env.registry.models:
                continue
            _logger.info('deleting %s.%s (%s,%s): no longer in the data of %s', module, name, model,
                         res_id, module)
            self.env[model].browse(res_id).exists().unlink()
            self.env.cr.execute('DELETE FROM ir_model_data WHERE id = %s', (data_id,))
        self._invalidate_xmlids()



class IrModelAccess(models.Model):
    """Model-level rights per group (no group: every user); rights of several rows add up."""

    _name = 'ir.model.access'
    _description = 'Model Access'
    _order = 'model_id, group_id, name'
    _invalidates = ('access',)

    name = fields.Char(required=True, index=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one('ir.model', 'Model', required=True, ondelete='cascade', index=True)
    group_id = fields.Many2one('res.groups', 'Group', ondelete='cascade', index=True)
    perm_read = fields.Boolean('Read Access')
    perm_write = fields.Boolean('Write Access')
    perm_create = fields.Boolean('Create Access')
    perm_unlink = fields.Boolean('Delete Access')

    @api.model
    @api.rpc('read')
    def check(self, model, mode='read', raise_exception=True):
        """Whether the current user may ``mode`` on ``model``; raises AccessError if not and
        ``raise_exception``."""
        if mode not in ACCESS_MODES:
            raise UserError('Invalid access mode %r' % (mode,))
        if not isinstance(model, str) or model not in self.env.registry.models:
            raise UserError('Model %r does not exist' % (model,))
        if self.env.su:
            return True
        uid = self.env.uid
        allowed = self._allowed(model, mode)
        if not allowed and raise_exception:
            raise AccessError('Sorry, you are not allowed to %s this document. (Document model: %s, '
                              'Operation: %s, User: %s)' % (
                                  {'read': 'access', 'write': 'modify', 'create': 'create',
                                   'unlink': 'delete'}[mode], model, mode, uid))
        return allowed

    @api.model
    @ormcache('access', 'uid', 'model', 'mode')
    def _allowed(self, model, mode):
        group_ids = self.env['res.users']._effective_group_ids(self.env.uid)
        self.env.cr.execute(
            'SELECT bool_or(a.perm_%s) FROM ir_model_access a JOIN ir_model m ON m.id = a.model_id '
            'WHERE m.model = %%s AND a.active AND (a.group_id IS NULL OR a.group_id = ANY(%%s))' % mode,
            (model, list(group_ids)))
        return bool(self.env.cr.fetchone()[0])

