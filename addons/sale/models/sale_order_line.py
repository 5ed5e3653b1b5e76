"""Sale order lines: a product, a quantity in a unit of measure, a unit price, a discount."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError, ValidationError

from .sale_order import STATES


class SaleOrderLine(models.Model):
    _name = 'sale.order.line'
    _description = 'Sales Order Line'
    _order = 'order_id, sequence, id'

    order_id = fields.Many2one('sale.order', 'Order Reference', required=True, index=True, ondelete='cascade')
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one('product.product', 'Product', required=True, index=True, ondelete='restrict')
    name = fields.Text('Description', required=True)
    product_uom_qty = fields.Float('Quantity', digits='Product Unit of Measure', required=True, default=1.0)
    product_uom = fields.Many2one('product.uom', 'Unit of Measure', required=True, ondelete='restrict')
    price_unit = fields.Float('Unit Price', digits='Product Price', required=True, default=0.0)
    discount = fields.Float('Discount (%)', digits=(16, 2), default=0.0)
    price_subtotal = fields.Float(
        'Subtotal', digits='Product Price', readonly=True, compute='_compute_price_subtotal', store=True
    )
    salesman_id = fields.Many2one('res.users', 'Salesperson', related='order_id.user_id')
    state = fields.Selection(STATES, 'Order Status', related='order_id.state')

    @api.depends('product_uom_qty', 'price_unit', 'discount')
    def _compute_price_subtotal(self):
        digits = self.env['decimal.precision'].precision_get('Product Price')
        for line in self:
            price = line.price_unit * (1 - (line.discount or 0.0) / 100.0)
            line.price_subtotal = round(price * line.product_uom_qty, digits)

    @api.constrains('discount', 'product_uom_qty')
    def _check_amounts(self):
        for line in self:
            if not 0.0 <= line.discount <= 100.0:
                raise ValidationError('A discount is a percentage between 0 and 100 (line "%s").' % line.name)
            if line.product_uom_qty < 0:
                raise ValidationError('The quantity of line "%s" cannot be negative.' % line.name)

    @api.constrains('product_id', 'product_uom')
    def _check_uom_category(self):
        for line in self:
            if line.product_uom.category_id != line.product_id.uom_id.category_id:
                raise ValidationError(
                    '%s is sold in units of %s: %s is not one of them.'
                    % (line.product_id.name, line.product_id.uom_id.category_id.name, line.product_uom.name)
                )

    # -- values from the product -------------------------------------------------------------------
    def _complete_from_product(self, vals):
        """Fill what the caller left out from the product: description, unit, unit price (the
        sales price, converted to the line's unit)."""
        if not vals.get('product_id'):
            return vals
        product = self.env['product.product'].browse(vals['product_id'])
        if not vals.get('product_uom'):
            vals['product_uom'] = product.uom_id.id
        if not vals.get('name'):
            vals['name'] = product.description_sale or product.name_get()[0][1]
        if 'price_unit' not in vals:
            uom = self.env['product.uom'].browse(vals['product_uom'])
            vals['price_unit'] = (
                product.uom_id._compute_price(product.list_price, uom)
                if uom.category_id == product.uom_id.category_id
                else product.list_price
            )
        return vals

    def _check_order_editable(self, orders):
        locked = orders.filtered(lambda order: order.state in ('done', 'cancel'))
        if locked:
            raise UserError(
                'The lines of %s cannot be changed: the order is %s.'
                % (
                    ', '.join(locked.mapped('name')),
                    ', '.join(sorted(set(dict(STATES)[state] for state in locked.mapped('state')))),
                )
            )

    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        vals_list = [self._complete_from_product(dict(vals)) for vals in vals_list]
        self._check_order_editable(
            self.env['sale.order'].browse([vals['order_id'] for vals in vals_list if vals.get('order_id')])
        )
        return super().create(vals_list)

    def write(self, vals):
        orders = self.mapped('order_id')
        if vals.get('order_id'):
            # a line moved to another order changes that order too (the ORM has checked the
            # caller may read it: a relation only points to what its author can see)
            target = self.env['sale.order'].browse(
                self._fields['order_id'].convert_to_column(vals['order_id'], self)
            )
            target.check_access_rule('read')
            orders |= target
        self._check_order_editable(orders)
        return super().write(vals)

    def unlink(self):
        self._check_order_editable(self.mapped('order_id'))
        return super().unlink()
