"""Every option of the server, declared once: its config-file key (and the OpenERP names it was
read under before), its flags, converter, default, help, section and the subcommands that offer
it.

``--help``, the README's table (``scripts/options_table.py``), the config-file reader and the
environment reader are all generated from :data:`OPTIONS` (see :mod:`.config`).
"""

from .option_values import (
    choice,
    to_bool,
    to_count,
    to_demo_switch,
    to_float,
    to_list,
    to_log_level,
    to_nonneg_int,
    to_opt_float,
    to_opt_ports,
    to_opt_str,
    to_port,
    to_port_list,
    to_regex,
    to_str,
)


def _fmt_list(value):
    return ','.join(str(item) for item in value)


class Option:
    """One setting: its config-file key, command-line flags, converter, default and help."""

    def __init__(
        self,
        key,
        flags,
        convert,
        default,
        help,
        aliases=(),
        section='Common',
        metavar=None,
        flag_value=None,
        file_only=False,
        saved=True,
        commands=None,
    ):
        self.key = key
        self.flags = tuple(flags)
        self.convert = convert
        self.default = default
        self.help = help
        self.aliases = tuple(aliases)  # older config-file key names
        self.section = section
        self.metavar = metavar
        self.flag_value = flag_value  # for flags that take no argument: the value they set
        self.file_only = file_only  # never on the command line nor in the environment
        self.saved = saved  # written by --save (one-off actions are not)
        #: the subcommands whose command line offers this option (``--help`` shows no other)
        self.commands = frozenset(commands or SECTION_COMMANDS[section])

    def format(self, value):
        """Text for the config file, readable back by ``convert``."""
        if value is None:
            return 'False'
        if isinstance(value, list):
            return _fmt_list(value)
        return str(value)


#: which subcommands offer the options of each section, unless an option says otherwise
SECTION_COMMANDS = {
    'Common': ('server', 'cron', 'test'),
    'Modules': ('server', 'test'),
    'HTTP': ('server',),
    'Server': ('server',),
    'Limits': ('server',),
    'Database': ('server', 'cron', 'test'),
    'Logging': ('server', 'cron', 'test'),
}
SERVER_ONLY = ('server',)

Opt = Option
OPTIONS = [
    # -- common
    Opt(
        'config',
        ['-c', '--config'],
        to_opt_str,
        None,
        'read settings from this INI file (also $OPENERP_SERVER)',
        saved=False,
        commands=('server', 'cron', 'test', 'scaffold'),
    ),
    Opt(
        'save',
        ['-s', '--save'],
        to_bool,
        False,
        'write the effective settings to the config file (-c, else ~/.openerp_serverrc) and go on',
        flag_value=True,
        saved=False,
        commands=SERVER_ONLY,
    ),
    Opt(
        'db_name',
        ['-d', '--database'],
        to_opt_str,
        None,
        'database(s) to preload, install into (-i/-u) or run cron on; comma-separated',
    ),
    Opt(
        'addons_path',
        ['--addons-path'],
        to_list,
        [],
        "comma-separated addons folders (the repository's addons/ is always searched last)",
        commands=('server', 'cron', 'test', 'scaffold'),
    ),
    Opt(
        'data_dir',
        ['-D', '--data-dir'],
        to_opt_str,
        None,
        'where the embedded PostgreSQL and other files live (default: the user data folder)',
    ),
    Opt(
        'admin_passwd',
        [],
        to_str,
        'admin',
        'master password for the db service '
        '(stored hashed by --save or change_admin_password; the default works from loopback only)',
        file_only=True,
    ),
    Opt(
        'init',
        ['-i', '--init'],
        to_list,
        [],
        'install these modules in -d (comma-separated)',
        section='Modules',
        saved=False,
    ),
    Opt(
        'update',
        ['-u', '--update'],
        to_list,
        [],
        'upgrade these modules in -d (or "all")',
        section='Modules',
        saved=False,
    ),
    Opt(
        'without_demo',
        ['--without-demo'],
        to_demo_switch,
        False,
        'do not load demo data',
        section='Modules',
        flag_value=True,
    ),
    Opt(
        'stop_after_init',
        ['--stop-after-init'],
        to_bool,
        False,
        'exit after loading/installing -d instead of serving',
        section='Modules',
        flag_value=True,
        saved=False,
        commands=SERVER_ONLY,
    ),
    Opt(
        'test_enable',
        ['--test-enable'],
        to_bool,
        False,
        'run module tests after install/upgrade',
        section='Modules',
        flag_value=True,
        commands=SERVER_ONLY,
    ),
    # -- HTTP
    Opt(
        'http_enable',
        ['--no-http', '--no-xmlrpc'],
        to_bool,
        True,
        'serve no HTTP: run the cron loop only (OpenERP: xmlrpc = False)',
        aliases=('xmlrpc',),
        section='HTTP',
        flag_value=False,
    ),
    Opt(
        'http_interface',
        ['--http-interface', '--xmlrpc-interface'],
        to_str,
        '127.0.0.1',
        'address to listen on',
        aliases=('xmlrpc_interface',),
        section='HTTP',
    ),
    Opt(
        'http_port',
        ['-p', '--http-port', '--xmlrpc-port'],
        to_port,
        8069,
        'port to listen on',
        aliases=('xmlrpc_port',),
        section='HTTP',
    ),
    Opt(
        'proxy_mode',
        ['--proxy-mode'],
        to_bool,
        False,
        'trust X-Forwarded-* headers (only behind a reverse proxy)',
        section='HTTP',
        flag_value=True,
    ),
    Opt(
        'max_request_size',
        ['--max-request-size'],
        to_nonneg_int,
        32 * 1024 * 1024,
        'largest request body accepted, in bytes (413 above); raise it to restore big dumps over RPC',
        section='HTTP',
    ),
    Opt(
        'max_request_values',
        ['--max-request-values'],
        to_nonneg_int,
        1000000,
        'values (containers and scalars) one request may decode into (refused before decoding)',
        section='HTTP',
    ),
    Opt(
        'max_request_depth',
        ['--max-request-depth'],
        to_nonneg_int,
        100,
        'nesting levels of arrays and structures one request may have',
        section='HTTP',
    ),
    Opt(
        'limit_time_read',
        ['--limit-time-read'],
        to_float,
        10.0,
        'seconds a client gets to send a request line and headers, and its body at 64 KiB/s at '
        'least; a slower one is disconnected (0: no limit)',
        section='HTTP',
    ),
    Opt(
        'connection_limit',
        ['--connection-limit'],
        to_nonneg_int,
        1000,
        'connections the waitress server keeps open at most; past it, it stops accepting',
        section='HTTP',
    ),
    Opt(
        'list_db',
        ['--no-database-list'],
        to_bool,
        True,
        'hide the database list (db.list refuses)',
        section='HTTP',
        flag_value=False,
    ),
    Opt(
        'dbfilter',
        ['--db-filter'],
        to_regex,
        '.*',
        'regular expression limiting which databases are served, listed and polled by cron '
        '(%%h host, %%d first label)',
        section='HTTP',
        commands=('server', 'cron'),
    ),
    Opt(
        'server_serie',
        ['--server-serie'],
        to_opt_str,
        None,
        'compatibility series reported to clients (default 10.0; 7.0 for OpenERP 7 clients)',
        section='HTTP',
    ),
    Opt(
        'session_timeout',
        ['--session-timeout'],
        to_nonneg_int,
        7 * 24 * 3600,
        'idle seconds after which a web session expires',
        section='HTTP',
        commands=('server', 'cron'),
    ),
    # -- servers and workers
    Opt(
        'server',
        ['--server'],
        choice('auto', 'threaded', 'waitress', 'gunicorn'),
        'auto',
        'HTTP server: threaded, waitress or gunicorn (auto: gunicorn when --workers >= 1)',
        section='Server',
    ),
    Opt('workers', ['--workers'], to_nonneg_int, 0, 'prefork worker processes (Gunicorn)', section='Server'),
    Opt('threads', ['--threads'], to_nonneg_int, 8, 'threads of the waitress server', section='Server'),
    Opt(
        'mode',
        ['--mode'],
        choice('stateless', 'stateful'),
        'stateless',
        'stateless: processes agree through PostgreSQL; stateful: one process, memory is the truth',
        section='Server',
        commands=('server', 'cron'),
    ),
    Opt(
        'max_cron_threads',
        ['--max-cron-threads'],
        to_nonneg_int,
        1,
        'cron threads (threaded/waitress) or cron processes (prefork)',
        section='Server',
    ),
    Opt(
        'cron_interval',
        ['--cron-interval'],
        to_float,
        60.0,
        'seconds a cron thread or process waits between two polls of its databases',
        section='Server',
        commands=('server', 'cron'),
    ),
    Opt(
        'limit_memory_soft',
        ['--limit-memory-soft'],
        to_nonneg_int,
        2048 * 1024 * 1024,
        'RSS in bytes after which a worker is recycled once its request ends',
        section='Limits',
    ),
    Opt(
        'limit_memory_hard',
        ['--limit-memory-hard'],
        to_nonneg_int,
        2560 * 1024 * 1024,
        'address space in bytes past which an allocation fails the request',
        section='Limits',
    ),
    Opt(
        'limit_time_cpu', ['--limit-time-cpu'], to_nonneg_int, 60, 'CPU seconds per request', section='Limits'
    ),
    Opt(
        'limit_time_real',
        ['--limit-time-real'],
        to_nonneg_int,
        120,
        'wall-clock seconds per request before the worker is killed',
        section='Limits',
        commands=('server', 'cron'),
    ),
    Opt(
        'limit_time_sql',
        ['--limit-time-sql'],
        to_opt_float,
        None,
        'seconds one SQL statement may run before PostgreSQL cancels it (default: nine tenths of '
        '--limit-time-real; 0: no limit)',
        section='Limits',
        commands=('server', 'cron'),
    ),
    Opt(
        'limit_request',
        ['--limit-request'],
        to_nonneg_int,
        8192,
        'requests a worker serves before it is recycled',
        section='Limits',
    ),
    Opt(
        'transient_age_limit',
        ['--transient-age-limit'],
        to_float,
        1.0,
        'hours after which transient (wizard) records are vacuumed',
        aliases=('osv_memory_age_limit',),
        section='Server',
        commands=('server', 'cron'),
    ),
    Opt(
        'transient_count_limit',
        ['--transient-count-limit'],
        to_count,
        0,
        'rows per transient model kept at most (0: no limit)',
        aliases=('osv_memory_count_limit',),
        section='Server',
        commands=('server', 'cron'),
    ),
    # -- database
    Opt(
        'db_host',
        ['--db_host'],
        to_opt_str,
        None,
        'PostgreSQL host (unset: the embedded server); a comma list of hosts fails over to the one '
        'that accepts writes (libpq multi-host, target_session_attrs=read-write)',
        section='Database',
    ),
    Opt(
        'db_port',
        ['--db_port'],
        to_opt_ports,
        None,
        'PostgreSQL port, or a comma list: one per --db_host, or one for all',
        section='Database',
    ),
    Opt('db_user', ['-r', '--db_user'], to_opt_str, None, 'PostgreSQL user', section='Database'),
    Opt('db_password', ['-w', '--db_password'], to_opt_str, None, 'PostgreSQL password', section='Database'),
    Opt(
        'db_maxconn',
        ['--db_maxconn'],
        to_nonneg_int,
        64,
        'PostgreSQL connections one process keeps at most, all databases together',
        section='Database',
    ),
    Opt(
        'db_idle_timeout',
        ['--db-idle-timeout'],
        to_float,
        60.0,
        'seconds after which an idle connection is closed (one per database stays open)',
        section='Database',
    ),
    Opt(
        'db_replica_host',
        ['--db_replica_host'],
        to_list,
        [],
        'hot standbys serving the calls declared read-only, with read-your-writes (comma list)',
        section='Database',
    ),
    Opt(
        'db_replica_port',
        ['--db_replica_port'],
        to_port_list,
        [],
        'ports of the --db_replica_host standbys: one per host, or one for all (unset: --db_port)',
        section='Database',
    ),
    Opt(
        'db_replica_wait',
        ['--db-replica-wait'],
        to_float,
        0.05,
        'seconds a read-only call waits for a standby to replay what the primary had committed '
        'when the call began; longer, it runs on the primary and the standby rests a while',
        section='Database',
    ),
    Opt(
        'db_template',
        ['--db-template'],
        to_str,
        'template0',
        'template for new databases',
        section='Database',
        commands=('server', 'test'),
    ),
    # -- logging
    Opt(
        'log_level',
        ['--log-level'],
        to_log_level,
        'info',
        "log level (OpenERP's debug_rpc, debug_sql... read as debug)",
        section='Logging',
    ),
    Opt('logfile', ['--logfile'], to_opt_str, None, 'log to this file instead of stderr', section='Logging'),
    Opt(
        'pidfile',
        ['--pidfile'],
        to_opt_str,
        None,
        "write the server's pid to this file while it runs",
        section='Logging',
        commands=SERVER_ONLY,
    ),
]
OPTIONS_BY_KEY = {opt.key: opt for opt in OPTIONS}
FILE_KEYS = {alias: opt for opt in OPTIONS for alias in (opt.key,) + opt.aliases}

#: Keys OpenERP 6.1/7.0 writes with ``-s`` that mean nothing here: read, named in one warning
#: (:func:`read_file`), and kept in the file by :func:`save`. The transports and features they
#: configure do not exist in openerp-lite (NetRPC, XML-RPC over its own TLS socket, mail, the
#: web client's static files, syslog and log rotation, which the system's tools do).
IGNORED_KEYS = frozenset(
    (
        'auto_reload',
        'cache_timeout',
        'cpu_time_limit',
        'csv_internal_sep',
        'debug_mode',
        'demo',
        'email_from',
        'import_partial',
        'log_handler',
        'login_message',
        'logrotate',
        'netrpc',
        'netrpc_interface',
        'netrpc_port',
        'pg_path',
        'price_accuracy',
        'publisher_warranty_url',
        'reportgz',
        'root_path',
        'secure',
        'secure_cert_file',
        'secure_pkey_file',
        'server_wide_modules',
        'smtp_password',
        'smtp_port',
        'smtp_server',
        'smtp_ssl',
        'smtp_user',
        'static_http_document_root',
        'static_http_enable',
        'static_http_url_prefix',
        'syslog',
        'test_commit',
        'test_disable',
        'test_file',
        'test_report_directory',
        'timezone',
        'translate_modules',
        'unaccent',
        'virtual_memory_limit',
        'virtual_memory_reset',
        'xmlrpcs',
        'xmlrpcs_interface',
        'xmlrpcs_port',
    )
)
