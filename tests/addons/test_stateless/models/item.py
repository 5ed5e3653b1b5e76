"""An item with a precision-dependent float and an owner, and a two-step wizard over items."""

from openerp_lite import api, fields, models


class Item(models.Model):
    _name = 'test.stateless.item'
    _description = 'Stateless test item'

    name = fields.Char(required=True)
    value = fields.Float(digits='Stateless Precision')
    owner_id = fields.Many2one('res.users', default=lambda self: self.env.uid)
    note = fields.Char()


class ApplyWizard(models.TransientModel):
    """Created in one call, finished in another, possibly on another process."""

    _name = 'test.stateless.wizard'
    _description = 'Apply a note to items'

    item_ids = fields.Many2many('test.stateless.item', string='Items')
    note = fields.Char(required=True)

    @api.rpc('write')
    def action_apply(self):
        for wizard in self:
            # the wizard is the user's way to annotate items they may only read
            wizard.item_ids.sudo().write({'note': wizard.note})
        return True

    @api.model
    @api.rpc('read')
    def count_rows(self):
        return self.sudo().search_count([])
