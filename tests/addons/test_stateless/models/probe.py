"""What one worker process enforces right now, with its pid: lets a test that talks to several
prefork workers through one socket know which worker answered and what that worker saw."""

import os
import time

from openerp_lite import api, exceptions, models


class Probe(models.AbstractModel):
    _name = 'test.stateless.probe'
    _description = 'Per-process view of the shared state'

    @api.model
    @api.rpc(None, readonly=True)
    def observe(self, pause=0.0, check_uid=None, check_password=None):
        """The caller's view of everything the coherence tests change, from this process.

        ``pause`` (at most one second) keeps this worker busy so that concurrent calls spread
        over the others; ``check_uid``/``check_password`` are checked the way the object service
        checks every call's credentials, cache included."""
        time.sleep(min(float(pause or 0), 1.0))
        items = self.env['test.stateless.item']
        try:
            visible = sorted(items.search([]).ids)
        except exceptions.AccessError:
            visible = None
        seen = {
            'pid': os.getpid(),
            'models': sorted(name for name in ('test.stateless.extra',) if name in self.env.registry),
            'can_create_item': items.check_access_rights('create', raise_exception=False),
            'visible_items': visible,
            'param': self.env['ir.config_parameter'].sudo().get_param('stateless.key'),
            'digits': items.fields_get(['value'])['value']['digits'],
        }
        if check_uid:
            # the same path as the start of every RPC call (a test addon may reach into the core)
            from openerp_lite.service import security
            try:
                security.check(self.env.cr, self.env.registry, check_uid, check_password)
                seen['credentials'] = True
            except exceptions.AccessDenied:
                seen['credentials'] = False
        return seen

    @api.model
    @api.rpc(None)
    def round_value(self, value):
        """``value`` as stored in an item's precision-dependent field, with the pid."""
        item = self.env['test.stateless.item'].sudo().create({'name': 'rounding', 'value': value})
        return {'pid': os.getpid(), 'value': item.value}

    @api.model
    @api.rpc(None)
    def create_wizard(self, note):
        return {'pid': os.getpid(), 'id': self.env['test.stateless.wizard'].create({'note': note}).id}

    @api.model
    @api.rpc(None)
    def apply_wizard(self, wizard_id, item_id):
        """Continue wizard ``wizard_id`` (made by the caller, maybe elsewhere) on item ``item_id``."""
        wizard = self.env['test.stateless.wizard'].browse(wizard_id)
        wizard.write({'item_ids': [(6, 0, [item_id])]})
        wizard.action_apply()
        return {'pid': os.getpid(), 'note': self.env['test.stateless.item'].browse(item_id).note}
