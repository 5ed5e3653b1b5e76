"""Gunicorn configuration for openerp-lite, the 2012 way of running it under Gunicorn:

    gunicorn -c gunicorn.conf.py openerp_lite.http:application

Settings come from the openerp-lite configuration, not from this file: the INI file named by
``$OPENERP_SERVER`` (or ``$OPENERP_LITE_CONFIG``), then ``OPENERP_LITE_<KEY>`` environment variables
(``OPENERP_LITE_WORKERS=4``, ``OPENERP_LITE_LIMIT_TIME_CPU=60``, ``OPENERP_LITE_DB_HOST=...``).
They are turned into Gunicorn settings by the same function as ``openerp-server --workers N``
(:func:`server_adapters.gunicorn.settings`), so both ways get the same hooks and limits:
preloaded application, pools closed before each fork, the per-request CPU and memory limits,
``timeout`` = ``--limit-time-real``, ``max_requests`` = ``--limit-request`` with jitter, and the
same ``--max-cron-threads`` cron processes supervised by the master. Gunicorn command-line flags
still override what is set here.
"""

import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_adapters  # noqa: E402
from openerp_lite import http, sql_db  # noqa: E402
from openerp_lite.cli import server as _server  # noqa: E402
from openerp_lite.tools import config as _config  # noqa: E402
from openerp_lite.tools import log as _log  # noqa: E402
from server_adapters import gunicorn as _adapter  # noqa: E402

_options = _config.parse([], os.environ)
# Gunicorn reads this file again on SIGHUP: the limits follow the new reading, while what the
# master started once (database server, cron processes, process board) stays with the hooks of
# the process (see openerp_lite.cli.server.process_hooks).
_master = _server.process_hooks()
_hooks = server_adapters.Hooks(pre_fork=lambda *_worker: sql_db.close_all())
for _name in ('on_ready', 'post_fork', 'post_request', 'on_reload'):
    _hooks.add(_name, functools.partial(_master.run, _name))

# bind, workers, worker_class, preload_app, timeout, graceful_timeout, max_requests(_jitter),
# proc_name and the when_ready/pre_fork/post_fork/pre_request/post_request/worker_exit/on_reload
# hooks. On SIGHUP gunicorn reads this file again, then runs on_reload in the master: the
# registries it holds are rebuilt and its cron processes replaced, so the new workers (forked
# next) and cron run the code now on disk. SIGINT keeps gunicorn's meaning here, a quick stop:
# gunicorn's command builds its own arbiter, which only ``openerp-server --workers N`` replaces
# (server_adapters.gunicorn.Arbiter); use SIGTERM for a graceful stop.
globals().update(_adapter.settings(_options, _hooks))


def on_starting(server):
    """In the master, before the application is loaded: logging, database, HTTP settings, cron."""
    _log.setup(_options)
    _server.start_database(_options, _master)
    _server.prepare_db_service(_options)
    http.setup(_options, server_kind='gunicorn')
    _server.add_process_hooks(_options, _master, 'gunicorn')


def on_exit(server):
    """In the master, when it stops: cron processes, then the embedded PostgreSQL, if any."""
    _master.run('on_shutdown')
