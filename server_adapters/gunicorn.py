"""The Gunicorn prefork adapter: sync workers, one request at a time each, with per-worker limits.

Uses gunicorn's official embedding API (a ``gunicorn.app.base.BaseApplication`` subclass), so no
configuration file is needed; ``gunicorn.conf.py`` at the repository root builds the same settings
with :func:`settings` for the ``gunicorn -c gunicorn.conf.py openerp_lite.http:application`` way.

The application is preloaded in the master (``preload_app``) so code and configuration are shared
copy-on-write; the ``pre_fork`` hooks (the CLI passes ``sql_db.close_all``) run before each fork
so no worker inherits a connection. Sync workers are what make the per-request limits meaningful
(see :mod:`server_adapters.limits`).

Signals are gunicorn's, with two changes. SIGHUP runs the ``on_reload`` hooks in the master before
the new workers fork: the CLI rebuilds the preloaded registries there, so an addon edited on disk
is served by the new workers (without it they would fork from the master's old code). SIGINT
stops as gracefully as SIGTERM (gunicorn's is a quick stop, like SIGQUIT): in the master through
:class:`Arbiter`, in the workers through :class:`SyncWorker`, since Ctrl-C in a terminal signals
the whole process group.
"""

import logging
import os
import signal
import sys

from gunicorn import arbiter
from gunicorn.app.base import BaseApplication
from gunicorn.config import KNOWN_SETTINGS
from gunicorn.workers import sync

from . import graceful_timeout, limits, read_deadline, read_timeouts

_logger = logging.getLogger(__name__)

#: what the workers need from the options, set by :func:`settings` in the master before it forks
_worker_settings = {'read_timeouts': (None, None)}


def settings(options, hooks):
    """Gunicorn settings (name -> value) for ``options``, wired to ``hooks``.

    Registers the worker limits on ``hooks`` as a side effect, so call it once per hooks object.
    """
    limits.WorkerLimits(options).register(hooks)
    _worker_settings['read_timeouts'] = read_timeouts(options)
    host = options.http_interface or '127.0.0.1'
    limit_request = options.limit_request or 0
    config = {
        'bind': '%s:%d' % (host, options.http_port),
        'workers': max(options.workers or 0, 1),
        # gunicorn's sync worker, with SIGINT graceful as SIGTERM (see SyncWorker)
        'worker_class': '%s.SyncWorker' % __name__,
        'preload_app': True,
        # gunicorn kills a sync worker that has not checked in for `timeout` seconds: that is
        # exactly the wall-clock limit of one request (0 disables it, as --limit-time-real 0).
        'timeout': options.limit_time_real or 0,
        'graceful_timeout': graceful_timeout(options),
        'max_requests': limit_request,
        'max_requests_jitter': limits.max_requests_jitter(limit_request),
        'proc_name': 'openerp-lite',
        'when_ready': lambda server: hooks.run('on_ready', server),
        'pre_fork': lambda server, worker: hooks.run('pre_fork', worker),
        'post_fork': lambda server, worker: hooks.run('post_fork', worker),
        'pre_request': lambda worker, req: hooks.run('pre_request', worker),
        'post_request': lambda worker, req, environ, resp: hooks.run('post_request', worker),
        'worker_exit': lambda server, worker: hooks.run('worker_exit', worker),
        # in the master on SIGHUP, after the settings are read again, before the new workers fork
        'on_reload': lambda server: hooks.run('on_reload', server),
    }
    if any(setting.name == 'control_socket_disable' for setting in KNOWN_SETTINGS):
        # gunicorn >= 25.1 opens one control socket per user by default: several servers on one
        # machine (tests, several databases) would fight over it; operators use signals instead.
        config['control_socket_disable'] = True
    return config


class Arbiter(arbiter.Arbiter):
    """gunicorn's master, with SIGINT handled as SIGTERM.

    gunicorn stops quickly on SIGINT (workers get SIGQUIT and drop their requests); openerp-lite
    promises the same graceful stop for INT as for TERM under every server. gunicorn dispatches
    each queued signal to the ``handle_<name>`` method of its arbiter, and
    ``BaseApplication.run()`` is where an embedding application chooses its arbiter: overriding
    both is the supported way to change a signal's meaning (``gunicorn -c gunicorn.conf.py``
    builds gunicorn's own arbiter, so INT keeps gunicorn's meaning there).
    """

    def handle_int(self):
        """SIGINT: stop gracefully, as on SIGTERM (the main loop's StopIteration runs halt())."""
        self.log.info('Handling signal: int (graceful, as term)')
        self.handle_term()


class SyncWorker(sync.SyncWorker):
    """gunicorn's sync worker, finishing its request on SIGINT as on SIGTERM, and reading each
    request under a deadline.

    gunicorn's worker exits at once on SIGINT, from inside the request it is serving. A worker
    gets SIGINT from a Ctrl-C in the terminal (the whole process group), not from its master.
    """

    def init_signals(self):
        super().init_signals()
        signal.signal(signal.SIGINT, self.handle_exit)
        signal.siginterrupt(signal.SIGINT, False)

    def handle(self, listener, client, addr):
        """gunicorn's handling of one connection, its reads under one deadline: a sync worker
        serves one client at a time, so a slow one must not hold it (``read_deadline``)."""
        read, write = _worker_settings['read_timeouts']
        if read:
            client.settimeout(write)
            client = read_deadline.DeadlineSocket(client, read, write)
        super().handle(listener, client, addr)


class Application(BaseApplication):
    """Gunicorn application serving an already-built WSGI callable with settings from a dict (the
    server's own application, and the bench's floors under the same settings)."""

    def __init__(self, wsgi, config):
        self._wsgi = wsgi
        self._config = config
        super().__init__()

    def load_config(self):
        for name, value in self._config.items():
            self.cfg.set(name, value)

    def load(self):
        return self._wsgi

    def run(self):
        # BaseApplication.run() with our arbiter (SIGINT graceful), same error handling
        try:
            Arbiter(self).run()
        except RuntimeError as error:
            print('\nError: %s\n' % error, file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)


def serve(application, options, hooks):
    """Serve ``application`` from ``--workers`` gunicorn sync workers until the master stops."""
    config = settings(options, hooks)
    master_pid = os.getpid()
    _logger.info(
        'HTTP service (gunicorn) on http://%s with %d workers; limits: cpu %ss, real %ss, '
        'memory soft %s, hard %s bytes, %s requests',
        config['bind'],
        config['workers'],
        options.limit_time_cpu,
        options.limit_time_real,
        options.limit_memory_soft,
        options.limit_memory_hard,
        options.limit_request,
    )
    try:
        Application(application, config).run()
    finally:
        # A worker leaves gunicorn through SystemExit, up through this frame: only the master
        # may run the shutdown hooks (they stop the embedded PostgreSQL).
        if os.getpid() == master_pid:
            hooks.run('on_shutdown')
            _logger.info('HTTP service stopped')
