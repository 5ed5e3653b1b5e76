"""External ids (``module.name`` → record): how data files, the loader and clients name records."""

import logging

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, MissingError, UserError
from openerp_lite.tools.cache import ormcache

_logger = logging.getLogger(__name__)


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

    _sql_constraints = [
        ('module_name_uniq', 'unique (module, name)', 'External identifiers must be unique per module.')
    ]

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
        self.env.cr.execute(
            'SELECT model, res_id, noupdate FROM ir_model_data WHERE module = %s AND name = %s',
            (module, name),
        )
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
            'res_id = EXCLUDED.res_id',
            (module, name, model, res_id, noupdate),
        )
        self._seen().add((module, name))
        self._invalidate_xmlids()

    def _seen(self):
        return self.env.transaction.xmlids_seen

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
            'SELECT id, module, name, model, res_id FROM ir_model_data WHERE module = ANY(%s) '
            "AND NOT noupdate AND model NOT IN ('ir.model', 'ir.model.fields', 'ir.module.module') "
            'ORDER BY id DESC',
            (list(modules),),
        )
        for data_id, module, name, model, res_id in self.env.cr.fetchall():
            if (module, name) in seen or model not in self.env.registry.models:
                continue
            _logger.info(
                'deleting %s.%s (%s,%s): no longer in the data of %s', module, name, model, res_id, module
            )
            self.env[model].browse(res_id).exists().unlink()
            self.env.cr.execute('DELETE FROM ir_model_data WHERE id = %s', (data_id,))
        self._invalidate_xmlids()
