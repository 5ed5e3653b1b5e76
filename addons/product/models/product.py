"""Products: what is sold, with its sales price, its cost, its category and its unit of measure."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import ValidationError

PRODUCT_TYPES = [('consu', 'Consumable'), ('service', 'Service')]


class Product(models.Model):
    _name = 'product.product'
    _description = 'Product'
    _order = 'default_code, name, id'

    name = fields.Char(required=True, index=True, translate=True)
    default_code = fields.Char('Internal Reference', index=True)
    description = fields.Text(translate=True)
    description_sale = fields.Text(
        'Sale Description', translate=True, help='Copied to the lines of sale orders.'
    )
    type = fields.Selection(PRODUCT_TYPES, 'Product Type', required=True, default='consu')
    list_price = fields.Float(
        'Sales Price',
        digits='Product Price',
        default=1.0,
        help='Price per unit of measure of the product, before discounts.',
    )
    standard_price = fields.Float('Cost', digits='Product Price', default=0.0)
    active = fields.Boolean(default=True, help='Archived products are hidden but kept.')
    sale_ok = fields.Boolean('Can be Sold', default=True)
    categ_id = fields.Many2one(
        'product.category',
        'Category',
        required=True,
        index=True,
        default=lambda self: self._default_category(),
    )
    uom_id = fields.Many2one(
        'product.uom', 'Unit of Measure', required=True, default=lambda self: self._default_uom()
    )

    def _default_category(self):
        return self.env.ref('product.product_category_all', raise_if_not_found=False)

    def _default_uom(self):
        return self.env.ref('product.product_uom_unit', raise_if_not_found=False)

    @api.constrains('list_price', 'standard_price')
    def _check_prices(self):
        for product in self:
            if product.list_price < 0 or product.standard_price < 0:
                raise ValidationError('The prices of %s cannot be negative.' % product.name)

    def name_get(self):
        return [
            (
                product.id,
                '[%s] %s' % (product.default_code, product.name) if product.default_code else product.name,
            )
            for product in self
        ]

    def name_search(self, name='', args=None, operator='ilike', limit=100):
        """Matches the internal reference as well as the name."""
        if not name:
            return super().name_search(name, args, operator, limit)
        domain = list(args or [])
        if operator in ('ilike', 'like', '=', '=ilike', '=like'):
            domain += ['|', ('default_code', operator, name), ('name', operator, name)]
        else:
            domain += [('name', operator, name)]
        return self.search(domain, limit=limit).name_get()
