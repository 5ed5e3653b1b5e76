"""Partners (companies and contacts) and the reference data they use: countries, states,
currencies, titles and tags."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError


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


class CountryState(models.Model):
    _name = 'res.country.state'
    _description = 'Country state'
    _order = 'code'

    country_id = fields.Many2one('res.country', 'Country', required=True, ondelete='cascade')
    name = fields.Char('State Name', required=True)
    code = fields.Char('State Code', required=True, help='The state code, e.g. CA')

    _sql_constraints = [
        ('name_code_uniq', 'unique (country_id, code)', 'The code of the state must be unique by country!')
    ]


class PartnerTitle(models.Model):
    _name = 'res.partner.title'
    _description = 'Partner Title'
    _order = 'name'

    name = fields.Char('Title', required=True)
    shortcut = fields.Char('Abbreviation')


class PartnerCategory(models.Model):
    _name = 'res.partner.category'
    _description = 'Partner Tags'
    _order = 'name'
    _parent_name = 'parent_id'

    name = fields.Char('Tag Name', required=True)
    color = fields.Integer('Color Index')
    parent_id = fields.Many2one('res.partner.category', 'Parent Category', index=True, ondelete='cascade')
    child_ids = fields.One2many('res.partner.category', 'parent_id', 'Child Tags')
    active = fields.Boolean(default=True)
    partner_ids = fields.Many2many(
        'res.partner', 'res_partner_res_partner_category_rel', 'category_id', 'partner_id', string='Partners'
    )


#: the timezones a partner or user may have (the tz database names Python knows)
def _active_languages(model):
    return model.env['res.lang']._lang_selection()


def _timezones(_model=None):
    try:
        import zoneinfo

        names = sorted(zoneinfo.available_timezones())
    except Exception:  # noqa: BLE001 - no tz data on this machine: UTC only
        names = []
    return [(name, name) for name in (names or ['UTC'])]


ADDRESS_TYPES = [
    ('contact', 'Contact'),
    ('invoice', 'Invoice Address'),
    ('delivery', 'Delivery Address'),
    ('other', 'Other Address'),
    ('private', 'Private Address'),
]


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
    lang = fields.Selection(
        _active_languages,
        'Language',
        help='The language documents for this partner are written in: one of '
        'the active languages (en_US, fr_FR...)',
    )
    tz = fields.Selection(_timezones, 'Timezone')
    company_id = fields.Many2one('res.company', 'Company', index=True)
    title = fields.Many2one('res.partner.title', 'Title')
    category_id = fields.Many2many(
        'res.partner.category',
        'res_partner_res_partner_category_rel',
        'partner_id',
        'category_id',
        string='Tags',
    )
    state_id = fields.Many2one('res.country.state', 'State', ondelete='restrict')
    vat = fields.Char('Tax ID', index=True)
    credit_limit = fields.Float('Credit Limit')
    date = fields.Date(index=True)
    type = fields.Selection(ADDRESS_TYPES, 'Address Type', default='contact')
    company_type = fields.Selection(
        [('person', 'Individual'), ('company', 'Company')],
        'Company Type',
        compute='_compute_company_type',
        inverse='_write_company_type',
    )
    image_1920 = fields.Image('Image', max_width=1920, max_height=1920)
    user_ids = fields.One2many('res.users', 'partner_id', 'Users')
    active = fields.Boolean(default=True)
    customer = fields.Boolean(default=True)
    supplier = fields.Boolean(default=False)
    commercial_partner_id = fields.Many2one(
        'res.partner', compute='_compute_commercial_partner', string='Commercial Entity'
    )

    def write(self, vals):
        self._check_users_partners()
        return super().write(vals)

    def unlink(self):
        self._check_users_partners()
        return super().unlink()

    def _check_users_partners(self):
        """A partner that is another user is that user's name, email and picture: changing it
        needs the right to change users (a clerk may not rename a colleague or take over their
        email address). Everyone may change their own."""
        if self.env.su or not self._ids:
            return
        self.env.cr.execute(
            'SELECT DISTINCT partner_id FROM res_users WHERE partner_id = ANY(%s) AND id != %s',
            (list(self._ids), self.env.uid),
        )
        theirs = sorted(row[0] for row in self.env.cr.fetchall())
        if theirs and not self.env['res.users'].check_access_rights('write', raise_exception=False):
            raise AccessError(
                'Partners %s are other users: changing or deleting them needs the right to '
                'change users (Access Rights).' % theirs[:10]
            )

    def _compute_company_type(self):
        for partner in self:
            partner.company_type = 'company' if partner.is_company else 'person'

    def _write_company_type(self):
        for partner in self:
            value = self.env.cache[(self._name, 'company_type')].get(partner.id)
            partner.write({'is_company': value == 'company'})

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
