"""A model declaring every field type, with its lines and tags."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError, ValidationError


def _default_reference(model):
    return 'REF-%s' % model.env.uid


class Tag(models.Model):
    _name = 'test.orm.tag'
    _description = 'ORM test tag'
    _order = 'name'

    name = fields.Char(required=True)
    color = fields.Integer()


class Record(models.Model):
    _name = 'test.orm.record'
    _description = 'ORM test record'
    _order = 'sequence, id'

    name = fields.Char(size=32, required=True)
    code = fields.Char(size=8, copy=False)
    sequence = fields.Integer(default=10)
    description = fields.Text()
    body = fields.Html()
    amount = fields.Float(digits=(12, 3))
    weight = fields.Float(digits='Test ORM Weight')
    currency_id = fields.Many2one('res.currency', ondelete='restrict')
    price = fields.Monetary(currency_field='currency_id')
    flag = fields.Boolean()
    date = fields.Date()
    moment = fields.Datetime()
    state = fields.Selection(
        [('draft', 'Draft'), ('open', 'Open'), ('done', 'Done')], default='draft', required=True
    )
    data = fields.Binary()
    partner_id = fields.Many2one('res.partner', ondelete='set null')
    parent_id = fields.Many2one('test.orm.record', ondelete='cascade')
    user_id = fields.Many2one('res.users', default=lambda self: self.env.uid, ondelete='restrict')
    line_ids = fields.One2many('test.orm.line', 'record_id', string='Lines')
    tag_ids = fields.Many2many('test.orm.tag', string='Tags')
    total = fields.Float(compute='_compute_total', store=True, digits=(12, 3))
    line_count = fields.Integer(compute='_compute_line_count')
    line_max = fields.Float(compute='_compute_line_range', store=True, digits=(12, 3))
    line_min = fields.Float(compute='_compute_line_range', store=True, digits=(12, 3))
    partner_email = fields.Char(related='partner_id.email')
    reference = fields.Char(default=_default_reference)
    locked_note = fields.Char(readonly=True, default='fixed')
    active = fields.Boolean(default=True)

    _sql_constraints = [('code_uniq', 'unique (code)', 'The code of a test record must be unique.')]

    @api.depends('line_ids.amount')
    def _compute_total(self):
        for record in self:
            record.total = sum(line.amount for line in record.line_ids)

    @api.depends('line_ids.amount')
    def _compute_line_range(self):
        """One method computing two stored fields."""
        for record in self:
            amounts = record.line_ids.mapped('amount')
            record.line_max = max(amounts) if amounts else 0.0
            record.line_min = min(amounts) if amounts else 0.0

    def _compute_line_count(self):
        for record in self:
            record.line_count = len(record.line_ids)

    @api.constrains('amount')
    def _check_amount(self):
        for record in self:
            if record.amount < 0:
                raise ValidationError('The amount of %s cannot be negative.' % record.name)

    @api.model
    @api.rpc('read')
    def context_echo(self, keys=None):
        """The context the call ran with (only ``keys`` when given)."""
        context = self.env.context
        return {key: context.get(key, False) for key in (keys or sorted(context))}

    @api.rpc('read')
    def fail_with(self, kind):
        """Raise an error of the given kind (to test the fault mapping)."""
        if kind == 'user':
            raise UserError('refused by the test')
        raise ValidationError('invalid for the test')


class Line(models.Model):
    _name = 'test.orm.line'
    _description = 'ORM test line'
    _order = 'id'

    name = fields.Char(required=True)
    record_id = fields.Many2one('test.orm.record', required=True, ondelete='cascade')
    amount = fields.Float(digits=(12, 3))
    qty = fields.Integer(default=1)
