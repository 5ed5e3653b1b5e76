"""Server configuration: every option declared once, read from four sources.

Precedence, lowest first: the defaults of the table below, the INI file (``-c``, section
``[options]``, OpenERP's key names), environment variables (``OPENERP_LITE_<KEY>``), the command line.
``--help`` is generated from the same table. Nothing here runs at import time: ``main()`` calls
:func:`parse` and passes the resulting :class:`Options` down.
"""

import argparse
import configparser
import os
import re

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
    return int(str(text).strip())


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


def to_float(text):
    return float(str(text).strip())


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
    re.compile(text)
    return text


def choice(*allowed):
    def convert(text):
        value = str(text).strip()
        if value not in allowed:
            raise ValueError('expected one of %s, got %r' % (', '.join(allowed), value))
        return value
    convert.choices = allowed
    return convert


def _fmt_list(value):
    return ','.join(value)


class Option:
    """One setting: its config-file key, command-line flags, converter, default and help."""

    def __init__(self, key, flags, convert, default, help, aliases=(), section='Common',
                 metavar=None, flag_value=None, file_only=False):
        self.key = key
        self.flags = tuple(flags)
        self.convert = convert
        self.default = default
        self.help = help
        self.aliases = tuple(aliases)   # older config-file key names
        self.section = section
        self.metavar = metavar
        self.flag_value = flag_value    # for flags that take no argument: the value they set
        self.file_only = file_only

    def format(self, value):
        """Text for the config file, readable back by ``convert``."""
        if value is None:
            return 'False'
        if isinstance(value, list):
            return _fmt_list(value)
        return str(value)


O = Option
OPTIONS = [
    # -- common
    O('config', ['-c', '--config'], to_opt_str, None, 'read settings from this INI file'),
    O('save', ['-s', '--save'], to_bool, False, 'write the effective settings to the config file '
      '(-c, else ~/.openerp_serverrc) and go on', flag_value=True),
    O('db_name', ['-d', '--database'], to_opt_str, None,
      'database(s) to preload, install into (-i/-u) or run cron on; comma-separated'),
    O('addons_path', ['--addons-path'], to_list, [], 'comma-separated addons folders '
      '(the repository\'s addons/ is always searched last)'),
    O('data_dir', ['-D', '--data-dir'], to_opt_str, None,
      'where the embedded PostgreSQL and other files live (default: the user data folder)'),
    O('admin_passwd', [], to_str, 'admin', 'master password for the db service '
      '(stored hashed by --save or change_admin_password)', file_only=True),
    O('init', ['-i', '--init'], to_list, [], 'install these modules in -d (comma-separated)',
      section='Modules'),
    O('update', ['-u', '--update'], to_list, [], 'upgrade these modules in -d (or "all")',
      section='Modules'),
    O('without_demo', ['--without-demo'], to_bool, False, 'do not load demo data',
      section='Modules', flag_value=True),
    O('stop_after_init', ['--stop-after-init'], to_bool, False,
      'exit after loading/installing -d instead of serving', section='Modules', flag_value=True),
    O('test_enable', ['--test-enable'], to_bool, False, 'run module tests after install/upgrade',
      section='Modules', flag_value=True),
    # -- HTTP
    O('http_interface', ['--http-interface', '--xmlrpc-interface'], to_str, '127.0.0.1',
      'address to listen on', aliases=('xmlrpc_interface',), section='HTTP'),
    O('http_port', ['-p', '--http-port', '--xmlrpc-port'], to_port, 8069, 'port to listen on',
      aliases=('xmlrpc_port',), section='HTTP'),
    O('proxy_mode', ['--proxy-mode'], to_bool, False,
      'trust X-Forwarded-* headers (only behind a reverse proxy)', section='HTTP',
      flag_value=True),
    O('max_request_size', ['--max-request-size'], to_nonneg_int, 128 * 1024 * 1024,
      'largest request body accepted, in bytes (413 above)', section='HTTP'),
    O('list_db', ['--no-database-list'], to_bool, True,
      'hide the database list (db.list refuses)', section='HTTP', flag_value=False),
    O('dbfilter', ['--db-filter'], to_regex, '.*',
      'regular expression limiting which databases are served (%%h host, %%d first label)',
      section='HTTP'),
    O('server_serie', ['--server-serie'], to_str, None,
      'compatibility series reported to clients (default 10.0; 7.0 for OpenERP 7 clients)',
      section='HTTP'),
    O('session_timeout', ['--session-timeout'], to_nonneg_int, 7 * 24 * 3600,
      'idle seconds after which a web session expires', section='HTTP'),
    # -- servers and workers
    O('server', ['--server'], choice('auto', 'threaded', 'waitress', 'gunicorn'), 'auto',
      'HTTP server: threaded, waitress or gunicorn (auto: gunicorn when --workers >= 1)',
      section='Server'),
    O('workers', ['--workers'], to_nonneg_int, 0, 'prefork worker processes (Gunicorn)',
      section='Server'),
    O('threads', ['--threads'], to_nonneg_int, 8, 'threads of the waitress server',
      section='Server'),
    O('mode', ['--mode'], choice('stateless', 'stateful'), 'stateless',
      'stateless: processes agree through PostgreSQL; stateful: one process, memory is the truth',
      section='Server'),
    O('max_cron_threads', ['--max-cron-threads'], to_nonneg_int, 1,
      'cron threads (threaded/waitress) or cron processes (prefork)', section='Server'),
    O('limit_memory_soft', ['--limit-memory-soft'], to_nonneg_int, 2048 * 1024 * 1024,
      'RSS in bytes after which a worker is recycled once its request ends', section='Limits'),
    O('limit_memory_hard', ['--limit-memory-hard'], to_nonneg_int, 2560 * 1024 * 1024,
      'address space in bytes past which an allocation fails the request', section='Limits'),
    O('limit_time_cpu', ['--limit-time-cpu'], to_nonneg_int, 60, 'CPU seconds per request',
      section='Limits'),
    O('limit_time_real', ['--limit-time-real'], to_nonneg_int, 120,
      'wall-clock seconds per request before the worker is killed', section='Limits'),
    O('limit_request', ['--limit-request'], to_nonneg_int, 8192,
      'requests a worker serves before it is recycled', section='Limits'),
    O('transient_age_limit', ['--transient-age-limit'], to_float, 1.0,
      'hours after which transient (wizard) records are vacuumed', section='Server'),
    O('transient_count_limit', ['--transient-count-limit'], to_nonneg_int, 0,
      'rows per transient model kept at most (0: no limit)', section='Server'),
    # -- database
    O('db_host', ['--db_host'], to_opt_str, None, 'PostgreSQL host (unset: the embedded server)',
      section='Database'),
    O('db_port', ['--db_port'], to_opt_str, None, 'PostgreSQL port', section='Database'),
    O('db_user', ['-r', '--db_user'], to_opt_str, None, 'PostgreSQL user', section='Database'),
    O('db_password', ['-w', '--db_password'], to_opt_str, None, 'PostgreSQL password',
      section='Database'),
    O('db_maxconn', ['--db_maxconn'], to_nonneg_int, 64,
      'connections per database and process', section='Database'),
    O('db_template', ['--db-template'], to_str, 'template0', 'template for new databases',
      section='Database'),
    # -- logging
    O('log_level', ['--log-level'], choice('debug', 'info', 'warn', 'error', 'critical'), 'info',
      'log level', section='Logging'),
    O('logfile', ['--logfile'], to_opt_str, None, 'log to this file instead of stderr',
      section='Logging'),
]
OPTIONS_BY_KEY = {opt.key: opt for opt in OPTIONS}
FILE_KEYS = {alias: opt for opt in OPTIONS for alias in (opt.key,) + opt.aliases}

#: Keys OpenERP config files commonly carry that we accept and ignore rather than refuse.
TOLERATED_KEYS = frozenset(('xmlrpcs', 'xmlrpcs_interface', 'xmlrpcs_port', 'netrpc',
                            'netrpc_interface', 'netrpc_port', 'xmlrpc', 'pidfile',
                            'secure_cert_file', 'secure_pkey_file', 'syslog', 'logrotate',
                            'email_from', 'smtp_server', 'smtp_port', 'smtp_ssl', 'smtp_user',
                            'smtp_password', 'demo', 'debug_mode', 'import_partial',
                            'csv_internal_sep', 'reportgz', 'pg_path', 'root_path',
                            'server_wide_modules', 'unaccent', 'translate_modules',
                            'login_message', 'timezone', 'osv_memory_age_limit',
                            'osv_memory_count_limit'))


class Options:
    """The effective settings: attribute access by key, plus where each value came from."""

    def __init__(self, values, origins, extra_args=()):
        self.__dict__['_values'] = values
        self.__dict__['_origins'] = origins
        self.__dict__['extra_args'] = list(extra_args)

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        if key not in OPTIONS_BY_KEY:
            raise AttributeError('unknown option %r' % key)
        self._values[key] = value
        self._origins[key] = 'runtime'

    def __getitem__(self, key):
        return self._values[key]

    def get(self, key, default=None):
        return self._values.get(key, default)

    def origin(self, key):
        """'default', 'file', 'env', 'cli' or 'runtime'."""
        return self._origins[key]

    def as_dict(self):
        return dict(self._values)


def build_parser(prog='openerp-server'):
    """The argparse parser for the server, generated from :data:`OPTIONS`."""
    parser = argparse.ArgumentParser(
        prog=prog, argument_default=argparse.SUPPRESS,
        description='openerp-lite: an OpenERP-compatible ERP server speaking XML-RPC and JSON-RPC.')
    groups = {}
    for opt in OPTIONS:
        if opt.file_only:
            continue
        group = groups.get(opt.section)
        if group is None:
            group = groups[opt.section] = parser.add_argument_group(opt.section)
        default_text = '' if opt.default in (None, [], False) else \
            ' (default: %s)' % opt.format(opt.default).replace('%', '%%')
        if opt.flag_value is not None:
            group.add_argument(*opt.flags, dest=opt.key, action='store_const',
                               const=opt.flag_value, help=opt.help)
        else:
            kwargs = {}
            if getattr(opt.convert, 'choices', None):
                kwargs['choices'] = opt.convert.choices
            group.add_argument(*opt.flags, dest=opt.key, metavar=opt.metavar,
                               help=opt.help + default_text, **kwargs)
    return parser


def _convert(opt, raw, where):
    try:
        return opt.convert(raw)
    except (ValueError, TypeError, re.error) as error:
        raise ConfigError('Bad value for %s in %s: %s' % (opt.key, where, error)) from None


def read_file(path):
    """Values from an INI file's ``[options]`` section; unknown keys are refused."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding='utf-8') as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError('Config file %s does not exist' % path) from None
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ConfigError('Config file %s cannot be parsed: %s' % (path, error)) from None
    values = {}
    if not parser.has_section(SECTION):
        return values
    for key, raw in parser.items(SECTION):
        if key in TOLERATED_KEYS:
            continue
        opt = FILE_KEYS.get(key)
        if opt is None:
            raise ConfigError('Unknown key %r in section [%s] of config file %s'
                              % (key, SECTION, path))
        values[opt.key] = _convert(opt, raw, 'config file %s' % path)
    return values


def read_environ(environ):
    values = {}
    for opt in OPTIONS:
        name = ENV_PREFIX + opt.key.upper()
        if name in environ:
            values[opt.key] = _convert(opt, environ[name], 'environment variable %s' % name)
    return values


def default_config_path(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get('OPENERP_SERVER') or os.path.expanduser('~/.openerp_serverrc')


def parse(argv, environ=None, prog='openerp-server'):
    """Build the effective :class:`Options` from defaults, file, environment and ``argv``."""
    environ = os.environ if environ is None else environ
    parser = build_parser(prog)
    cli, extra = parser.parse_known_args(argv)
    if extra:
        parser.error('unrecognized arguments: %s' % ' '.join(extra))
    cli = vars(cli)
    values = {opt.key: opt.default for opt in OPTIONS}
    origins = dict.fromkeys(values, 'default')

    config_path = cli.get('config') or environ.get(ENV_PREFIX + 'CONFIG') or \
        environ.get('OPENERP_SERVER')
    if config_path:
        config_path = os.path.abspath(os.path.expanduser(config_path))
        for key, value in read_file(config_path).items():
            values[key], origins[key] = value, 'file'
    for key, value in read_environ(environ).items():
        values[key], origins[key] = value, 'env'
    for key, raw in cli.items():
        values[key] = _convert(OPTIONS_BY_KEY[key], raw, 'option %s' % key) \
            if isinstance(raw, str) else raw
        origins[key] = 'cli'
    values['config'] = config_path
    return Options(values, origins)


def save(options, path=None):
    """Write every file-settable value of ``options`` to ``path`` (default: ``-c`` or rc file).

    Existing unrelated sections are kept. Returns the path written.
    """
    path = path or options.config or default_config_path()
    parser = configparser.RawConfigParser()
    if os.path.exists(path):
        parser.read(path, encoding='utf-8')
    if not parser.has_section(SECTION):
        parser.add_section(SECTION)
    for opt in OPTIONS:
        if opt.key in ('config', 'save'):
            continue
        parser.set(SECTION, opt.key, opt.format(options[opt.key]))
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as handle:
        parser.write(handle)
    os.chmod(tmp, 0o600)  # it holds the master password hash and the database password
    os.replace(tmp, path)
    return path
