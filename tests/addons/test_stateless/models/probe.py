"""What one worker process enforces right now, with its pid: lets a test that talks to several
prefork workers through one socket know which worker answered and what that worker saw."""

import os
import signal
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
            'custom_fields': sorted(name for name in items._fields if name.startswith('x_')),
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


#: the points where :meth:`Faults.change_then` fails on purpose
POINTS = ('none', 'raise', 'exit', 'commit_slowly', 'exit_after_commit')


def _die():
    """End this process at once, as the kernel would (SIGKILL: no cleanup, no reply)."""
    os.kill(os.getpid(), signal.SIGKILL)


class Faults(models.AbstractModel):
    _name = 'test.stateless.faults'
    _description = 'A shared change that fails at a chosen point'

    @api.model
    @api.rpc(None, groups='base.group_system')
    def change_then(self, what, args, point, pause=3.0):
        """Make one shared change as the superuser, then fail at ``point`` (see :data:`POINTS`):
        ``raise`` an error after the change (rolled back), ``exit`` the process before the commit,
        ``commit_slowly`` (the COMMIT waits ``pause`` seconds, at most 10, in a deferred trigger:
        long enough to kill the process during it), ``exit_after_commit`` (the process dies right
        after the COMMIT, before it answers), or ``none``. ``what`` and ``args``: ``password``
        ``(uid, password)``, ``group`` ``(uid, group xmlid)`` (the user leaves the group),
        ``acl`` ``(access id, perm_create)``, ``rule`` ``(rule id, active)``, ``param``
        ``(key, value)``, ``custom`` ``(field name,)`` (a custom field on the items). Returns the
        pid when it returns at all."""
        env = self.sudo().env
        if what == 'password':
            env['res.users'].browse(args[0]).write({'password': args[1]})
        elif what == 'group':
            group = env.ref(args[1])
            env['res.users'].browse(args[0]).write({'groups_id': [(3, group.id)]})
        elif what == 'acl':
            env['ir.model.access'].browse(args[0]).write({'perm_create': bool(args[1])})
        elif what == 'rule':
            env['ir.rule'].browse(args[0]).write({'active': bool(args[1])})
        elif what == 'param':
            env['ir.config_parameter'].set_param(args[0], args[1])
        elif what == 'custom':
            env['ir.model.fields'].create(
                {'model': 'test.stateless.item', 'name': args[0], 'ttype': 'char', 'state': 'manual'}
            )
        else:
            raise exceptions.UserError('unknown change %r' % what)
        cr = self.env.cr
        if point == 'raise':
            raise exceptions.UserError('failed on purpose after changing %s' % what)
        if point == 'exit':
            _die()
        if point == 'commit_slowly':
            cr.execute(
                "SELECT set_config('application_name', %s, true)", ('slow commit pid %d' % os.getpid(),)
            )
            cr.execute(
                'CREATE FUNCTION pg_temp.slow_commit() RETURNS trigger LANGUAGE plpgsql AS '
                '$$ BEGIN PERFORM pg_sleep(%s); RETURN NULL; END $$' % float(min(pause, 10))
            )
            cr.execute('CREATE TEMP TABLE slow_commit (x int) ON COMMIT DROP')
            cr.execute(
                'CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_commit '
                'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pg_temp.slow_commit()'
            )
            cr.execute('INSERT INTO slow_commit VALUES (1)')
        if point == 'exit_after_commit':
            cr.after_commit(_die)
        return os.getpid()
