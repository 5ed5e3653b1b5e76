"""Configuration parameters and decimal precisions: small key/value tables read on many calls,
so their values are cached per registry and the cache is dropped when they change."""

from openerp_lite import api, fields, models


class ConfigParameter(models.Model):
    _name = 'ir.config_parameter'
    _description = 'System Parameter'
    _rec_name = 'key'
    _order = 'key'

    key = fields.Char(required=True, index=True)
    value = fields.Text(required=True)

    _sql_constraints = [('key_uniq', 'unique (key)', 'Key must be unique.')]

    @api.model
    def get_param(self, key, default=False):
        cache = self.env.registry.caches.setdefault('config', {})
        if key not in cache:
            self.env.cr.execute('SELECT value FROM ir_config_parameter WHERE key = %s', (key,))
            row = self.env.cr.fetchone()
            cache[key] = row[0] if row else None
        value = cache[key]
        return default if value is None else value

    @api.model
    def set_param(self, key, value):
        """Set (or with ``value`` False, delete) a parameter; returns the previous value."""
        old = self.get_param(key)
        record = self.sudo().search([('key', '=', key)], limit=1)
        if value is False or value is None:
            record.unlink()
        elif record:
            record.write({'value': str(value)})
        else:
            self.sudo().create({'key': key, 'value': str(value)})
        return old

    def _clear(self):
        self.env.registry.caches.pop('config', None)

    @api.model
    def create(self, vals_list):
        self._clear()
        return super().create(vals_list)

    def write(self, vals):
        self._clear()
        return super().write(vals)

    def unlink(self):
        self._clear()
        return super().unlink()


class DecimalPrecision(models.Model):
    """Named precisions (``Product Price``: 2 digits) that Float fields refer to by name."""

    _name = 'decimal.precision'
    _description = 'Decimal Precision'
    _order = 'name'

    name = fields.Char('Usage', required=True, index=True)
    digits = fields.Integer('Digits', required=True, default=2)

    _sql_constraints = [('name_uniq', 'unique (name)', 'Only one value can be defined for each usage!')]

    @api.model
    def precision_get(self, application):
        cache = self.env.registry.caches.setdefault('precision', {})
        if application not in cache:
            self.env.cr.execute('SELECT digits FROM decimal_precision WHERE name = %s', (application,))
            row = self.env.cr.fetchone()
            cache[application] = row[0] if row else 2
        return cache[application]

    def _clear(self):
        self.env.registry.caches.pop('precision', None)

    @api.model
    def create(self, vals_list):
        self._clear()
        return super().create(vals_list)

    def write(self, vals):
        self._clear()
        return super().write(vals)

    def unlink(self):
        self._clear()
        return super().unlink()
