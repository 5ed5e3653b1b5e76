"""Gunicorn configuration for openerp-lite, the 2012 way of running it under Gunicorn:

    gunicorn -c gunicorn.conf.py openerp_lite.http:application

Settings come from the openerp-lite configuration, not from this file: the INI file named by
``$OPENERP_SERVER`` (or ``$OPENERP_LITE_CONFIG``), then ``OPENERP_LITE_<KEY>`` environment variables
(``OPENERP_LITE_WORKERS=4``, ``OPENERP_LITE_LIMIT_TIME_CPU=60``, ``OPENERP_LITE_DB_HOST=...``).
They are turned into Gunicorn settings by the same function as ``openerp-server --workers N``
(:func:`server_adapters.gunicorn.settings`), so both ways get the same hooks and limits:
preloaded application, pools closed before each fork, the per-request CPU and memory limits,
``timeout`` = ``--limit-time-real``, ``max_requests`` = ``--limit-request`` with jitter. Gunicorn
command-line flags still override what is set here.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_adapters  # noqa: E402
from openerp_lite import http, sql_db  # noqa: E402
from openerp_lite.cli.server import start_database  # noqa: E402
from openerp_lite.tools import config as _config  # noqa: E402
from openerp_lite.tools import log as _log  # noqa: E402
from server_adapters import gunicorn as _adapter  # noqa: E402

_options = _config.parse([], os.environ)
_hooks = server_adapters.Hooks(pre_fork=lambda *_worker: sql_db.close_all())

# bind, workers, worker_class, preload_app, timeout, graceful_timeout, max_requests(_jitter),
# proc_name and the pre_fork/post_fork/pre_request/post_request/worker_exit hooks.
globals().update(_adapter.settings(_options, _hooks))


def on_starting(server):
    """In the master, before the application is loaded: logging, database, HTTP settings."""
    _log.setup(_options)
    start_database(_options, _hooks)
    http.setup(_options, server_kind='gunicorn')


def on_exit(server):
    """In the master, when it stops: the shutdown hooks (the embedded PostgreSQL, if any)."""
    _hooks.run('on_shutdown')
