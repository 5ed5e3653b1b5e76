"""Modules known to a database and their state; install/upgrade/uninstall over RPC."""

import logging

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

STATES = [
    ('uninstallable', 'Not Installable'),
    ('uninstalled', 'Not Installed'),
    ('installed', 'Installed'),
    ('to upgrade', 'To be upgraded'),
    ('to remove', 'To be removed'),
    ('to install', 'To be installed'),
]


class Module(models.Model):
    _name = 'ir.module.module'
    _description = 'Module'
    _order = 'name'

    name = fields.Char('Technical Name', required=True, index=True)
    shortdesc = fields.Char('Module Name')
    summary = fields.Char()
    description = fields.Text()
    author = fields.Char()
    license = fields.Char()
    category = fields.Char()
    installed_version = fields.Char('Latest Version')
    latest_version = fields.Char('Installed Version')
    state = fields.Selection(STATES, default='uninstalled', index=True)
    demo = fields.Boolean('Demo Data', default=False)
    auto_install = fields.Boolean()
    application = fields.Boolean()
    dependencies = fields.Char('Depends on', help='Comma-separated technical names')

    _sql_constraints = [('name_uniq', 'UNIQUE (name)', 'The name of the module must be unique!')]

    @api.model
    @api.rpc('write', groups='base.group_system')
    def update_list(self):
        """Refresh the list from the addons path: ``[updated, added]``."""
        from openerp_lite.modules import module as modules_module  # the loader's discovery

        self._check_administrator()
        cr = self.env.cr
        cr.execute('SELECT name, id, state FROM ir_module_module')
        known = {name: (mid, state) for name, mid, state in cr.fetchall()}
        updated = added = 0
        for name in modules_module.get_modules():
            try:
                manifest = modules_module.load_manifest(name)
            except UserError as error:
                _logger.warning('module %s skipped: %s', name, error)
                continue
            values = {
                'shortdesc': manifest.get('name') or name,
                'summary': manifest.get('summary') or '',
                'description': manifest.get('description') or '',
                'author': manifest.get('author') or '',
                'license': manifest.get('license') or '',
                'category': manifest.get('category') or '',
                'installed_version': manifest.get('version'),
                'auto_install': bool(manifest.get('auto_install')),
                'application': bool(manifest.get('application')),
                'dependencies': ','.join(manifest.get('depends') or []),
            }
            if name in known:
                mid, state = known[name]
                if state == 'uninstallable' and manifest.get('installable', True):
                    values['state'] = 'uninstalled'
                elif not manifest.get('installable', True) and state == 'uninstalled':
                    values['state'] = 'uninstallable'
                self.browse(mid).write(values)
                updated += 1
            else:
                values.update(
                    name=name, state='uninstalled' if manifest.get('installable', True) else 'uninstallable'
                )
                record = self.create(values)
                self.env['ir.model.data']._ensure_xmlid('base', 'module_' + name, self._name, record.id, True)
                added += 1
        return [updated, added]

    def _check_administrator(self):
        """Changing the modules rebuilds every registry and may drop tables: only the
        administration group may, whoever calls (RPC checks it too, from the declaration)."""
        if not self.env.su and not self.env.user.has_group('base.group_system'):
            raise AccessError('Only administrators (Settings) may change the installed modules.')
        self.check_access_rights('write')

    def _registry_change(self, **kwargs):
        self._check_administrator()
        hook = getattr(self.env.registry, 'request_reload', None)
        if hook is None:
            raise UserError('This server cannot change modules from here.')
        hook(self.env.cr, **kwargs)
        return True

    @api.rpc('write', groups='base.group_system')
    def button_immediate_install(self):
        """Install these modules (and what they need) now; the registry is rebuilt."""
        names = self.mapped('name')
        for module in self:
            if module.state == 'uninstallable':
                raise UserError('Module %s is not installable.' % module.name)
        return self._registry_change(install=names)

    @api.rpc('write', groups='base.group_system')
    def button_immediate_upgrade(self):
        installed = [m.name for m in self if m.state == 'installed']
        if len(installed) != len(self):
            raise UserError(
                'Only installed modules can be upgraded: %s'
                % ', '.join(m.name for m in self if m.state != 'installed')
            )
        return self._registry_change(upgrade=installed)

    @api.rpc('write', groups='base.group_system')
    def button_immediate_uninstall(self):
        names = self.mapped('name')
        if 'base' in names:
            raise UserError('The base module cannot be uninstalled.')
        not_installed = [m.name for m in self if m.state != 'installed']
        if not_installed:
            raise UserError('Not installed: %s' % ', '.join(not_installed))
        return self._registry_change(uninstall=names)

    @api.rpc('write', groups='base.group_system')
    def button_install(self):
        return self.button_immediate_install()

    @api.rpc('write', groups='base.group_system')
    def button_upgrade(self):
        return self.button_immediate_upgrade()

    @api.rpc('write', groups='base.group_system')
    def button_uninstall(self):
        return self.button_immediate_uninstall()

    @api.model
    def _remove_modules(self, names):
        """Drop what ``names`` (dependents first) created: data, columns, tables; mark them
        uninstalled. Called by the loader with the full registry still loaded."""
        cr = self.env.cr
        data = self.env['ir.model.data']
        registry = self.env.registry
        # records of the removed modules' own models go with their tables: deleting them one by
        # one would only run business rules (a confirmed order refusing deletion) for nothing
        dropped = {m for m, cls in registry.models.items() if cls._original_module in names}
        for name in names:
            cr.execute(
                'SELECT id, model, res_id, name FROM ir_model_data WHERE module = %s '
                "AND model NOT IN ('ir.model', 'ir.model.fields', 'ir.module.module') "
                'ORDER BY id DESC',
                (name,),
            )
            for data_id, model, res_id, _xmlid in cr.fetchall():
                if model in registry.models and model not in dropped:
                    with cr.savepoint():
                        self.env[model].browse(res_id).exists().unlink()
                cr.execute('DELETE FROM ir_model_data WHERE id = %s', (data_id,))
            owned_models = [m for m, cls in registry.models.items() if cls._original_module == name]
            for model_name in owned_models:
                cls = registry.models[model_name]
                for field in cls._fields.values():
                    if field.type == 'many2many' and getattr(field, '_module', None) in (name, None):
                        cr.execute('DROP TABLE IF EXISTS "%s" CASCADE' % field.relation)
                if cls._auto and not cls._abstract:
                    cr.execute('DROP TABLE IF EXISTS "%s" CASCADE' % cls._table)
            for model_name, cls in registry.models.items():
                if model_name in owned_models or cls._abstract or not cls._auto:
                    continue
                for fname, field in cls._fields.items():
                    if getattr(field, '_module', None) != name:
                        continue
                    if field.type == 'many2many':
                        cr.execute('DROP TABLE IF EXISTS "%s" CASCADE' % field.relation)
                    elif field.column:
                        cr.execute(
                            'ALTER TABLE "%s" DROP COLUMN IF EXISTS "%s" CASCADE' % (cls._table, fname)
                        )
                    cr.execute(
                        'DELETE FROM ir_model_fields WHERE model = %s AND name = %s', (model_name, fname)
                    )
            # custom fields of the remaining models pointing at the removed ones go with them
            cr.execute(
                "SELECT id FROM ir_model_fields WHERE state = 'manual' AND relation = ANY(%s) "
                'AND NOT (model = ANY(%s))',
                (owned_models, owned_models),
            )
            pointing = self.env['ir.model.fields'].browse([row[0] for row in cr.fetchall()])
            pointing._drop_storage()
            cr.execute('DELETE FROM ir_model_fields WHERE id = ANY(%s)', (pointing.ids,))
            cr.execute('DELETE FROM ir_model WHERE model = ANY(%s)', (owned_models,))
            cr.execute(
                "DELETE FROM ir_model_data WHERE module = %s AND model IN ('ir.model', 'ir.model.fields')",
                (name,),
            )
            cr.execute(
                "UPDATE ir_module_module SET state = 'uninstalled', latest_version = NULL, demo = FALSE "
                'WHERE name = %s',
                (name,),
            )
            _logger.info('module %s uninstalled', name)
        data._invalidate_xmlids()
        registry.clear_caches(cr)
