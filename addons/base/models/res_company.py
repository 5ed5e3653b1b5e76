"""Companies."""

from openerp_lite import fields, models


class Company(models.Model):
    _name = 'res.company'
    _description = 'Companies'
    _order = 'name'

    name = fields.Char(required=True)
    partner_id = fields.Many2one('res.partner', 'Partner', required=True, ondelete='restrict')
    parent_id = fields.Many2one('res.company', 'Parent Company', index=True)
    currency_id = fields.Many2one(
        'res.currency',
        'Currency',
        required=True,
        default=lambda self: self.env.ref('base.EUR', raise_if_not_found=False),
    )
    email = fields.Char(related='partner_id.email')
    phone = fields.Char(related='partner_id.phone')
    user_ids = fields.Many2many('res.users', 'res_company_users_rel', 'cid', 'user_id', 'Accepted Users')
    #: the image served by ``/web/binary/company_logo`` (any format a browser shows)
    logo = fields.Binary('Company Logo')
