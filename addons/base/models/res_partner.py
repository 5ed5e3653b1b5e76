"""Partners (companies and contacts) and the reference data they use: countries, currencies,
languages."""

from openerp_lite import api, fields, models


class Country(models.Model):
    _name = 'res.country'
    _description = 'Country'
    _order = 'name'

    name = fields.Char('Country Name', required=True)
    code = fields.Char('Country Code', size=2, required=True, help='ISO 3166-1 alpha-2')
    currency_id = fields.Many2one('res.currency', 'Currency')
    phone_code = fields.Integer('Country Calling Code')

    _sql_constraints = [('code_uniq', 'unique (code)', 'The code of the country must be unique!')]


class Currency(models.Model):
    _name = 'res.currency'
    _description = 'Currency'
    _order = 'name'

    name = fields.Char('Currency', size=3, required=True, help='ISO 4217 code')
    symbol = fields.Char(required=True)
    rounding = fields.Float('Rounding Factor', digits=(12, 6), default=0.01)
    rate = fields.Float('Current Rate', digits=(12, 6), default=1.0)
    active = fields.Boolean(default=True)

    _sql_constraints = [('unique_name', 'unique (name)', 'The currency code must be unique!')]

    def round(self, amount):
        self.ensure_one()
        if not self.rounding:
            return amount
        return round(round(amount / self.rounding) * self.rounding, 6)


class Lang(models.Model):
    _name = 'res.lang'
    _description = 'Languages'
    _order = 'active desc, name'

    name = fields.Char(required=True)
    code = fields.Char('Locale Code', required=True, size=16)
    iso_code = fields.Char('ISO code', size=16)
    active = fields.Boolean()
    direction = fields.Selection([('ltr', 'Left-to-Right'), ('rtl', 'Right-to-Left')], default='ltr')
    date_format = fields.Char(default='%m/%d/%Y')
    time_format = fields.Char(default='%H:%M:%S')

    _sql_constraints = [('code_uniq', 'unique (code)', 'The code of the language must be unique!')]


class Partner(models.Model):
    _name = 'res.partner'
    _description = 'Partner'
    _order = 'name, id'

    name = fields.Char(required=True, index=True)
    is_company = fields.Boolean('Is a Company', default=False)
    parent_id = fields.Many2one('res.partner', 'Related Company', index=True)
    child_ids = fields.One2many('res.partner', 'parent_id', 'Contacts')
    ref = fields.Char('Internal Reference', index=True)
    email = fields.Char()
    phone = fields.Char()
    mobile = fields.Char()
    website = fields.Char()
    street = fields.Char()
    street2 = fields.Char()
    zip = fields.Char(size=24)
    city = fields.Char()
    country_id = fields.Many2one('res.country', 'Country', ondelete='restrict')
    comment = fields.Text('Notes')
    function = fields.Char('Job Position')
    lang = fields.Char('Language')
    company_id = fields.Many2one('res.company', 'Company', index=True)
    user_ids = fields.One2many('res.users', 'partner_id', 'Users')
    active = fields.Boolean(default=True)
    customer = fields.Boolean(default=True)
    supplier = fields.Boolean(default=False)
    commercial_partner_id = fields.Many2one('res.partner', compute='_compute_commercial_partner',
                                            string='Commercial Entity')

    def _compute_commercial_partner(self):
        for partner in self:
            current = partner
            for _hop in range(32):
                if current.is_company or not current.parent_id:
                    break
                current = current.parent_id
            partner.commercial_partner_id = current.id

    def name_get(self):
        result = []
        for partner in self:
            name = partner.name or ''
            if partner.parent_id and not partner.is_company:
                name = '%s, %s' % (partner.parent_id.name, name)
            result.append((partner.id, name))
        return result

    @api.model
    def name_create(self, name):
        """Accept ``Name <email@host>`` as OpenERP does."""
        email = False
        if '<' in name and name.rstrip().endswith('>'):
            name, _, rest = name.partition('<')
            email = rest.rstrip().rstrip('>').strip()
        partner = self.create({'name': name.strip() or email, 'email': email})
        return partner.name_get()[0]
