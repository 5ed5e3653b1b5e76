"""Record rules: domains that restrict which rows a user reaches, per model and operation."""

from openerp_lite import api, expression, fields, models
from openerp_lite.exceptions import ValidationError
from openerp_lite.tools.cache import ormcache
from openerp_lite.tools.safe_eval import default_eval_context, safe_eval

MODES = ('read', 'write', 'create', 'unlink')


class IrRule(models.Model):
    """Global rules (no group) all apply; among group rules, those of the user's groups are
    or-ed together; both parts are and-ed."""

    _name = 'ir.rule'
    _description = 'Record Rule'
    _order = 'model_id, name'
    _invalidates = ('rules',)

    name = fields.Char(index=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one('ir.model', 'Model', required=True, ondelete='cascade', index=True)
    groups = fields.Many2many('res.groups', 'rule_group_rel', 'rule_group_id', 'group_id')
    domain_force = fields.Text('Domain')
    perm_read = fields.Boolean('Apply for Read', default=True)
    perm_write = fields.Boolean('Apply for Write', default=True)
    perm_create = fields.Boolean('Apply for Create', default=True)
    perm_unlink = fields.Boolean('Apply for Delete', default=True)

    @api.constrains('domain_force')
    def _check_domain(self):
        for rule in self:
            if rule.domain_force:
                try:
                    self._eval_domain(rule.domain_force, self.env.user)
                except Exception as error:
                    raise ValidationError('Invalid domain on rule %s: %s' % (rule.name, error))

    @staticmethod
    def _eval_domain(text, user):
        context = default_eval_context()
        context.update(user=user, company_ids=user.company_id.ids, company_id=user.company_id.id)
        domain = safe_eval(text, context)
        if not isinstance(domain, (list, tuple)):
            raise ValueError('a rule domain must be a list')
        return list(domain)

    @api.model
    @ormcache('rules', 'uid', 'model_name', 'mode')
    def _compute_domain(self, model_name, mode='read'):
        """The domain restricting the current user on ``model_name``, or None (cached)."""
        if mode not in MODES:
            raise ValueError(mode)
        uid = self.env.uid
        cr = self.env.cr
        cr.execute(
            'SELECT r.id, r.domain_force, array_remove(array_agg(g.group_id), NULL) FROM ir_rule r '
            'JOIN ir_model m ON m.id = r.model_id LEFT JOIN rule_group_rel g ON g.rule_group_id = r.id '
            'WHERE m.model = %%s AND r.active AND r.perm_%s GROUP BY r.id ORDER BY r.id' % mode,
            (model_name,),
        )
        rows = cr.fetchall()
        result = None
        if rows:
            user = self.env(su=True)['res.users'].browse(uid)
            user_groups = self.env['res.users']._effective_group_ids(uid)
            global_domains, group_domains = [], []
            for _rid, text, groups in rows:
                domain = self._eval_domain(text, user) if text else [(1, '=', 1)]
                if not groups:
                    global_domains.append(domain or [(1, '=', 1)])
                elif set(groups) & set(user_groups):
                    group_domains.append(domain or [(1, '=', 1)])
            parts = list(global_domains)
            if group_domains:
                parts.append(expression.OR(group_domains))
            result = expression.AND(parts) if parts else None
        return result
