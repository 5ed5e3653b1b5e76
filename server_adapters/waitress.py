"""The waitress adapter: one process, ``--threads`` worker threads, through ``waitress.serve``.

A pure-Python production server for platforms without fork (or operators who want one process).
The per-worker limits cannot apply to a shared process; they are reported at startup.

SIGTERM and SIGINT raise KeyboardInterrupt in the main thread, which ``waitress`` handles by
shutting its task threads down (in-flight requests get a few seconds) and returning from
``serve``; the shutdown hooks then run in this frame, never inside a signal handler.
"""

import logging
import signal

import waitress

from . import limits

_logger = logging.getLogger(__name__)


def _interrupt(signum, _frame):
    _logger.info('received %s, stopping', signal.Signals(signum).name)
    raise KeyboardInterrupt


def serve(application, options, hooks):
    """Serve ``application`` on ``options.http_interface``:``options.http_port`` until a signal."""
    host = options.http_interface or '127.0.0.1'
    threads = options.threads or 1
    limits.report_not_applied('waitress', options)
    previous = {signum: signal.signal(signum, _interrupt)
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        _logger.info('HTTP service (waitress, %d threads) running on http://%s:%s/', threads,
                     '127.0.0.1' if host in ('0.0.0.0', '') else host, options.http_port)
        waitress.serve(application, host=host, port=options.http_port, threads=threads,
                       ident='openerp-lite')
    except KeyboardInterrupt:
        pass  # a signal before waitress's loop started
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        hooks.run('on_shutdown')
        _logger.info('HTTP service stopped')
