"""Housekeeping run by cron jobs: old transient (wizard) rows, expired web sessions and old
failed-login counts."""

import logging

from openerp_lite import api, models

_logger = logging.getLogger(__name__)


class AutoVacuum(models.AbstractModel):
    _name = 'ir.autovacuum'
    _description = 'Automatic vacuum of transient data'

    @api.model
    def _run_vacuum(self):
        """Vacuum every transient model by age and count (the base data runs it every 5 minutes);
        returns the rows deleted."""
        deleted = 0
        for name, model_cls in sorted(self.env.registry.models.items()):
            if model_cls._transient and not model_cls._abstract:
                deleted += self.env[name]._transient_vacuum(force=True)
        return deleted

    @api.model
    def _purge_web_sessions(self):
        """Delete the web sessions idle past ``--session-timeout`` (the base data runs it daily).

        Sessions live in a table of their own managed by the server's session service; the
        timeout is a server option, so both come from there.
        """
        from openerp_lite.service import cron, session  # the server side of sessions

        session.purge_expired(self.env.cr.dbname, cron.session_timeout())
        return True

    @api.model
    def _purge_login_failures(self):
        """Forget the failed-login counts quiet for a day and no longer blocking (the base data
        runs it daily): every login an anonymous client tries leaves one, so they must not pile
        up. Returns the rows deleted."""
        from openerp_lite.service import login_guard  # the server side of the back-off

        return login_guard.purge(self.env.cr)
