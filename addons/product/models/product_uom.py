"""Units of measure: each belongs to a category and is defined by its ratio to the category's
reference unit, so that quantities and prices convert between units of one category."""

import math

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError, ValidationError

UOM_TYPES = [
    ('bigger', 'Bigger than the reference unit'),
    ('reference', 'Reference unit of its category'),
    ('smaller', 'Smaller than the reference unit'),
]


def round_to(value, rounding):
    """``value`` rounded half away from zero to a multiple of ``rounding`` (e.g. 0.01)."""
    if not rounding:
        return value
    steps = abs(value) / rounding
    # tolerate the binary noise of a division (2.675 / 0.01 = 267.49999999999997)
    rounded = math.floor(steps + 0.5 + 1e-9) * rounding
    digits = max(0, -int(math.floor(math.log10(rounding)))) if rounding < 1 else 0
    return math.copysign(round(rounded, digits), value) if rounded else 0.0


class UomCategory(models.Model):
    _name = 'product.uom.categ'
    _description = 'Unit of Measure Category'
    _order = 'name'

    name = fields.Char(required=True)
    uom_ids = fields.One2many('product.uom', 'category_id', 'Units of Measure')

    _sql_constraints = [('name_uniq', 'unique (name)', 'A unit of measure category with this name exists.')]


class Uom(models.Model):
    _name = 'product.uom'
    _description = 'Unit of Measure'
    _order = 'category_id, factor desc, name'

    name = fields.Char('Unit of Measure', required=True)
    category_id = fields.Many2one('product.uom.categ', 'Category', required=True, ondelete='restrict')
    uom_type = fields.Selection(UOM_TYPES, 'Type', required=True, default='reference')
    factor = fields.Float(
        'Ratio',
        digits=(12, 12),
        required=True,
        default=1.0,
        help='How many of this unit make one reference unit of the category: '
        '1000 for g when kg is the reference, 1/12 for Dozen(s) when '
        'Unit(s) is. A bigger unit has a ratio below 1, a smaller one above 1.',
    )
    factor_inv = fields.Float(
        'Bigger Ratio',
        digits=(12, 12),
        compute='_compute_factor_inv',
        help='How many reference units make one of this unit.',
    )
    rounding = fields.Float('Rounding Precision', digits=(12, 6), required=True, default=0.01)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ('factor_gt_zero', 'CHECK (factor > 0)', 'The ratio of a unit of measure must be positive.'),
        ('rounding_gt_zero', 'CHECK (rounding > 0)', 'The rounding precision must be positive.'),
    ]

    @api.depends('factor')
    def _compute_factor_inv(self):
        for uom in self:
            uom.factor_inv = 1.0 / uom.factor if uom.factor else 0.0

    @api.constrains('uom_type', 'factor', 'category_id')
    def _check_reference(self):
        for uom in self:
            if uom.uom_type == 'reference' and abs(uom.factor - 1.0) > 1e-9:
                raise ValidationError(
                    '%s is the reference unit of %s: its ratio must be 1.' % (uom.name, uom.category_id.name)
                )
            if uom.uom_type == 'bigger' and uom.factor >= 1.0:
                raise ValidationError(
                    '%s is bigger than the reference unit: its ratio must be below 1.' % uom.name
                )
            if uom.uom_type == 'smaller' and uom.factor <= 1.0:
                raise ValidationError(
                    '%s is smaller than the reference unit: its ratio must be above 1.' % uom.name
                )
            references = self.search(
                [('category_id', '=', uom.category_id.id), ('uom_type', '=', 'reference')]
            )
            if len(references) > 1:
                raise ValidationError(
                    'The category %s has more than one reference unit: %s.'
                    % (uom.category_id.name, ', '.join(references.mapped('name')))
                )

    def _check_same_category(self, to_uom):
        if self.category_id != to_uom.category_id:
            raise UserError(
                'Cannot convert from %s (%s) to %s (%s): the units are not of the same '
                'category.' % (self.name, self.category_id.name, to_uom.name, to_uom.category_id.name)
            )

    def _compute_quantity(self, qty, to_uom, round=True):
        """``qty`` of this unit expressed in ``to_uom`` (same category), rounded to ``to_uom``'s
        rounding unless ``round`` is False."""
        self.ensure_one()
        to_uom.ensure_one()
        if self == to_uom:
            return qty
        self._check_same_category(to_uom)
        amount = qty / self.factor * to_uom.factor
        return round_to(amount, to_uom.rounding) if round else amount

    def _compute_price(self, price, to_uom):
        """A price per unit of this unit, as a price per ``to_uom`` (same category)."""
        self.ensure_one()
        to_uom.ensure_one()
        if self == to_uom:
            return price
        self._check_same_category(to_uom)
        return price * self.factor / to_uom.factor

    @api.rpc('read')
    def compute_quantity(self, qty, to_uom_id):
        """RPC face of ``_compute_quantity``: ``qty`` of this unit in unit ``to_uom_id``."""
        return self._compute_quantity(qty, self.browse(to_uom_id))
