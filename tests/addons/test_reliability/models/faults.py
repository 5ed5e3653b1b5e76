"""Models the fault-injection and concurrency scenarios call through the real RPC path.

Every duration and count is capped, so a scenario that goes wrong cannot keep a worker busy for
long. ``retry_stats`` reads the object service's process-wide retry counters: a test addon may
look at server internals, a real addon never does.
"""

import os
import threading
import time

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError

MAX_ROWS = 1000
MAX_SECONDS = 30


class Row(models.Model):
    _name = 'test.reliability.row'
    _description = 'A row written in batches'

    name = fields.Char(required=True)
    batch = fields.Char(required=True, index=True)
    position = fields.Integer()

    @api.model
    @api.rpc('read')
    def worker_pid(self):
        """The pid of the process serving this call."""
        return os.getpid()

    @api.model
    @api.rpc('create')
    def write_rows(self, batch, count, pause=0.0):
        """Create ``count`` rows of ``batch`` one by one, each followed by ``pause`` seconds:
        a process killed meanwhile must leave none of them. Returns ``[pid, count]``."""
        count = min(int(count), MAX_ROWS)
        pause = min(float(pause), MAX_SECONDS / max(count, 1))
        # name this transaction's session after the batch and the process, so a test can find
        # (and kill) the worker writing it; SET LOCAL ends with the transaction
        self.env.cr.execute(
            "SELECT set_config('application_name', %s, true)",
            ('openerp-lite rows %s pid %d' % (batch, os.getpid()),),
        )
        for position in range(count):
            self.create({'name': '%s/%d' % (batch, position), 'batch': batch, 'position': position})
            self.env.cr.execute('SELECT 1')  # the insert has reached PostgreSQL
            if pause:
                time.sleep(pause)
        return [os.getpid(), count]

    @api.model
    @api.rpc('read')
    def slow_read(self, seconds):
        """Hold a database connection for ``seconds`` (a read, then a sleep); returns True."""
        self.env.cr.execute('SELECT count(*) FROM test_reliability_row')
        time.sleep(min(float(seconds), MAX_SECONDS))
        return True

    @api.model
    @api.rpc('read')
    def cache_sizes(self):
        """``{kind: entries}`` of this process's caches of this database (with the pid)."""
        stats = self.env.registry.cache_stats()
        return dict({kind: value['size'] for kind, value in stats.items()}, pid=os.getpid())

    @api.model
    @api.rpc('read')
    def retry_stats(self):
        """``{'pid', 'retries', 'exhausted'}``: serialization retries of this process so far."""
        from openerp_lite.sql_db import RetryStats

        return {'pid': os.getpid(), 'retries': RetryStats.retries, 'exhausted': RetryStats.exhausted}


class Counter(models.Model):
    _name = 'test.reliability.counter'
    _description = 'A counter incremented by read-modify-write'

    name = fields.Char(required=True)
    value = fields.Integer()

    @api.rpc('write')
    def increment(self):
        """Add one to each counter after reading it; returns the new values."""
        values = []
        for counter in self:
            value = counter.value + 1
            counter.write({'value': value})
            values.append(value)
        return values


class Numbered(models.Model):
    _name = 'test.reliability.numbered'
    _description = 'A document numbered by ir.sequence'

    name = fields.Char(required=True)
    code = fields.Char(required=True)

    @api.model
    @api.rpc('create')
    def create_numbered(self, code, fail=False):
        """Create a document named by the next number of sequence ``code`` (one of this module's:
        ``test.reliability.*``); with ``fail`` the call is refused after taking the number (its
        transaction rolls back). Returns the name."""
        if not isinstance(code, str) or not code.startswith('test.reliability.'):
            raise UserError('Only the sequences of test_reliability number its documents.')
        name = self.env['ir.sequence'].sudo().next_by_code(code)
        if not name:
            raise UserError('No sequence with code %r' % code)
        self.create({'name': name, 'code': code})
        if fail:
            raise UserError('refused after taking %s' % name)
        return name


_attempts = {}
_attempts_lock = threading.Lock()


class Conflict(models.AbstractModel):
    _name = 'test.reliability.conflict'
    _description = 'Calls that lose a race on purpose'

    @api.model
    @api.rpc(None, groups='base.group_user')
    def lose_races(self, token, times):
        """Fail with a real serialization failure from PostgreSQL on the first ``times`` attempts
        of the call identified by ``token`` (every attempt when ``times`` < 0); then return the
        number of attempts made. The attempts are counted in this process, which is where the
        object service retries."""
        with _attempts_lock:
            attempt = _attempts[token] = _attempts.get(token, 0) + 1
        if times < 0 or attempt <= times:
            self.env.cr.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'lost a race on purpose' "
                "USING ERRCODE = 'serialization_failure'; END $$"
            )
        return attempt
