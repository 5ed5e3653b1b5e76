"""An extension of another module's model: a new field, a method overridden with super()."""

from openerp_lite import fields, models


class Partner(models.Model):
    _inherit = 'res.partner'

    test_level = fields.Integer('Test Level', default=0)
    test_record_ids = fields.One2many('test.orm.record', 'partner_id', string='Test Records')

    def copy(self, default=None):
        default = dict(default or {})
        default.setdefault('test_level', self.test_level + 1)
        return super().copy(default)
