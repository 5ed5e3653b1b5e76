"""Configuration: one option table, four sources in a fixed order, clear errors, --save round-trip."""

import configparser
import logging
import os
import stat

import pytest

from openerp_lite.exceptions import ConfigError
from openerp_lite.tools import config, log


def write_conf(tmp_path, body, name='server.conf'):
    path = tmp_path / name
    path.write_text(body, encoding='utf-8')
    return str(path)


def parse(argv=(), environ=None):
    return config.parse(list(argv), environ={} if environ is None else environ)


# -- precedence --------------------------------------------------------------------------------


def test_defaults_when_nothing_is_given():
    options = parse()
    assert options.http_port == 8069
    assert options.http_interface == '127.0.0.1'
    assert options.db_host is None and options.db_port is None
    assert options.list_db is True
    assert options.origin('http_port') == 'default'


def test_file_then_environment_then_command_line(tmp_path):
    path = write_conf(
        tmp_path, '[options]\nhttp_port = 9001\nworkers = 2\ndb_maxconn = 10\nlog_level = warn\n'
    )
    environ = {'OPENERP_LITE_WORKERS': '3', 'OPENERP_LITE_DB_MAXCONN': '20'}
    options = parse(['-c', path, '--db_maxconn', '30'], environ)
    assert (options.http_port, options.origin('http_port')) == (9001, 'file')
    assert (options.workers, options.origin('workers')) == (3, 'env')
    assert (options.db_maxconn, options.origin('db_maxconn')) == (30, 'cli')
    assert options.log_level == 'warn'
    assert options.config == path


def test_config_file_from_openerp_server_variable(tmp_path):
    path = write_conf(tmp_path, '[options]\ndb_host = db.example\ndb_port = 6432\n')
    options = parse([], {'OPENERP_SERVER': path})
    assert options.db_host == 'db.example'
    assert options.db_port == 6432


def test_openerp_key_names_and_alias(tmp_path):
    path = write_conf(
        tmp_path,
        '[options]\nxmlrpc_port = 8070\nxmlrpc_interface = 0.0.0.0\n'
        'addons_path = /a, /b\nlist_db = False\ndbfilter = ^%d$\n'
        'db_password = False\nxmlrpcs = True\n',
    )
    options = parse(['-c', path])
    assert options.http_port == 8070
    assert options.http_interface == '0.0.0.0'
    assert options.addons_path == ['/a', '/b']
    assert options.list_db is False
    assert options.dbfilter == '^%d$'
    assert options.db_password is None


@pytest.mark.parametrize(
    'argv, key, value',
    [
        (['-d', 'prod'], 'db_name', 'prod'),
        (['--database', 'prod'], 'db_name', 'prod'),
        (['--db_host', 'pg'], 'db_host', 'pg'),
        (['--db_port', '5433'], 'db_port', 5433),
        (['-r', 'odoo'], 'db_user', 'odoo'),
        (['--db_user', 'odoo'], 'db_user', 'odoo'),
        (['-w', 'secret'], 'db_password', 'secret'),
        (['--db_password', 'secret'], 'db_password', 'secret'),
        (['--db_maxconn', '8'], 'db_maxconn', 8),
        (['--addons-path', '/x,/y'], 'addons_path', ['/x', '/y']),
        (['-D', '/srv/oel'], 'data_dir', '/srv/oel'),
        (['--data-dir', '/srv/oel'], 'data_dir', '/srv/oel'),
        (['--http-interface', '0.0.0.0'], 'http_interface', '0.0.0.0'),
        (['--xmlrpc-interface', '0.0.0.0'], 'http_interface', '0.0.0.0'),
        (['--http-port', '8080'], 'http_port', 8080),
        (['--xmlrpc-port', '8080'], 'http_port', 8080),
        (['--workers', '4'], 'workers', 4),
        (['--server', 'waitress'], 'server', 'waitress'),
        (['--log-level', 'debug'], 'log_level', 'debug'),
        (['--logfile', '/tmp/oel.log'], 'logfile', '/tmp/oel.log'),
        (['--no-database-list'], 'list_db', False),
        (['--db-filter', '^test'], 'dbfilter', '^test'),
        (['-s'], 'save', True),
    ],
)
def test_openerp_flag_spellings(argv, key, value):
    assert parse(argv)[key] == value


def test_environment_values_are_converted():
    options = parse(
        [],
        {
            'OPENERP_LITE_HTTP_PORT': '9100',
            'OPENERP_LITE_PROXY_MODE': 'yes',
            'OPENERP_LITE_ADDONS_PATH': '/p,/q',
        },
    )
    assert options.http_port == 9100
    assert options.proxy_mode is True
    assert options.addons_path == ['/p', '/q']


def test_master_password_is_file_only(tmp_path):
    assert '--admin' not in config.build_parser().format_help()
    with pytest.raises(ConfigError, match='unrecognized arguments'):
        parse(['--admin_passwd', 'x'])
    with pytest.raises(ConfigError, match='OPENERP_LITE_ADMIN_PASSWD .*config file only'):
        parse([], {'OPENERP_LITE_ADMIN_PASSWD': 'from-env'})
    path = write_conf(tmp_path, '[options]\nadmin_passwd = s3cret\n')
    assert parse(['-c', path]).admin_passwd == 's3cret'


# -- errors ------------------------------------------------------------------------------------


def test_unknown_key_names_key_and_file(tmp_path):
    path = write_conf(tmp_path, '[options]\nhttp_port = 8069\nhttp_prot = 8070\n')
    with pytest.raises(ConfigError) as info:
        parse(['-c', path])
    message = str(info.value)
    assert "'http_prot'" in message and path in message


def test_every_unknown_key_is_named_in_one_error(tmp_path):
    path = write_conf(tmp_path, '[options]\nhttp_prot = 8070\nworkres = 2\nhttp_port = 8069\n')
    with pytest.raises(ConfigError) as info:
        parse(['-c', path])
    message = str(info.value)
    assert "'http_prot'" in message and "'workres'" in message and path in message


def test_misspelt_environment_variables_are_refused_all_at_once():
    environ = {
        'OPENERP_LITE_HTTP_PROT': '8080',
        'OPENERP_LITE_WORKRES': '2',
        'OPENERP_LITE_HTTP_PORT': '8081',
    }
    with pytest.raises(ConfigError) as info:
        parse([], environ)
    message = str(info.value)
    assert 'OPENERP_LITE_HTTP_PROT' in message and 'OPENERP_LITE_WORKRES' in message
    assert 'OPENERP_LITE_HTTP_PORT' not in message


def test_openerp7_names_and_values_are_read_as_they_mean(tmp_path):
    path = write_conf(
        tmp_path,
        '[options]\nosv_memory_age_limit = 2.5\nosv_memory_count_limit = False\nxmlrpc = False\n'
        'pidfile = /run/oe.pid\nlog_level = debug_rpc_answer\nwithout_demo = all\nxmlrpc_interface =\n'
        'logfile = None\ndb_port = False\nsmtp_server = localhost\n',
    )
    options = parse(['-c', path])
    assert options.transient_age_limit == 2.5 and options.transient_count_limit == 0
    assert options.http_enable is False and options.pidfile == '/run/oe.pid'
    assert options.log_level == 'debug' and options.without_demo is True
    assert options.http_interface == '127.0.0.1' and options.logfile is None and options.db_port is None
    assert len(options.warnings) == 2 and 'smtp_server' in options.warnings[0]


def test_saving_over_an_openerp7_file_keeps_what_it_ignores_and_reads_back(tmp_path):
    from tests.support.openerp7 import OPENERP7_KEYS

    path = write_conf(tmp_path, '[options]\n' + OPENERP7_KEYS + 'xmlrpc_port = 8070\n')
    options = parse(['-c', path, '--save'])
    config.save(options)
    saved = configparser.RawConfigParser()
    saved.read(path)
    assert saved.get('options', 'http_port') == '8070' and not saved.has_option('options', 'xmlrpc_port')
    assert saved.get('options', 'smtp_server') == 'localhost'  # OpenERP's own keys stay for OpenERP
    again = parse(['-c', path])
    assert again.http_port == 8070 and again.transient_count_limit == 0 and again.http_enable is True


def test_the_test_suites_own_variables_are_not_options():
    environ = {'OPENERP_LITE_TEST_EMBEDDED': '1', 'OPENERP_LITE_RELIABILITY_REPORT': '/tmp/x'}
    assert parse([], environ).http_port == 8069


@pytest.mark.parametrize(
    'line, key',
    [
        ('http_port = eighty', 'http_port'),
        ('xmlrpc_port = 70000', 'xmlrpc_port'),
        ('workers = -1', 'workers'),
        ('list_db = maybe', 'list_db'),
        ('server = tornado', 'server'),
        ('dbfilter = ([', 'dbfilter'),
        ('db_port = 0', 'db_port'),
    ],
)
def test_bad_value_in_file_names_key_and_file(tmp_path, line, key):
    path = write_conf(tmp_path, '[options]\n%s\n' % line)
    with pytest.raises(ConfigError) as info:
        parse(['-c', path])
    message = str(info.value)
    assert repr(key) in message and path in message
    assert 'Bad value' in message


def test_bad_value_in_environment_names_the_variable():
    with pytest.raises(ConfigError, match='OPENERP_LITE_HTTP_PORT'):
        parse([], {'OPENERP_LITE_HTTP_PORT': 'x'})


@pytest.mark.parametrize(
    'argv, needle',
    [
        (['--http-port', 'x'], '-p/--http-port/--xmlrpc-port'),
        (['--workers', '-3'], '--workers'),
        (['--db_port', 'abc'], '--db_port'),
        (['--server', 'tornado'], '--server'),
        (['--log-level', 'loud'], '--log-level'),
        (['--no-such-flag'], 'unrecognized arguments: --no-such-flag'),
        (['--http'], 'unrecognized arguments'),  # no abbreviations
    ],
)
def test_bad_command_line_is_a_config_error_naming_the_flag(argv, needle):
    with pytest.raises(ConfigError) as info:
        parse(argv)
    assert needle in str(info.value)


def test_missing_or_broken_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match='does not exist'):
        parse(['-c', str(tmp_path / 'nope.conf')])
    path = write_conf(tmp_path, 'http_port = 1\n')  # no section header
    with pytest.raises(ConfigError, match='cannot be read'):
        parse(['-c', path])


def test_other_sections_are_ignored(tmp_path):
    path = write_conf(tmp_path, '[options]\nworkers = 2\n[other]\nanything = goes\n')
    assert parse(['-c', path]).workers == 2


# -- --save ------------------------------------------------------------------------------------


def test_save_round_trips_every_saved_option(tmp_path):
    path = str(tmp_path / 'saved.conf')
    argv = [
        '-c',
        path,
        '-s',
        '-d',
        'prod',
        '--addons-path',
        '/a,/b',
        '--http-port',
        '8099',
        '--workers',
        '3',
        '--no-database-list',
        '--db-filter',
        '^%d$',
        '--db_host',
        'pg',
        '--db_port',
        '5433',
        '-r',
        'odoo',
        '-w',
        'pw',
        '--log-level',
        'debug',
        '--proxy-mode',
        '--transient-age-limit',
        '2.5',
        '-i',
        'sale',
        '--stop-after-init',
    ]
    first = parse(argv, {'OPENERP_LITE_THREADS': '4'})
    written = config.save(first)
    assert written == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    second = parse(['-c', path])
    for opt in config.OPTIONS:
        if opt.saved:
            assert second[opt.key] == first[opt.key], opt.key
    # one-off actions are not written back
    raw = configparser.RawConfigParser()
    raw.read(path)
    assert not raw.has_option('options', 'init')
    assert not raw.has_option('options', 'stop_after_init')
    assert second.init == [] and second.stop_after_init is False


def test_save_rewrites_an_existing_file_keeping_foreign_parts(tmp_path):
    path = write_conf(tmp_path, '[options]\nxmlrpc_port = 8070\nsmtp_server = mail\n[extra]\nkeep = me\n')
    options = parse(['-c', path, '--workers', '2'])
    config.save(options)
    raw = configparser.RawConfigParser()
    raw.read(path)
    assert raw.get('options', 'http_port') == '8070'
    assert not raw.has_option('options', 'xmlrpc_port')  # the alias gave way to the new key
    assert raw.get('options', 'smtp_server') == 'mail'
    assert raw.get('extra', 'keep') == 'me'
    assert parse(['-c', path]).workers == 2


def test_save_with_a_config_file_that_does_not_exist_yet(tmp_path):
    path = str(tmp_path / 'sub' / 'new.conf')
    options = parse(['-c', path, '-s', '--workers', '5'])
    config.save(options)
    assert parse(['-c', path]).workers == 5


def test_render_shows_the_section():
    text = config.render(parse(['--http-port', '9000']))
    assert text.startswith('[options]')
    assert 'http_port = 9000' in text


# -- --help ------------------------------------------------------------------------------------


def test_each_command_offers_only_the_flags_it_uses():
    cron = config.build_parser('openerp-server cron', 'cron').format_help()
    for flag in ('--http-port', '-i', '--update', '--stop-after-init', '--workers', '--save', '--pidfile'):
        assert ' %s ' % flag not in cron and '[%s' % flag not in cron, flag
    for flag in ('--cron-interval', '--db_host', '--db-filter', '--logfile'):
        assert flag in cron
    test = config.build_parser('openerp-server test', 'test').format_help()
    assert '-i A,B' in test and '--http-port' not in test
    with pytest.raises(ConfigError, match='--http-port'):
        config.parse(['--http-port', '8070'], {}, command='cron')
    # a cron process started by a server gets that server's flags
    assert config.parse(['--http-port', '8070', '--workers', '2'], {}, command='cron', lenient=True)


def test_help_lists_every_flag_of_every_option():
    text = config.build_parser().format_help()
    for opt in config.OPTIONS:
        for flag in opt.flags:
            assert flag in text, flag
        if opt.file_only:
            assert not opt.flags


def test_help_and_version_exit_cleanly(capsys):
    with pytest.raises(SystemExit) as info:
        parse(['--help'])
    assert info.value.code == 0
    assert '--db_maxconn' in capsys.readouterr().out


def test_every_option_is_declared_once():
    keys = [opt.key for opt in config.OPTIONS]
    assert len(keys) == len(set(keys))
    flags = [flag for opt in config.OPTIONS for flag in opt.flags]
    assert len(flags) == len(set(flags))
    names = [name for opt in config.OPTIONS for name in (opt.key,) + opt.aliases]
    assert len(names) == len(set(names))


def test_every_default_survives_its_own_converter():
    for opt in config.OPTIONS:
        assert opt.convert(opt.format(opt.default)) == opt.default, opt.key


# -- logging -----------------------------------------------------------------------------------


def test_setup_logging_is_idempotent_and_writes_the_pid(tmp_path):
    logfile = tmp_path / 'logs' / 'server.log'
    options = parse(['--logfile', str(logfile), '--log-level', 'debug'])
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        log.setup_logging(options)
        log.setup_logging(options)
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1
        logging.getLogger('openerp_lite.test').debug('hello %s', 'there')
        ours[0].flush()
        line = logfile.read_text().strip().splitlines()[-1]
        assert ' %d DEBUG openerp_lite.test: hello there' % os.getpid() in line
        assert logging.getLogger('pgserver').getEffectiveLevel() >= logging.WARNING
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def test_readme_options_table_is_up_to_date():
    readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'README.md')
    with open(readme, encoding='utf-8') as handle:
        text = handle.read()
    assert config.markdown_table() in text, (
        'README.md options table is stale: run python3 scripts/options_table.py --write'
    )


# -- several database servers ---------------------------------------------------------------------


def test_failover_hosts_and_ports_are_comma_lists():
    options = parse(['--db_host', 'pg1,pg2', '--db_port', '5432, 5433'])
    assert options.db_host == 'pg1,pg2'
    assert options.db_port == '5432,5433'
    assert parse(['--db_port', '6432']).db_port == 6432


def test_standbys_pair_with_their_ports():
    options = parse(['--db_replica_host', 'r1,r2', '--db_replica_port', '5433', '--db_port', '5432'])
    assert config.replica_settings(options)['replicas'] == [('r1', 5433), ('r2', 5433)]
    options = parse(['--db_replica_host', 'r1,r2', '--db_replica_port', '5433,5434'])
    assert config.replica_settings(options)['replicas'] == [('r1', 5433), ('r2', 5434)]
    # no port given: the primary's, when it is one port
    options = parse(['--db_replica_host', 'r1', '--db_port', '6000'])
    assert config.replica_settings(options)['replicas'] == [('r1', 6000)]


@pytest.mark.parametrize(
    'argv, needle',
    [
        (['--db_port', '5432,x'], '--db_port'),
        (['--db_port', '5432,,5433'], '--db_port'),
        (['--db_replica_port', '70000'], '--db_replica_port'),
        (['--db_replica_host', 'a,b,c', '--db_replica_port', '1,2'], 'one per --db_replica_host'),
        (['--db_replica_port', '5433'], 'without --db_replica_host'),
        (['--db-replica-wait', 'soon'], '--db-replica-wait'),
    ],
)
def test_bad_database_server_lists_are_refused_by_name(argv, needle):
    with pytest.raises(ConfigError) as info:
        parse(argv)
    assert needle in str(info.value)
