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
