"""The bench's CPU hog: one public method that keeps a CPU busy for a bounded time."""

import time

from openerp_lite import api, fields, models

#: upper bound of one call, in seconds of CPU time: a mistyped argument cannot pin a worker for long
MAX_SECONDS = 30.0


class BenchTools(models.Model):
    _name = 'bench.tools'
    _description = 'Benchmark tools'

    name = fields.Char()

    @api.model
    @api.rpc('read')
    def cpu_burn(self, seconds):
        """Loop in Python for ``seconds`` (at most 30) of this thread's CPU time, holding the GIL
        as a real computation would; returns the number of loop turns.

        Thread time, not process time: in a threaded server the other requests' CPU must not
        shorten the hog, or the servers would not be given the same work."""
        deadline = time.thread_time() + max(0.0, min(float(seconds), MAX_SECONDS))
        turns = 0
        while time.thread_time() < deadline:
            turns += 1
        return turns


class PlainRow(models.Model):
    """A row the bench writes: a write changes nothing any cache holds."""

    _name = 'bench.plain.row'
    _description = 'Benchmark row (no cache signal)'

    name = fields.Char()
    value = fields.Integer()


class SignallingRow(models.Model):
    """The same row, but a write clears a cache kind in every process, as a change of a system
    parameter or an access right does: its signal counter is bumped inside the writing
    transaction, so concurrent writers contend on that counter's row."""

    _name = 'bench.signalling.row'
    _description = 'Benchmark row (clears the parameters cache everywhere)'
    _invalidates = ('config',)

    name = fields.Char()
    value = fields.Integer()


class Stats(models.AbstractModel):
    _name = 'bench.stats'
    _description = 'What the serving process counted'

    @api.model
    @api.rpc(None, readonly=True)
    def retries(self):
        """``{'pid', 'retries', 'exhausted', 'refused'}``: serialization failures this process
        retried, and commits refused because other processes had changed shared state (a bench
        addon may look at server internals; a real addon never does)."""
        import os

        from openerp_lite.sql_db import RetryStats

        return {
            'pid': os.getpid(),
            'retries': RetryStats.retries,
            'exhausted': RetryStats.exhausted,
            'refused': RetryStats.refused,
        }
