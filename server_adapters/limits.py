"""Per-request resource limits of a prefork worker (one request at a time per process).

The limits only make sense where a process serves one request at a time: the CPU limit is a
process-wide ``RLIMIT_CPU``, the hard memory limit a process-wide ``RLIMIT_AS``, and recycling a
worker for its memory or request count needs a master that replaces it. So they are applied by the
gunicorn adapter (and ``gunicorn.conf.py``); the threaded and waitress servers call
:func:`report_not_applied` at startup instead of ignoring them silently.

This module imports nothing from the ORM (docs/architecture.md, "Layers"): it sees a ``worker`` object with an
``alive`` attribute (gunicorn's) and the options.

Option mapping (OpenERP 7 names):

==========================  ======================================================================
``--limit-time-cpu``        ``RLIMIT_CPU`` soft = CPU used so far + limit before each request; the
                            ``SIGXCPU`` handler raises :class:`CpuTimeLimitExceeded` inside the
                            request (a clean fault, transaction rolled back, worker keeps serving)
``--limit-memory-hard``     ``RLIMIT_AS`` soft: an allocation past it raises ``MemoryError``, which
                            the HTTP layer turns into a "memory limit exceeded" fault
``--limit-memory-soft``     RSS after each request; above it the worker finishes and is replaced
``--limit-time-real``       gunicorn ``timeout``: the arbiter kills a worker stuck past it
``--limit-request``         gunicorn ``max_requests`` with ``max_requests_jitter``
==========================  ======================================================================
"""

import logging
import math
import os
import resource
import signal

_logger = logging.getLogger(__name__)

#: the limits that need one request per process, with the option names shown to operators
PER_PROCESS_LIMITS = (
    ('limit_memory_soft', '--limit-memory-soft'),
    ('limit_memory_hard', '--limit-memory-hard'),
    ('limit_time_cpu', '--limit-time-cpu'),
    ('limit_time_real', '--limit-time-real'),
    ('limit_request', '--limit-request'),
)


class CpuTimeLimitExceeded(Exception):
    """Raised inside a request that used more CPU seconds than ``--limit-time-cpu``.

    An ordinary ``Exception`` on purpose: the transaction code rolls back and the HTTP layer
    turns it into a fault like any server error, so the worker survives and keeps serving.
    ``kind`` makes it a server error in the HTTP error table.
    """

    kind = 'server_error'
    #: counted as a limit reached on the process board (``/web/status``)
    limit_hit = True


def max_requests_jitter(limit_request):
    """Jitter for gunicorn's ``max_requests``: a tenth of it, so workers do not recycle together."""
    return max(1, limit_request // 10) if limit_request else 0


def report_not_applied(server_name, options):
    """Log, at startup of a one-process server, which limits it cannot apply.

    A warning for limits the operator set explicitly (file, environment or command line), an info
    line for defaults: never silently ignored.
    """
    explicit, defaults = [], []
    for key, flag in PER_PROCESS_LIMITS:
        origin = options.origin(key)
        (defaults if origin == 'default' else explicit).append(flag)
    if explicit:
        _logger.warning(
            '%s server: %s not applied (per-worker limits need prefork workers: use --workers N)',
            server_name,
            ', '.join(explicit),
        )
    if defaults:
        _logger.info(
            '%s server: per-worker limits (%s) are not applied in one shared process',
            server_name,
            ', '.join(defaults),
        )


class WorkerLimits:
    """The limit hooks of one worker process, built from the options.

    ``pre_request(worker)`` and ``post_request(worker)`` run around every request in the worker;
    ``post_fork(worker)`` once after the fork.
    """

    def __init__(self, options):
        self.cpu = options.limit_time_cpu or 0
        self.memory_hard = options.limit_memory_hard or 0
        self.memory_soft = options.limit_memory_soft or 0
        self._previous_xcpu = None

    def register(self, hooks):
        """Add the limit callbacks to a :class:`server_adapters.Hooks`."""
        hooks.add('post_fork', self.post_fork)
        hooks.add('pre_request', self.pre_request)
        hooks.add('post_request', self.post_request)

    # -- hooks -----------------------------------------------------------------------------------
    def post_fork(self, worker=None):
        if self.memory_hard:
            self._set_soft_limit(resource.RLIMIT_AS, self.memory_hard)
        if self.cpu:
            self._previous_xcpu = signal.signal(signal.SIGXCPU, self._on_sigxcpu)

    def pre_request(self, worker=None):
        if self.memory_hard:
            # Set again before each request: code may have raised it since (as OpenERP 7 does).
            self._set_soft_limit(resource.RLIMIT_AS, self.memory_hard)
        if self.cpu:
            if signal.getsignal(signal.SIGXCPU) != self._on_sigxcpu:
                signal.signal(signal.SIGXCPU, self._on_sigxcpu)
            used = _cpu_seconds()
            # RLIMIT_CPU counts whole seconds of the process's total: round what is used up.
            self._set_soft_limit(resource.RLIMIT_CPU, math.ceil(used) + self.cpu)

    def post_request(self, worker=None):
        if self.cpu:
            # Lift the CPU limit between requests: the kernel would otherwise go on sending
            # SIGXCPU once a second while the worker waits for the next connection.
            self._reset_soft_limit(resource.RLIMIT_CPU)
        if self.memory_soft and worker is not None:
            rss = _rss()
            if rss is not None and rss > self.memory_soft:
                _logger.info(
                    'worker %d: RSS %d bytes above --limit-memory-soft %d, recycling it after this request',
                    os.getpid(),
                    rss,
                    self.memory_soft,
                )
                worker.alive = False

    # -- helpers ---------------------------------------------------------------------------------
    def _on_sigxcpu(self, signum, frame):
        raise CpuTimeLimitExceeded('CPU time limit exceeded (%d s per request, --limit-time-cpu)' % self.cpu)

    @staticmethod
    def _set_soft_limit(which, value):
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))

    @staticmethod
    def _reset_soft_limit(which):
        _soft, hard = resource.getrlimit(which)
        resource.setrlimit(which, (hard, hard))


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_process = {}


def _rss():
    """Resident set size of this process in bytes, or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    process = _process.get(os.getpid())
    if process is None:
        # one Process object per worker: building one per request showed in profiles
        _process.clear()
        process = _process[os.getpid()] = psutil.Process()
    return process.memory_info().rss
