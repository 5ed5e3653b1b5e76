"""Server configuration: the options declared once (:mod:`.options`, their value converters in
:mod:`.option_values`), read from four sources into one immutable :class:`Options`.

Precedence, lowest first: the declared defaults, the INI file (``-c``, section
``[options]``, OpenERP's key names), environment variables (``OPENERP_LITE_<KEY>``), the command line.
``--help`` is generated from the same table. Nothing here runs at import time: ``main()`` calls
:func:`parse` and passes the resulting :class:`Options` down.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import functools
import io
import os
import re
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from ..exceptions import ConfigError
from .option_values import (
    to_count,
    to_float,
    to_list,
    to_nonneg_int,
    to_opt_float,
    to_opt_port,
    to_opt_ports,
    to_port,
    to_port_list,
    to_regex,
)
from .options import FILE_KEYS, IGNORED_KEYS, OPTIONS, OPTIONS_BY_KEY

ENV_PREFIX = 'OPENERP_LITE_'
SECTION = 'options'

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


@functools.cache
def defaults() -> Options:
    """The settings every option declares by default: what a layer uses before it was handed the
    server's own (a library use, a test of one layer). Made once: settings are immutable."""
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
