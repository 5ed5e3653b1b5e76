"""Hand one settings object to every layer below HTTP: the one place that does.

The command line (``openerp-server``, ``cron``, ``test``), ``gunicorn -c gunicorn.conf.py`` and an
application served by a foreign WSGI server all call :func:`settle` with the immutable
:class:`~openerp_lite.tools.config.Options` they built, so each layer reads the same values, with
the declared defaults, and none keeps a copy of its own to drift from the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from . import registry, sql_db, sql_replica
from .modules import module
from .service import cron
from .tools import config


def settle(options: config.Options, database_server: Mapping[str, Any] | None = None) -> config.Options:
    """Hand ``options`` to the database access (the primary and its hot standbys), the addons
    path, the registries and cron.

    ``database_server``: the connection parameters of an embedded PostgreSQL the caller started,
    used instead of ``--db_host`` and friends.
    """
    sql_db.configure(**config.database_settings(options, database_server))
    sql_replica.configure(**config.replica_settings(options))
    module.initialize_addons_path(options.addons_path)
    registry.configure(options)
    cron.configure(options)
    return options


def from_environment(environ: Mapping[str, str] | None = None) -> config.Options:
    """Settings from the environment and its config file (no command line), settled: the start
    of an application served by a foreign WSGI server that never ran ``main()``."""
    return settle(config.parse([], os.environ if environ is None else environ))
