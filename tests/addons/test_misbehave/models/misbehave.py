"""A model whose public methods misbehave on purpose: the server limits' test subject.

Every method is bounded by its argument (and by a hard cap) so a test that goes wrong cannot leave
a worker busy forever.
"""

import os
import time

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError

#: upper bound of any duration argument, in seconds
MAX_SECONDS = 300
#: upper bound of an allocation, in megabytes
MAX_MB = 16384


class Misbehave(models.Model):
    _name = 'test.misbehave'
    _description = 'Misbehaving requests'

    name = fields.Char(required=True)

    @api.model
    @api.rpc('read')
    def cpu_loop(self, seconds):
        """Burn CPU for ``seconds`` of process CPU time; returns the iterations done."""
        deadline = time.process_time() + min(float(seconds), MAX_SECONDS)
        count = 0
        while time.process_time() < deadline:
            count += 1
        return count

    @api.model
    @api.rpc('read')
    def allocate(self, mb):
        """Allocate ``mb`` megabytes and touch every page; returns the size allocated."""
        size = min(int(mb), MAX_MB) * 1024 * 1024
        block = bytearray(size)
        for offset in range(0, size, 4096):
            block[offset] = 1
        return len(block) // (1024 * 1024)

    @api.model
    @api.rpc('read')
    def sleep(self, seconds):
        """Sleep ``seconds`` of wall-clock time; returns True."""
        time.sleep(min(float(seconds), MAX_SECONDS))
        return True

    @api.model
    @api.rpc('read')
    def fail(self, message):
        """Raise a user error with ``message``."""
        raise UserError(message)

    @api.model
    @api.rpc('create')
    def write_then_sleep(self, seconds, name='write_then_sleep'):
        """Create a record called ``name`` then sleep: a worker killed meanwhile must leave no
        trace of it. Returns the new id (only if the sleep ends)."""
        record = self.create({'name': name})
        self.env.cr.execute('SELECT 1')  # the row is written in the open transaction
        time.sleep(min(float(seconds), MAX_SECONDS))
        return record.id

    @api.model
    @api.rpc('create')
    def write_then_cpu_loop(self, seconds, name='write_then_cpu_loop'):
        """Create a record called ``name`` then burn CPU: a request stopped by the CPU limit
        must leave no trace of it. Returns the new id (only if the loop ends)."""
        record = self.create({'name': name})
        self.env.cr.execute('SELECT 1')
        self.cpu_loop(seconds)
        return record.id

    @api.model
    @api.rpc('create')
    def write_then_fail(self, name, message='failed on purpose'):
        """Create a record called ``name`` then raise: the record must not survive (a failing
        cron job is rolled back)."""
        self.create({'name': name})
        self.env.cr.execute('SELECT 1')
        raise UserError(message)

    @api.model
    @api.rpc('read')
    def sql_sleep(self, seconds):
        """Sleep ``seconds`` inside one SQL statement (``pg_sleep``): the statement timeout and
        the client check are what stop it. Returns True."""
        self.env.cr.execute(
            "SELECT set_config('application_name', %s, true)",
            ('openerp-lite sql_sleep pid %d' % os.getpid(),),
        )
        self.env.cr.execute('SELECT pg_sleep(%s)', (min(float(seconds), MAX_SECONDS),))
        return True

    @api.model
    @api.rpc('read')
    def write_in_a_read(self, name):
        """Declared read-only, yet creates a record: its READ ONLY transaction refuses."""
        return self.create({'name': name}).id
