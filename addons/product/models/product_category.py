"""Product categories: a tree, shown by its full path ("All / Saleable / Office")."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import ValidationError


class ProductCategory(models.Model):
    _name = 'product.category'
    _description = 'Product Category'
    _order = 'name'
    _parent_name = 'parent_id'

    name = fields.Char(required=True, index=True, translate=True)
    parent_id = fields.Many2one('product.category', 'Parent Category', index=True, ondelete='cascade')
    child_id = fields.One2many('product.category', 'parent_id', 'Child Categories')
    complete_name = fields.Char('Full Name', compute='_compute_complete_name')
    product_count = fields.Integer(
        '# Products', compute='_compute_product_count', help='Products in this category and its children'
    )

    def _compute_complete_name(self):
        for category in self:
            names, current, seen = [], category, set()
            while current and current.id not in seen:
                seen.add(current.id)
                names.append(current.name or '')
                current = current.parent_id
            category.complete_name = ' / '.join(reversed(names))

    def _compute_product_count(self):
        products = self.env['product.product']
        for category in self:
            category.product_count = products.search_count([('categ_id', 'child_of', category.id)])

    @api.constrains('parent_id')
    def _check_recursion(self):
        for category in self:
            current, seen = category.parent_id, {category.id}
            while current:
                if current.id in seen:
                    raise ValidationError('A category cannot be its own ancestor (%s).' % category.name)
                seen.add(current.id)
                current = current.parent_id

    def name_get(self):
        return [(category.id, category.complete_name) for category in self]
