"""Model access rights per group: which operations a user may run on a model at all."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, UserError
from openerp_lite.tools.cache import ormcache

ACCESS_MODES = ('read', 'write', 'create', 'unlink')


class IrModelAccess(models.Model):
    """Model-level rights per group (no group: every user); rights of several rows add up."""

    _name = 'ir.model.access'
    _description = 'Model Access'
    _order = 'model_id, group_id, name'
    _invalidates = ('access',)

    name = fields.Char(required=True, index=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one('ir.model', 'Model', required=True, ondelete='cascade', index=True)
    group_id = fields.Many2one('res.groups', 'Group', ondelete='cascade', index=True)
    perm_read = fields.Boolean('Read Access')
    perm_write = fields.Boolean('Write Access')
    perm_create = fields.Boolean('Create Access')
    perm_unlink = fields.Boolean('Delete Access')

    @api.model
    @api.rpc('read')
    def check(self, model, mode='read', raise_exception=True):
        """Whether the current user may ``mode`` on ``model``; raises AccessError if not and
        ``raise_exception``."""
        if mode not in ACCESS_MODES:
            raise UserError('Invalid access mode %r' % (mode,))
        if not isinstance(model, str) or model not in self.env.registry.models:
            raise UserError('Model %r does not exist' % (model,))
        if self.env.su:
            return True
        uid = self.env.uid
        allowed = self._allowed(model, mode)
        if not allowed and raise_exception:
            raise AccessError(
                'Sorry, you are not allowed to %s this document. (Document model: %s, '
                'Operation: %s, User: %s)'
                % (
                    {'read': 'access', 'write': 'modify', 'create': 'create', 'unlink': 'delete'}[mode],
                    model,
                    mode,
                    uid,
                )
            )
        return allowed

    @api.model
    @ormcache('access', 'uid', 'model', 'mode')
    def _allowed(self, model, mode):
        group_ids = self.env['res.users']._effective_group_ids(self.env.uid)
        self.env.cr.execute(
            'SELECT bool_or(a.perm_%s) FROM ir_model_access a JOIN ir_model m ON m.id = a.model_id '
            'WHERE m.model = %%s AND a.active AND (a.group_id IS NULL OR a.group_id = ANY(%%s))' % mode,
            (model, list(group_ids)),
        )
        return bool(self.env.cr.fetchone()[0])
