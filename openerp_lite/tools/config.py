"""Server configuration: every option declared once, read from four sources.

Precedence, lowest first: the defaults of the table below, the INI file (``-c``, section
``[options]``, OpenERP's key names), environment variables (``OPENERP_LITE_<KEY>``), the command line.
``--help`` is generated from the same table. Nothing here runs at import time: ``main()`` calls
:func:`parse` and passes the resulting :class:`Options` down.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import io
import os
import re
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from ..exceptions import ConfigError

ENV_PREFIX = 'OPENERP_LITE_'
SECTION = 'options'


# -- value converters: each takes the raw text and returns a value or raises ValueError ----------


def to_bool(text):
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ('1', 'true', 'yes', 'on', 'y', 't'):
        return True
    if value in ('0', 'false', 'no', 'off', 'n', 'f', '', 'none'):
        return False
    raise ValueError('expected a boolean (true/false), got %r' % text)


def to_int(text):
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError('expected a whole number, got %r' % text) from None


def to_nonneg_int(text):
    value = to_int(text)
    if value < 0:
        raise ValueError('must be zero or more, got %d' % value)
    return value


def to_port(text):
    value = to_int(text)
    if not 0 <= value <= 65535:
        raise ValueError('port out of range: %d' % value)
    return value


def to_opt_port(text):
    """A port, or None (unset) for an empty value or OpenERP's literal ``False``."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    value = to_port(text)
    if value == 0:
        raise ValueError('port must be between 1 and 65535, got 0')
    return value


def to_opt_ports(text):
    """One port (an int), several as a comma list (``'5432,5433'``: libpq's multi-host form, one
    port per host or one for all), or None (unset)."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    parts = [part.strip() for part in str(text).split(',')]
    if '' in parts:
        raise ValueError('expected a port or a comma list of ports, got %r' % text)
    ports = [to_opt_port(part) for part in parts]
    return ports[0] if len(ports) == 1 else ','.join(str(port) for port in ports)


def to_port_list(text):
    """A list of ports (a comma list in the config file), each checked."""
    return [to_opt_port(part) for part in to_list(text)]


def to_count(text):
    """A count where OpenERP's literal ``False`` (its "no limit") means 0."""
    if str(text).strip() in ('', 'False', 'None'):
        return 0
    return to_nonneg_int(text)


def to_demo_switch(text):
    """``without_demo``: a boolean, or OpenERP's ``all`` (no demo data for any module)."""
    if str(text).strip().lower() == 'all':
        return True
    return to_bool(text)


def to_float(text):
    try:
        return float(str(text).strip())
    except ValueError:
        raise ValueError('expected a number, got %r' % text) from None


def to_opt_float(text):
    """A number, or None (unset: derived from another option) for an empty value or ``False``."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    value = to_float(text)
    if value < 0:
        raise ValueError('must be zero or more, got %s' % value)
    return value


def to_str(text):
    return str(text)


def to_opt_str(text):
    """A string where an empty value or OpenERP's literal ``False`` means unset."""
    value = str(text).strip()
    return None if value in ('', 'False', 'None') else value


def to_list(text):
    if isinstance(text, (list, tuple)):
        return list(text)
    return [part.strip() for part in str(text).split(',') if part.strip()]


def to_regex(text):
    try:
        re.compile(text)
    except re.error as error:
        raise ValueError('not a valid regular expression (%s): %r' % (error, text)) from None
    return text


def choice(*allowed):
    def convert(text):
        value = str(text).strip()
        if value not in allowed:
            raise ValueError('expected one of %s, got %r' % (', '.join(allowed), value))
        return value

    convert.choices = allowed  # type: ignore[attr-defined]  # read by the help text
    return convert


#: OpenERP 6.1/7.0 log levels that have no level of their own here, and the one they mean
LOG_LEVEL_SYNONYMS = {
    'debug_rpc': 'debug',
    'debug_rpc_answer': 'debug',
    'debug_sql': 'debug',
    'notset': 'debug',
    'test': 'info',
    'warning': 'warn',
}


def to_log_level(text):
    value = str(text).strip().lower()
    return choice('debug', 'info', 'warn', 'error', 'critical')(LOG_LEVEL_SYNONYMS.get(value, value))


to_log_level.choices = ('debug', 'info', 'warn', 'error', 'critical')  # type: ignore[attr-defined]  # read by the help text


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

#: ``OPENERP_LITE_*`` variables that are not options: the test suite's own switches
FOREIGN_ENV_PREFIXES = ('OPENERP_LITE_TEST_', 'OPENERP_LITE_RELIABILITY_', 'OPENERP_LITE_HYPOTHESIS_')


class Options:
    """The effective settings, complete with the declared defaults: attribute access by key, plus
    where each value came from.

    Immutable: built once (:func:`parse`) and handed to the layers that need it, so that no layer
    can see a value another one changed behind its back. A changed setting (the master password
    changed over the wire, the embedded PostgreSQL's socket) is a new object made by
    :meth:`replace`, handed down again by whoever made it. ``warnings``: what the readers noticed
    but did not refuse (ignored OpenERP keys), logged at start.
    """

    __slots__ = ('_values', '_origins', 'warnings')

    def __init__(
        self, values: Mapping[str, Any], origins: Mapping[str, str], warnings: Sequence[str] = ()
    ) -> None:
        missing = set(OPTIONS_BY_KEY) - set(values)
        if missing:
            raise ValueError('settings without a value for %s' % ', '.join(sorted(missing)))
        object.__setattr__(self, '_values', dict(values))
        object.__setattr__(self, '_origins', dict(origins))
        object.__setattr__(self, 'warnings', tuple(warnings))

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        raise AttributeError('settings are immutable (%s): make new ones with replace()' % key)

    def __getitem__(self, key):
        return self._values[key]

    def get(self, key, default=None):
        return self._values.get(key, default)

    def origin(self, key: str) -> str:
        """'default', 'file', 'env', 'cli' or 'runtime'."""
        return self._origins[key]

    def as_dict(self):
        return dict(self._values)

    def replace(self, **changes: Any) -> Options:
        """New settings with ``changes`` (values already converted), marked as set at runtime."""
        unknown = set(changes) - set(OPTIONS_BY_KEY)
        if unknown:
            raise AttributeError('unknown option %s' % ', '.join(sorted(unknown)))
        values = dict(self._values, **changes)
        origins = dict(self._origins, **dict.fromkeys(changes, 'runtime'))
        return Options(values, origins, self.warnings)


def defaults() -> Options:
    """The settings every option declares by default: what a layer uses before it was handed the
    server's own (a library use, a test of one layer)."""
    values = {opt.key: opt.default for opt in OPTIONS}
    return Options(values, dict.fromkeys(values, 'default'))


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is a :class:`ConfigError` instead of an exit.

    ``main()`` then reports every configuration problem the same way (one line, non-zero exit,
    nothing started), and tests can check the message. ``--help`` and ``--version`` still exit.
    """

    def error(self, message):
        raise ConfigError('%s (see %s --help)' % (message, self.prog))


_METAVARS = {
    to_port: 'PORT',
    to_opt_port: 'PORT',
    to_opt_ports: 'PORT[,PORT...]',
    to_port_list: 'PORT,...',
    to_nonneg_int: 'N',
    to_float: 'X',
    to_opt_float: 'X',
    to_list: 'A,B,...',
    to_count: 'N',
    to_regex: 'REGEX',
}


def _flag_text(opt):
    return '/'.join(opt.flags)


PRECEDENCE = (
    'Precedence, lowest first: defaults, the config file (-c, section [options], keys as in the '
    'Key column of the README), environment variables OPENERP_LITE_<KEY> (e.g. '
    'OPENERP_LITE_HTTP_PORT), then these flags. The master password (admin_passwd) is set in the '
    'config file only.'
)


def build_parser(prog='openerp-server', command='server', description=None, epilog=None, lenient=False):
    """The argparse parser of ``command`` (``server``, ``cron``, ``test``), generated from
    :data:`OPTIONS`: only the options that command uses are offered, so ``--help`` lists what
    matters to it and a flag it does not use is refused by name. ``lenient`` accepts (and hides)
    the other options too: a cron process started by a server gets that server's command line.

    Values stay raw text here; :func:`parse` converts them with the option's converter so a bad
    value gets the same message whatever its source.
    """
    from .. import release

    parser = _Parser(
        prog=prog,
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
        description=description
        or 'openerp-lite: an OpenERP-compatible ERP server speaking XML-RPC and JSON-RPC.',
        epilog=epilog or textwrap.fill(PRECEDENCE, 78),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('--version', action='version', version='%(prog)s ' + release.version)
    groups: dict[str, argparse._ArgumentGroup] = {}
    for opt in OPTIONS:
        if opt.file_only:
            continue
        if command not in opt.commands:
            if lenient:
                _add_flag(parser, opt, argparse.SUPPRESS)
            continue
        group = groups.get(opt.section)
        if group is None:
            group = groups[opt.section] = parser.add_argument_group(opt.section)
        default_text = (
            ''
            if opt.default in (None, [], False) or opt.flag_value is not None
            else ' (default: %s)' % opt.format(opt.default).replace('%', '%%')
        )
        _add_flag(group, opt, opt.help + default_text)
    return parser


def _add_flag(group, opt, help_text):
    if opt.flag_value is not None:
        group.add_argument(
            *opt.flags, dest=opt.key, action='store_const', const=opt.flag_value, help=help_text
        )
        return
    kwargs = {}
    if getattr(opt.convert, 'choices', None):
        kwargs['choices'] = opt.convert.choices
    group.add_argument(
        *opt.flags,
        dest=opt.key,
        metavar=opt.metavar or _METAVARS.get(opt.convert),
        help=help_text,
        **kwargs,
    )


def _convert(opt, raw, where):
    try:
        return opt.convert(raw)
    except (ValueError, TypeError, re.error) as error:
        raise ConfigError('Bad value for %s: %s' % (where, error)) from None


def read_file(path, warnings=None):
    """Values from an INI file's ``[options]`` section.

    Every key OpenERP 6.1/7.0 writes is either read (under its own name or the one it has here:
    ``xmlrpc_port``, ``osv_memory_age_limit``...) or, for :data:`IGNORED_KEYS`, named in one line
    appended to ``warnings``. Any other key is refused, all of them in one error naming the file,
    so a file is fixed in one go rather than one restart per key.
    """
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding='utf-8') as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError('Config file %s does not exist' % path) from None
    except (OSError, configparser.Error, UnicodeDecodeError) as error:
        raise ConfigError('Config file %s cannot be read: %s' % (path, error)) from None
    values: dict[str, Any] = {}
    if not parser.has_section(SECTION):
        return values
    ignored, unknown, notes = [], [], []
    for key, raw in parser.items(SECTION):
        if key in IGNORED_KEYS:
            ignored.append(key)
            continue
        opt = FILE_KEYS.get(key)
        if opt is None or opt.key in ('config', 'save'):
            unknown.append(key)
            continue
        if opt.key == 'http_interface' and not raw.strip():
            # OpenERP's empty interface means every address; listening on all of them is a
            # choice to write down, not one to inherit from an old file
            notes.append(
                '%s is empty (OpenERP: every address); listening on %s, set http_interface = 0.0.0.0 '
                'to listen on every address' % (key, opt.default)
            )
            continue
        values[opt.key] = _convert(opt, raw, 'key %r in config file %s' % (key, path))
    if unknown:
        raise ConfigError(
            'Unknown key%s %s in section [%s] of config file %s'
            % ('s' if len(unknown) > 1 else '', ', '.join(repr(k) for k in unknown), SECTION, path)
        )
    if warnings is not None:
        if ignored:
            warnings.append(
                'config file %s: ignoring OpenERP key%s this server has no use for: %s'
                % (path, 's' if len(ignored) > 1 else '', ', '.join(sorted(ignored)))
            )
        warnings.extend('config file %s: %s' % (path, note) for note in notes)
    return values


def read_environ(environ):
    """Values from ``OPENERP_LITE_<KEY>`` variables (file-only options excluded).

    A variable with the prefix that names no option (a misspelt ``OPENERP_LITE_HTTP_PROT``) is
    refused like an unknown key of the file, all of them in one error.
    """
    values, unknown = {}, []
    known = {ENV_PREFIX + opt.key.upper(): opt for opt in OPTIONS}
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name.startswith(FOREIGN_ENV_PREFIXES):
            continue
        opt = known.get(name)
        if opt is None or opt.key == 'save':
            unknown.append(name)
        elif opt.file_only:
            raise ConfigError(
                'environment variable %s is not read: %s is set in the config file only' % (name, opt.key)
            )
        elif opt.key != 'config':
            values[opt.key] = _convert(opt, environ[name], 'environment variable %s' % name)
    if unknown:
        raise ConfigError(
            'Unknown environment variable%s %s: no such option (see --help for the keys; the '
            'variable is %s<KEY>)' % ('s' if len(unknown) > 1 else '', ', '.join(unknown), ENV_PREFIX)
        )
    return values


def default_config_path(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get('OPENERP_SERVER') or os.path.expanduser('~/.openerp_serverrc')


def parse(
    argv: Sequence[str],
    environ: Mapping[str, str] | None = None,
    prog: str = 'openerp-server',
    command: str = 'server',
    lenient: bool = False,
    description: str | None = None,
) -> Options:
    """Build the effective :class:`Options` from defaults, file, environment and ``argv``.

    ``command`` and ``lenient`` choose the flags ``argv`` may use (:func:`build_parser`); the file
    and the environment may set every option whatever the command. Raises :class:`ConfigError`
    (naming the key or flag, and the file) for an unknown key or flag or a bad value. With ``-s``
    the config file may not exist yet: :func:`save` will create it.
    """
    environ = os.environ if environ is None else environ
    parser = build_parser(prog, command, description=description, lenient=lenient)
    cli = vars(parser.parse_args(argv))
    warnings: list[str] = []
    values = {opt.key: opt.default for opt in OPTIONS}
    origins = dict.fromkeys(values, 'default')

    config_path = cli.get('config') or environ.get(ENV_PREFIX + 'CONFIG') or environ.get('OPENERP_SERVER')
    if config_path:
        config_path = os.path.abspath(os.path.expanduser(config_path))
        if not (cli.get('save') and not os.path.exists(config_path)):
            for key, value in read_file(config_path, warnings).items():
                values[key], origins[key] = value, 'file'
    for key, value in read_environ(environ).items():
        values[key], origins[key] = value, 'env'
    for key, raw in cli.items():
        opt = OPTIONS_BY_KEY[key]
        values[key] = (
            _convert(opt, raw, 'command-line option %s' % _flag_text(opt)) if isinstance(raw, str) else raw
        )
        origins[key] = 'cli'
    values['config'] = config_path
    options = Options(values, origins, warnings=warnings)
    replica_settings(options)  # standbys and ports that do not pair up are refused here
    return options


def render(options):
    """The ``[options]`` section text :func:`save` would write for ``options``."""
    parser = configparser.RawConfigParser()
    parser.add_section(SECTION)
    _fill(parser, options)
    buffer = io.StringIO()
    parser.write(buffer)
    return buffer.getvalue()


def _fill(parser, options):
    for opt in OPTIONS:
        if opt.saved:
            parser.set(SECTION, opt.key, opt.format(options[opt.key]))


def save(options, path=None):
    """Write every saved value of ``options`` to ``path`` (default: ``-c``, else the rc file).

    One-off actions (``-i``, ``-u``, ``--stop-after-init``) are not written. Other sections of an
    existing file are kept, and so are keys of ``[options]`` this server tolerates but ignores. The
    file is replaced atomically and readable by its owner only (it holds passwords). Returns the
    path written.
    """
    path = os.path.abspath(os.path.expanduser(path or options.config or default_config_path()))
    parser = configparser.RawConfigParser()
    if os.path.exists(path):
        try:
            parser.read(path, encoding='utf-8')
        except configparser.Error as error:
            raise ConfigError('Config file %s cannot be read: %s' % (path, error)) from None
    if not parser.has_section(SECTION):
        parser.add_section(SECTION)
    for key in list(parser.options(SECTION)):
        if key not in IGNORED_KEYS:
            parser.remove_option(SECTION, key)  # aliases such as xmlrpc_port: the new key wins
    _fill(parser, options)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.openerp-lite-', dir=folder)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            parser.write(handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def markdown_table():
    """The options as a Markdown table (README's Configuration section is generated from it)."""
    rows = ['| Key (config file) | Command line | Default | Meaning |', '| --- | --- | --- | --- |']
    for opt in OPTIONS:
        if opt.key in ('config', 'save'):
            continue
        key = '`%s`' % opt.key + ''.join(' (`%s`)' % alias for alias in opt.aliases)
        flags = ', '.join('`%s`' % flag for flag in opt.flags) or 'config file only'
        if opt.default in (None, [], ''):
            default = ''
        else:
            default = '`%s`' % opt.format(opt.default)
        text = opt.help.replace('%%', '%').replace('|', '\\|')
        rows.append('| %s | %s | %s | %s |' % (key, flags, default, text))
    return '\n'.join(rows) + '\n'


def sql_time_limit(options: Options) -> float:
    """Seconds one SQL statement may run under ``options`` (0: no limit): ``--limit-time-sql``, or
    nine tenths of ``--limit-time-real``, so that PostgreSQL cancels a runaway statement (the call
    gets a clean fault) before the worker itself is killed."""
    if options.limit_time_sql is not None:
        return float(options.limit_time_sql)
    return 0.9 * float(options.limit_time_real or 0)


def replica_settings(options: Options) -> dict[str, Any]:
    """The ``sql_replica.configure`` arguments that come from the options: the standbys as
    ``(host, port)`` pairs (a port of None: the primary's) and the replay wait."""
    hosts = list(options.db_replica_host or [])
    ports = list(options.db_replica_port or [])
    if ports and len(ports) not in (1, len(hosts)):
        raise ConfigError(
            '--db_replica_port needs one port, or one per --db_replica_host (%d hosts, %d ports)'
            % (len(hosts), len(ports))
        )
    if ports and not hosts:
        raise ConfigError('--db_replica_port was given without --db_replica_host')
    if len(ports) == 1:
        ports = ports * len(hosts)
    default_port = options.db_port if isinstance(options.db_port, int) else None
    return {
        'replicas': [(host, ports[i] if ports else default_port) for i, host in enumerate(hosts)],
        'wait': float(options.db_replica_wait),
    }


def database_settings(options: Options, server: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``sql_db.configure`` arguments under ``options``: the PostgreSQL server (``server``,
    the ``{'host', 'port', 'user', 'password'}`` of an embedded one, when given), the process's
    connection cap, the idle timeout and the statement timeout."""
    if server is None:
        server = {
            'host': options.db_host,
            'port': options.db_port,
            'user': options.db_user,
            'password': options.db_password,
        }
    return {
        'host': server.get('host'),
        'port': server.get('port'),
        'user': server.get('user'),
        'password': server.get('password'),
        'maxconn': options.db_maxconn,
        'idle_timeout': options.db_idle_timeout,
        'statement_timeout': sql_time_limit(options),
    }
