"""The operator's first hour, as an operator lives it: ``./openerp-server`` in a subprocess, the
machine's PostgreSQL, real HTTP. The launcher, ``--help``, the errors an operator's mistake gets,
OpenERP 7 config files, the access log, and no debris after a failure."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client

import pytest

from tests.support import pg as pgsupport
from tests.support.openerp7 import OPENERP7_KEYS
from tests.support.server import EXECUTABLE, ROOT, free_port

SYSTEM_PYTHON = '/usr/bin/python3'


def clean_environ(**extra):
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith('OPENERP_LITE_') and k != 'OPENERP_SERVER'
    }
    environ.update(extra)
    return environ


def db_args(pg):
    args = ['--db_host', str(pg['host'])]
    if pg.get('port'):
        args += ['--db_port', str(pg['port'])]
    if pg.get('user'):
        args += ['-r', pg['user']]
    return args


def run(args, environ=None, timeout=180, python=None):
    """``./openerp-server ARGS`` to its end: the completed process (text output)."""
    return subprocess.run(
        [python or sys.executable, EXECUTABLE] + list(args),
        cwd=ROOT,
        env=environ or clean_environ(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def database_exists(pg, name):
    return pgsupport.database_exists(pg, name)


# -- 1. one command form ------------------------------------------------------------------------


def _foreign_python():
    if not os.path.exists(SYSTEM_PYTHON) or os.path.realpath(SYSTEM_PYTHON) == os.path.realpath(
        sys.executable
    ):
        pytest.skip('no system Python distinct from the test interpreter')
    return SYSTEM_PYTHON


def test_launcher_runs_with_the_checkouts_venv_whatever_python_starts_it():
    if not os.path.exists(os.path.join(ROOT, '.venv', 'bin', 'python')):
        pytest.skip('this checkout has no .venv')
    # -I: no PYTHONPATH, no user site; the system Python has none of the dependencies
    done = subprocess.run(
        [_foreign_python(), '-I', EXECUTABLE, '--version'],
        capture_output=True,
        text=True,
        timeout=60,
        cwd='/',
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('openerp-server ')


def test_launcher_without_venv_or_dependencies_says_to_run_setup(tmp_path):
    python = _foreign_python()
    if subprocess.run([python, '-I', '-c', 'import psycopg2'], capture_output=True).returncode == 0:
        pytest.skip('the system Python has psycopg2: nothing would be missing')
    shutil.copy(EXECUTABLE, tmp_path / 'openerp-server')
    os.symlink(os.path.join(ROOT, 'openerp_lite'), tmp_path / 'openerp_lite')
    done = subprocess.run(
        [python, '-I', str(tmp_path / 'openerp-server'), '--help'], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'sh scripts/setup.sh' in lines[0], done.stderr
    assert 'Traceback' not in done.stderr and not done.stdout


def test_readme_shows_one_command_form():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    blocks = re.findall(r'```sh\n(.*?)```', text, re.S)
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    for line in commands:
        if 'openerp-server' in line:
            assert re.match(r'^(sh scripts/setup\.sh && )?\./openerp-server\b', line), line
        first = line.split()[0]
        if first in ('gunicorn', 'pytest', 'openerp-server', 'pip'):
            pytest.fail('%r is not run from the checkout (.venv/bin/%s or ./openerp-server)' % (line, first))
    # and in the prose: a command with arguments is always ./openerp-server
    assert not re.search(r'(?<![./\w])openerp-server (-|cron|test|bench|scaffold)', text)
    assert '.venv/bin/openerp-server' not in text


# -- 2. --help for people -----------------------------------------------------------------------


def test_help_lists_every_subcommand_with_one_line():
    from openerp_lite.cli import COMMANDS

    done = run(['--help'])
    assert done.returncode == 0
    for name in COMMANDS:
        assert re.search(r'^  %s +\S' % name, done.stdout, re.M), name


@pytest.mark.parametrize('command', ['scaffold', 'test', 'cron'])
def test_subcommand_help_is_plain_text(command):
    done = run([command, '--help'])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('usage: openerp-server %s' % command)
    for markup in ('``', ':mod:', ':func:', '\n.. ', '::\n'):
        assert markup not in done.stdout, markup


def test_cron_help_and_command_line_offer_only_what_cron_uses():
    done = run(['cron', '--help'])
    for flag in ('--http-port', '-i', '-u', '--stop-after-init', '--workers', '--save'):
        assert not re.search(r'(^|[\s\[,])%s[\s\],]' % re.escape(flag), done.stdout), flag
    assert '--cron-interval' in done.stdout and '--db_host' in done.stdout
    refused = run(['cron', '--http-port', '8070'])
    assert refused.returncode == 2
    assert '--http-port' in refused.stderr and 'Traceback' not in refused.stderr


# -- 3. errors that say what is wrong -----------------------------------------------------------


def test_unreachable_postgresql_is_one_line_naming_host_and_port(pg):
    port = free_port()
    done = run(['--db_host', '127.0.0.1', '--db_port', str(port), '-r', 'postgres'], timeout=60)
    assert done.returncode == 2
    assert 'Traceback' not in done.stderr + done.stdout
    refusal = [line for line in done.stderr.splitlines() if line.startswith('openerp-server:')]
    assert len(refusal) == 1 and '127.0.0.1:%d' % port in refusal[0], done.stderr


def test_a_bad_addons_path_is_one_line_not_a_traceback(pg, tmp_path):
    done = run(db_args(pg) + ['--addons-path', str(tmp_path / 'nowhere'), '--stop-after-init'])
    assert done.returncode == 2
    assert 'Traceback' not in done.stderr and 'nowhere' in done.stderr


@pytest.mark.parametrize(
    'args, needle',
    [
        (['--logfile', '/proc/no/such/folder/server.log'], '--logfile'),
        (['-c', '/no/such/server.conf'], '/no/such/server.conf'),
        (['--mode', 'stateful', '--workers', '2'], 'stateful'),
        (['--server', 'waitress', '--http-port', 'BUSY'], 'cannot listen on 127.0.0.1:'),
        (['--workers', '2', '--http-port', 'BUSY'], 'cannot listen on 127.0.0.1:'),
        (['--http-port', 'BUSY'], 'cannot listen on 127.0.0.1:'),
        (['--server', 'threaded', '--workers', '2'], 'threaded'),
    ],
    ids=[
        'logfile',
        'config-file',
        'stateful-prefork',
        'port-in-use',
        'port-in-use-prefork',
        'port-in-use-threaded',
        'threaded-workers',
    ],
)
def test_an_operators_mistake_is_one_line_without_a_traceback(pg, args, needle):
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        args = [str(busy.getsockname()[1]) if arg == 'BUSY' else arg for arg in args]
        done = run(db_args(pg) + ['--db-filter', '^oelt_none$', '--max-cron-threads', '0'] + args, timeout=90)
    assert done.returncode == 2, done.stderr[-2000:]
    assert 'Traceback' not in done.stderr + done.stdout
    refusal = [line for line in done.stderr.splitlines() if line.startswith('openerp-server:')]
    assert len(refusal) == 1 and needle in refusal[0], done.stderr[-2000:]


def test_cron_on_a_database_that_does_not_exist_is_one_line(pg):
    name = pgsupport.new_db_name('oeltnone')
    done = run(['cron', '-d', name] + db_args(pg), timeout=60)
    assert done.returncode == 2 and 'Traceback' not in done.stderr
    assert '%s does not exist' % name in done.stderr.strip().splitlines()[-1]


def test_a_missing_database_is_named_as_missing_on_every_route(server):
    name = 'oelt_missing_%d' % os.getpid()
    for route in ('2', ''):
        # /xmlrpc/ (OpenERP 7) carries the message in faultCode, /xmlrpc/2/ in faultString
        with pytest.raises(xmlrpc.client.Fault) as info:
            server.xmlrpc('common', route).login(name, 'admin', 'admin')
        assert "'%s' does not exist" % name in str(info.value)
        with pytest.raises(xmlrpc.client.Fault) as info:
            server.xmlrpc('object', route).execute_kw(name, 1, 'admin', 'res.partner', 'search', [[]])
        assert "'%s' does not exist" % name in str(info.value)
    reply = server.jsonrpc_raw(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 7,
            'params': {
                'service': 'object',
                'method': 'execute_kw',
                'args': [name, 1, 'a', 'res.partner', 'read', []],
            },
        }
    )
    assert "'%s' does not exist" % name in reply['error']['data']['message']
    time.sleep(0.2)
    log = server.log()
    mentions = [line for line in log.splitlines() if name in line]
    assert mentions and not any('psycopg2' in line or 'Traceback' in line for line in mentions)
    assert 'psycopg2.OperationalError' not in log


def test_a_hidden_database_list_keeps_a_missing_database_an_access_error(start_server):
    running = start_server(['--no-database-list'])
    name = 'oelt_missing_%d' % os.getpid()
    assert running.xmlrpc('common').login(name, 'admin', 'admin') is False
    with pytest.raises(xmlrpc.client.Fault) as info:
        running.xmlrpc('object').execute_kw(name, 1, 'admin', 'res.partner', 'search', [[]])
    assert info.value.faultCode == 3 and name not in info.value.faultString


# -- 4. OpenERP 7 config files ------------------------------------------------------------------


def test_an_openerp7_config_file_starts_and_names_what_it_ignores_once(start_server, tmp_path):
    pidfile = tmp_path / 'openerp-server.pid'
    (tmp_path / 'addons').mkdir()
    lines = OPENERP7_KEYS.splitlines() + [
        'addons_path = %s' % (tmp_path / 'addons'),
        'pidfile = %s' % pidfile,
    ]
    running = start_server(config_lines=lines)
    assert running.xmlrpc('common').version()['server_version']
    assert pidfile.read_text().strip() == str(running.pid)
    log = running.log()
    ignored = [line for line in log.splitlines() if 'ignoring OpenERP key' in line]
    assert len(ignored) == 1, log
    for key in ('netrpc', 'xmlrpcs', 'smtp_server', 'log_handler', 'static_http_enable', 'demo'):
        assert re.search(r'\b%s\b' % key, ignored[0]), key
    for key in ('osv_memory_age_limit', 'osv_memory_count_limit', 'xmlrpc,', 'pidfile', 'db_template'):
        assert key not in ignored[0], key
    assert 'xmlrpc_interface is empty' in log  # kept on 127.0.0.1, and said so
    running.stop()
    assert not pidfile.exists()


def test_xmlrpc_false_serves_no_http_and_runs_scheduled_jobs_only(pg, tmp_path):
    port = free_port()
    conf = tmp_path / 'server.conf'
    conf.write_text('[options]\nxmlrpc = False\nxmlrpc_port = %d\ncron_interval = 0.2\n' % port)
    log = tmp_path / 'server.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen(
            [sys.executable, EXECUTABLE, '-c', str(conf)] + db_args(pg) + ['--db-filter', '^oelt_none$'],
            cwd=ROOT,
            env=clean_environ(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and 'polling' not in log.read_text():
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        assert 'HTTP is disabled' in log.read_text()
        with pytest.raises(OSError), socket.create_connection(('127.0.0.1', port), timeout=1):
            pass
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        status = proc.wait(30)
    assert status == 0, log.read_text()


def test_unknown_keys_are_all_named_in_one_error(pg, tmp_path):
    conf = tmp_path / 'server.conf'
    conf.write_text('[options]\nhttp_prot = 8070\nworkres = 2\nnetrpc = False\n')
    done = run(['-c', str(conf)] + db_args(pg))
    assert done.returncode == 2
    refusal = done.stderr.strip().splitlines()
    assert len(refusal) == 1 and "'http_prot'" in refusal[0] and "'workres'" in refusal[0], done.stderr
    assert 'netrpc' not in refusal[0] and str(conf) in refusal[0]


def test_a_misspelt_environment_variable_stops_the_server(pg):
    done = run(db_args(pg), environ=clean_environ(OPENERP_LITE_HTTP_PROT='8080'))
    assert done.returncode == 2
    assert 'OPENERP_LITE_HTTP_PROT' in done.stderr and 'Traceback' not in done.stderr


# -- 5. the access log says how each call ended -------------------------------------------------


def test_access_log_records_each_calls_outcome(orm_server, pg):
    from tests.support.orm import create_orm_db, drop_db

    name = create_orm_db(orm_server, demo=False)
    try:
        common = orm_server.xmlrpc('common')
        assert common.login(name, 'admin', 'not the password') is False
        uid = common.login(name, 'admin', 'admin')
        models = orm_server.xmlrpc('object')
        models.execute_kw(name, uid, 'admin', 'res.partner', 'search', [[]], {'limit': 1})
        with pytest.raises(xmlrpc.client.Fault):
            models.execute_kw(name, uid, 'admin', 'res.partner', 'create', [{'name': 'x', 'no_field': 1}])
        with pytest.raises(xmlrpc.client.Fault):
            models.execute_kw(name, uid, 'wrong', 'res.partner', 'search', [[]])
        status, _headers, _body = orm_server.request(
            'POST',
            '/web/session/authenticate',
            b'{"jsonrpc": "2.0", "method": "call", '
            b'"params": {"db": "%s", "login": "admin", "password": "no"}}' % name.encode(),
            {'Content-Type': 'application/json'},
        )
        assert status == 200
        time.sleep(0.2)
        from openerp_lite.http import access_log

        web = [
            access_log.parse(line)
            for line in orm_server.log().splitlines()
            if '/web/session/authenticate' in line
        ]
        assert any(entry and entry['outcome'] == 'denied' for entry in web)

        lines = [access_log.parse(line) for line in orm_server.log().splitlines()]
        mine = [entry for entry in lines if entry and entry['db'] == name]
        outcomes = [(entry['target'], entry['outcome']) for entry in mine]
        assert ('common.login', 'denied') in outcomes
        assert ('common.login', 'ok') in outcomes
        assert ('res.partner.search', 'ok') in outcomes
        assert ('res.partner.create', 'user_error') in outcomes
        assert ('res.partner.search', 'denied') in outcomes
        assert [
            entry['uid'] for entry in mine if entry['target'] == 'common.login' and entry['outcome'] == 'ok'
        ] == [str(uid)]
    finally:
        drop_db(orm_server, name)


def test_access_log_outcome_of_a_server_error():
    from openerp_lite.http import access_log

    assert access_log.outcome(RuntimeError('bug')) == 'server_error'
    assert access_log.outcome(MemoryError()) == 'server_error'


# -- 6. no debris -------------------------------------------------------------------------------


def test_a_failed_install_drops_the_database_the_command_created(pg):
    name = pgsupport.new_db_name('oeltfail')
    try:
        done = run(db_args(pg) + ['-d', name, '-i', 'nosuchmodule', '--stop-after-init', '--without-demo'])
        assert done.returncode == 1, done.stderr
        assert 'nosuchmodule' in done.stderr and 'Traceback' not in done.stderr
        assert not database_exists(pg, name)
    finally:
        pgsupport.drop_database(pg, name)


def test_a_failed_install_keeps_a_database_that_was_there(pg):
    name = pgsupport.new_db_name('oeltkeep')
    pgsupport.create_database(pg, name)
    try:
        done = run(db_args(pg) + ['-d', name, '-i', 'nosuchmodule', '--stop-after-init'])
        assert done.returncode == 1
        assert database_exists(pg, name)
    finally:
        pgsupport.drop_database(pg, name)


def test_scaffold_refuses_a_name_an_addon_already_has(tmp_path):
    done = run(['scaffold', 'sale', str(tmp_path)])
    assert done.returncode == 1
    assert os.path.join(ROOT, 'addons') in done.stderr and not (tmp_path / 'sale').exists()
    mine = tmp_path / 'mine'
    mine.mkdir()
    assert run(['scaffold', 'library', str(mine)]).returncode == 0
    other = tmp_path / 'other'
    other.mkdir()
    done = run(['scaffold', 'library', str(other), '--addons-path', str(mine)])
    assert done.returncode == 1 and str(mine) in done.stderr and not (other / 'library').exists()


def test_start_up_warns_when_an_addon_hides_another(pg, tmp_path):
    (tmp_path / 'product').mkdir()
    (tmp_path / 'product' / '__manifest__.py').write_text("{'name': 'My product'}\n")
    done = run(db_args(pg) + ['--addons-path', str(tmp_path), '--stop-after-init'])
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if 'addon product' in line]
    assert len(warning) == 1 and str(tmp_path) in warning[0] and os.path.join(ROOT, 'addons') in warning[0]
