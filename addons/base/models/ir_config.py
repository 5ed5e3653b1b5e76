"""Configuration parameters and decimal precisions: small key/value tables read on many calls,
so their values are cached per registry and the cache is dropped when they change."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError
from openerp_lite.tools.cache import ormcache


class ConfigParameter(models.Model):
    _name = 'ir.config_parameter'
    _description = 'System Parameter'
    _rec_name = 'key'
    _order = 'key'
    _invalidates = ('config',)

    key = fields.Char(required=True, index=True)
    value = fields.Text(required=True)

    _sql_constraints = [('key_uniq', 'unique (key)', 'Key must be unique.')]

    @api.model
    @api.rpc('read')
    def get_param(self, key, default=False):
        """The value of parameter ``key``, or ``default`` when it is not set.

        Parameters hold settings and secrets: reading one needs the read right on this model,
        like ``search_read``; server code that must read one as anybody uses ``sudo()``.
        """
        self.check_access_rights('read')
        if not isinstance(key, str):
            raise UserError('A parameter key is a string, not %r' % (key,))
        value = self._get_param(key)
        return default if value is None else value

    @api.model
    @ormcache('config', 'key')
    def _get_param(self, key):
        self.env.cr.execute('SELECT value FROM ir_config_parameter WHERE key = %s', (key,))
        row = self.env.cr.fetchone()
        return row[0] if row else None

    @api.model
    @api.rpc('write')
    def set_param(self, key, value):
        """Set (or with ``value`` False, delete) a parameter; returns the previous value.

        Runs with the caller's rights: writing, creating or deleting the parameter's record needs
        the matching access right on this model, as the ORM methods would.
        """
        old = self.get_param(key)
        record = self.search([('key', '=', key)], limit=1)
        if value is False or value is None:
            record.unlink()
        elif record:
            record.write({'value': str(value)})
        else:
            self.create({'key': key, 'value': str(value)})
        return old


class DecimalPrecision(models.Model):
    """Named precisions (``Product Price``: 2 digits) that Float fields refer to by name."""

    _name = 'decimal.precision'
    _description = 'Decimal Precision'
    _order = 'name'
    _invalidates = ('precision',)

    name = fields.Char('Usage', required=True, index=True)
    digits = fields.Integer('Digits', required=True, default=2)

    _sql_constraints = [('name_uniq', 'unique (name)', 'Only one value can be defined for each usage!')]

    @api.model
    @ormcache('precision', 'application')
    @api.rpc('read')
    def precision_get(self, application):
        """Digits of the precision named ``application`` (2 when it is not defined)."""
        self.env.cr.execute('SELECT digits FROM decimal_precision WHERE name = %s', (application,))
        row = self.env.cr.fetchone()
        return row[0] if row else 2
