"""Languages: the locales a database offers, and the wizard that activates them.

Every common locale is there from the start, inactive; activating one (``base.language.install``
or writing ``active``) makes it a language users may choose and translated fields may hold a
value in. English (US) is the source language: it cannot be deactivated, and a translated field
falls back to its English value.
"""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError
from openerp_lite.tools.cache import ormcache

SOURCE_LANG = 'en_US'


class Lang(models.Model):
    _name = 'res.lang'
    _description = 'Languages'
    _order = 'active desc, name'
    #: the active languages are cached with the parameters (``env.lang`` reads them every call)
    _invalidates = ('config',)

    name = fields.Char(required=True)
    code = fields.Char('Locale Code', required=True, size=16, help='e.g. fr_FR')
    iso_code = fields.Char('ISO code', size=16)
    url_code = fields.Char('URL Code', size=16)
    active = fields.Boolean()
    direction = fields.Selection([('ltr', 'Left-to-Right'), ('rtl', 'Right-to-Left')], default='ltr')
    date_format = fields.Char(default='%m/%d/%Y')
    time_format = fields.Char(default='%H:%M:%S')
    week_start = fields.Selection(
        [
            ('1', 'Monday'),
            ('2', 'Tuesday'),
            ('3', 'Wednesday'),
            ('4', 'Thursday'),
            ('5', 'Friday'),
            ('6', 'Saturday'),
            ('7', 'Sunday'),
        ],
        'First Day of Week',
        default='7',
    )
    decimal_point = fields.Char('Decimal Separator', default='.')
    thousands_sep = fields.Char('Thousands Separator', default=',')
    grouping = fields.Char('Separator Format', default='[3,0]')

    _sql_constraints = [
        ('code_uniq', 'unique (code)', 'The code of the language must be unique!'),
        ('name_uniq', 'unique (name)', 'The name of the language must be unique!'),
    ]

    @api.model
    @ormcache('config')
    def _active_codes(self):
        self.env.cr.execute('SELECT code FROM res_lang WHERE active')
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    @api.rpc('read')
    def get_installed(self):
        """``[(code, name), ...]`` of the active languages, as Odoo's clients ask for them."""
        self.env.cr.execute('SELECT code, name FROM res_lang WHERE active ORDER BY name')
        return [list(row) for row in self.env.cr.fetchall()]

    @api.model
    def _lang_selection(self):
        return [tuple(pair) for pair in self.get_installed()]

    def write(self, vals):
        if 'active' in vals and not vals['active']:
            self._check_deactivation()
        return super().write(vals)

    def unlink(self):
        self._check_deactivation()
        return super().unlink()

    def _check_deactivation(self):
        codes = self.sudo().mapped('code')
        if SOURCE_LANG in codes:
            raise UserError(
                'English (US) is the language translated fields fall back to; it '
                'cannot be deactivated or deleted.'
            )
        self.env.cr.execute(
            'SELECT DISTINCT lang FROM res_partner p JOIN res_users u ON '
            'u.partner_id = p.id WHERE u.active AND p.lang = ANY(%s)',
            (codes,),
        )
        used = [row[0] for row in self.env.cr.fetchall()]
        if used:
            raise UserError(
                'Languages %s are used by users; give them another language first.' % ', '.join(sorted(used))
            )

    @api.model
    def _activate(self, codes):
        """Activate the languages ``codes``; UserError naming an unknown one."""
        found = self.with_context(active_test=False).search([('code', 'in', list(codes))])
        unknown = sorted(set(codes) - set(found.mapped('code')))
        if unknown:
            raise UserError(
                'Unknown language %s (the languages are the rows of res.lang).' % ', '.join(unknown)
            )
        found.filtered(lambda lang: not lang.active).write({'active': True})
        return found


class LanguageInstall(models.TransientModel):
    """Activate languages, as Odoo's Settings > Translations > Languages wizard does: ``lang``
    (one code, OpenERP and Odoo up to 15) or ``lang_ids`` (Odoo 16 and later), then
    ``lang_install``."""

    _name = 'base.language.install'
    _description = 'Install Language'

    lang = fields.Selection('_all_languages', 'Language')
    lang_ids = fields.Many2many(
        'res.lang',
        'base_language_install_rel',
        'wizard_id',
        'lang_id',
        'Languages',
        context={'active_test': False},
    )
    overwrite = fields.Boolean(
        'Overwrite Existing Terms',
        help='Kept for the clients that send it: there are no term files to load, so it changes nothing',
    )
    state = fields.Selection([('init', 'init'), ('done', 'done')], default='init')

    @api.model
    def _all_languages(self):
        self.env.cr.execute('SELECT code, name FROM res_lang ORDER BY name')
        return self.env.cr.fetchall()

    @api.rpc('write')
    def lang_install(self):
        """Activate the chosen languages; returns True."""
        codes = set()
        # the languages to install are inactive ones: read the relation with them
        for wizard in self.with_context(active_test=False):
            codes.update(wizard.lang_ids.mapped('code'))
            if wizard.lang:
                codes.add(wizard.lang)
        if not codes:
            raise UserError('Choose the languages to install (lang or lang_ids).')
        self.env['res.lang']._activate(sorted(codes))
        self.write({'state': 'done'})
        return True
