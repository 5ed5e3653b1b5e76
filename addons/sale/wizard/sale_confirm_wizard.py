"""Confirm several quotations at once: create the wizard with the orders, then apply it."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError


class SaleConfirmWizard(models.TransientModel):
    _name = 'sale.confirm.wizard'
    _description = 'Confirm several quotations'

    order_ids = fields.Many2many(
        'sale.order', 'sale_confirm_wizard_order_rel', 'wizard_id', 'order_id', string='Orders'
    )
    skip_invalid = fields.Boolean(
        'Skip the orders that cannot be confirmed',
        default=False,
        help='Otherwise one order that is not a quotation with lines refuses the whole batch.',
    )
    confirmed_count = fields.Integer(readonly=True)

    @api.rpc('write')
    def action_apply(self):
        """Confirm the wizard's orders; the ids of the orders confirmed."""
        self.ensure_one()
        orders = self.order_ids
        if not orders:
            raise UserError('Select the orders to confirm.')
        valid = orders.filtered(lambda order: order.state == 'draft' and order.order_line)
        if valid != orders and not self.skip_invalid:
            raise UserError(
                'Only quotations with lines can be confirmed: %s.'
                % ', '.join((orders - valid).mapped('name'))
            )
        if valid:
            valid.action_confirm()
        self.write({'confirmed_count': len(valid)})
        return valid.ids
