"""Which PostgreSQL a command uses: the configured one, or the embedded one it starts.

Shared by the server, cron and test commands.
"""

import logging
import os

from .. import bootstrap, sql_db
from ..exceptions import ConfigError

_logger = logging.getLogger(__name__)


def _use_embedded(options, environ):
    """True when no server is configured: no ``db_host``/``db_port`` and no ``PGHOST``."""
    return not options.db_host and not options.db_port and not environ.get('PGHOST')


def start_database(options, hooks, environ=None):
    """Start the embedded PostgreSQL when none is configured, then settle every layer with
    ``options`` (``bootstrap``), connecting to that server or to the configured one.

    The embedded server is stopped by the ``on_shutdown`` hook.
    """
    environ = os.environ if environ is None else environ
    if _use_embedded(options, environ):
        from .. import embedded_pg

        data_dir = options.data_dir or embedded_pg.default_data_dir()
        server = embedded_pg.EmbeddedPostgres(data_dir)
        params = server.start()
        hooks.add('on_shutdown', server.stop)
        _logger.info('using the embedded PostgreSQL (data in %s)', data_dir)
        bootstrap.settle(options, params)
        return params
    bootstrap.settle(options)
    shown = sql_db.connection_params('postgres')
    host = shown.get('host') or environ.get('PGHOST') or 'local socket'
    port = shown.get('port') or environ.get('PGPORT') or 5432
    _logger.info(
        'using PostgreSQL at %s:%s as %s',
        host,
        port,
        shown.get('user') or environ.get('PGUSER') or 'the current user',
    )
    check_reachable(host, port)
    return shown


def check_reachable(host, port):
    """Connect once to the maintenance database, so that a PostgreSQL that is down, or refuses
    the role, stops the command at once with one line naming it, instead of a traceback from
    whichever layer happens to connect first."""
    import psycopg2

    try:
        sql_db.admin_query('SELECT 1')
    except psycopg2.Error as error:
        reason = ' '.join(str(error).split()) or type(error).__name__
        raise ConfigError(
            'PostgreSQL at %s:%s cannot be reached (%s); start it, or set --db_host/--db_port '
            '(or db_host/db_port in the config file)' % (host, port, reason)
        ) from None
