"""Users and groups: credentials (hashed with passlib), group membership with implied groups."""

import logging

from passlib.context import CryptContext

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessDenied, UserError, ValidationError
from openerp_lite.tools.cache import ormcache

_logger = logging.getLogger(__name__)

#: pbkdf2-sha512: slow on purpose; the per-process credential cache keeps calls fast
CRYPT_CONTEXT = CryptContext(['pbkdf2_sha512'], pbkdf2_sha512__default_rounds=20000)


def bootstrap_superuser(env):
    """Create the superuser (id 1), its company and partner before the data files run, since
    every row's ``create_uid`` refers to it."""
    cr = env.cr
    cr.execute('SELECT 1 FROM res_users WHERE id = 1')
    if cr.fetchone():
        return
    cr.execute(
        "INSERT INTO res_currency (id, name, symbol, rounding, active) VALUES (1, 'EUR', '€', 0.01, TRUE)"
    )
    cr.execute("INSERT INTO res_partner (id, name, is_company, active) VALUES (1, 'My Company', TRUE, TRUE)")
    cr.execute("INSERT INTO res_company (id, name, partner_id, currency_id) VALUES (1, 'My Company', 1, 1)")
    cr.execute(
        'INSERT INTO res_partner (id, name, active, company_id, lang) '
        "VALUES (2, 'Administrator', TRUE, 1, 'en_US')"
    )
    cr.execute(
        "INSERT INTO res_users (id, login, partner_id, company_id, active) VALUES (1, 'admin', 2, 1, TRUE)"
    )
    for table in ('res_currency', 'res_partner', 'res_company', 'res_users'):
        cr.execute(
            'SELECT setval(pg_get_serial_sequence(%s, \'id\'), (SELECT max(id) FROM "%s"))' % ('%s', table),
            (table,),
        )
    cr.execute('UPDATE res_partner SET create_uid = 1, write_uid = 1')
    data = env['ir.model.data']
    for name, model, res_id in (
        ('EUR', 'res.currency', 1),
        ('main_partner', 'res.partner', 1),
        ('main_company', 'res.company', 1),
        ('partner_admin', 'res.partner', 2),
        ('user_admin', 'res.users', 1),
        ('user_root', 'res.users', 1),
    ):
        data._ensure_xmlid('base', name, model, res_id, noupdate=True)


class Groups(models.Model):
    _name = 'res.groups'
    _description = 'Access Groups'
    _order = 'name'
    _invalidates = ('groups', 'access', 'rules')

    name = fields.Char(required=True)
    full_name = fields.Char(compute='_compute_full_name')
    category = fields.Char('Application')
    comment = fields.Text()
    implied_ids = fields.Many2many(
        'res.groups',
        'res_groups_implied_rel',
        'gid',
        'hid',
        string='Inherits',
        help='Users of this group are also in these',
    )
    users = fields.Many2many('res.users', 'res_groups_users_rel', 'gid', 'uid', string='Users')
    model_access = fields.One2many('ir.model.access', 'group_id', 'Access Controls')
    rule_groups = fields.Many2many('ir.rule', 'rule_group_rel', 'group_id', 'rule_group_id', string='Rules')

    _sql_constraints = [('name_uniq', 'unique (category, name)', 'The name of the group must be unique!')]

    def _compute_full_name(self):
        for group in self:
            group.full_name = '%s / %s' % (group.category, group.name) if group.category else group.name


class Users(models.Model):
    """A user is a partner (``_inherits``): its name, email, phone, language, timezone, image...
    are its partner's, read and written through the user; what is a user's own is below."""

    _name = 'res.users'
    _description = 'Users'
    _order = 'name, login'
    _inherits = {'res.partner': 'partner_id'}

    login = fields.Char(required=True, help='Used to log in')
    password = fields.Char(
        compute='_compute_password',
        inverse='_set_password',
        copy=False,
        help='Write-only: reading it gives an empty value',
    )
    password_hash = fields.Char(copy=False, internal=True, prefetch=False)
    partner_id = fields.Many2one(
        'res.partner', 'Related Partner', required=True, ondelete='restrict', copy=False
    )
    company_id = fields.Many2one('res.company', 'Company', default=lambda self: self._default_company())
    company_ids = fields.Many2many(
        'res.company',
        'res_company_users_rel',
        'user_id',
        'cid',
        string='Companies',
        default=lambda self: self._default_companies(),
    )
    groups_id = fields.Many2many(
        'res.groups',
        'res_groups_users_rel',
        'uid',
        'gid',
        string='Groups',
        default=lambda self: self._default_groups(),
    )
    active = fields.Boolean(default=True)
    login_date = fields.Datetime('Latest authentication', readonly=True)
    share = fields.Boolean(
        'Share User', compute='_compute_share', help='External user: not in the Internal User group'
    )
    state = fields.Selection(
        [('new', 'Never Connected'), ('active', 'Confirmed')], 'Status', compute='_compute_state'
    )

    _sql_constraints = [('login_key', 'UNIQUE (login)', 'You can not have two users with the same login!')]

    def _default_company(self):
        return self.env.ref('base.main_company', raise_if_not_found=False)

    def _default_groups(self):
        group = self.env.ref('base.group_user', raise_if_not_found=False)
        return [(6, 0, group.ids)] if group else []

    def _default_companies(self):
        company = self._default_company()
        return [(6, 0, company.ids)] if company else []

    def _compute_share(self):
        for user in self:
            user.share = not user.has_group('base.group_user')

    def _compute_state(self):
        for user in self:
            user.state = 'active' if user.login_date else 'new'

    # -- password ---------------------------------------------------------------------------------
    def _compute_password(self):
        for user in self:
            user.password = ''

    def _set_password(self):
        for user in self:
            clear = self.env.cache[(self._name, 'password')].get(user.id)
            if clear:
                self._store_password(user.id, clear)

    def _store_password(self, uid, clear):
        if not isinstance(clear, str) or not clear:
            raise ValidationError('A password must be a non-empty string.')
        self.env.cr.execute(
            'UPDATE res_users SET password_hash = %s WHERE id = %s', (CRYPT_CONTEXT.hash(clear), uid)
        )
        self._credentials_changed()

    def _credentials_changed(self):
        """Drop every cached successful credential check of this registry."""
        for kind in ('credentials', 'groups', 'access', 'rules', 'sessions'):
            self.env.registry.invalidate_cache(kind, self.env.cr)

    # -- create / write ---------------------------------------------------------------------------
    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if not vals.get('partner_id'):
                # its partner is made from the values of partner fields (the ORM's _inherits);
                # a user given only a login is named after it
                vals.setdefault('name', vals.get('login'))
                if not vals.get('name'):
                    raise ValidationError('A user needs a name or a login.')
            prepared.append(vals)
        users = super().create(prepared)
        self._credentials_changed()
        return users

    def write(self, vals):
        if (
            'groups_id' in vals
            or 'active' in vals
            or 'login' in vals
            or 'password' in vals
            or 'company_id' in vals
        ):
            self._credentials_changed()
        if self.env.uid != 1 and 1 in self._ids and ('active' in vals or 'groups_id' in vals):
            raise UserError('The superuser cannot be modified by another user.')
        return super().write(vals)

    def unlink(self):
        if 1 in self._ids:
            raise UserError('The superuser cannot be deleted.')
        self._credentials_changed()
        return super().unlink()

    # -- authentication ---------------------------------------------------------------------------
    @api.model
    def _authenticate(self, login, password):
        """The uid of an active user ``login`` whose password matches, else False."""
        if not login or not password or not isinstance(login, str) or not isinstance(password, str):
            return False
        cr = self.env.cr
        cr.execute('SELECT id, password_hash FROM res_users WHERE login = %s AND active', (login,))
        row = cr.fetchone()
        if not row or not row[1]:
            CRYPT_CONTEXT.dummy_verify()  # same cost whether or not the login exists
            return False
        uid, stored = row
        valid, new_hash = CRYPT_CONTEXT.verify_and_update(password, stored)
        if not valid:
            return False
        if new_hash:
            cr.execute('UPDATE res_users SET password_hash = %s WHERE id = %s', (new_hash, uid))
        return uid

    @api.model
    def _check_credentials(self, uid, password):
        """Raise AccessDenied unless ``password`` is the current password of active user ``uid``."""
        if not isinstance(uid, int) or isinstance(uid, bool) or not isinstance(password, str) or not password:
            raise AccessDenied()
        self.env.cr.execute('SELECT password_hash FROM res_users WHERE id = %s AND active', (uid,))
        row = self.env.cr.fetchone()
        if not row or not row[0] or not CRYPT_CONTEXT.verify(password, row[0]):
            raise AccessDenied()

    @api.model
    @api.rpc(None, readonly=True)
    def context_get(self):
        """The user's context: language, timezone and uid (clients call this after login)."""
        user = self.env.user
        return {'lang': user.lang or 'en_US', 'tz': user.tz or False, 'uid': self.env.uid}

    # -- groups -----------------------------------------------------------------------------------
    @api.model
    @ormcache('groups', 'uid')
    def _effective_group_ids(self, uid):
        """Ids of the groups of ``uid``, implied groups included (cached per registry)."""
        self.env.cr.execute(
            'WITH RECURSIVE g(id) AS (SELECT gid FROM res_groups_users_rel WHERE uid = %s '
            'UNION SELECT r.hid FROM res_groups_implied_rel r JOIN g ON r.gid = g.id) SELECT id FROM g',
            (uid,),
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    @ormcache('groups', 'uid')
    def _user_group_xmlids(self, uid):
        """External ids (``module.name``) of the groups of ``uid``, implied ones included."""
        ids = list(self._effective_group_ids(uid))
        self.env.cr.execute(
            "SELECT module || '.' || name FROM ir_model_data WHERE model = 'res.groups' AND res_id = ANY(%s)",
            (ids,),
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.rpc('read')
    def has_group(self, group_xmlid):
        """Whether this user (or the current one) is in the group named by ``group_xmlid``."""
        uid = self.id if self._ids else self.env.uid
        return group_xmlid in self._user_group_xmlids(uid)
