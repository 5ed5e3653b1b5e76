"""The server adapters: threaded, waitress and gunicorn, each started as a real subprocess, plus the
per-worker limits under gunicorn exercised through the ``test_misbehave`` addon.

Every RPC call has a socket timeout and every wait a deadline, so a broken server fails a test
instead of hanging the suite.
"""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import xmlrpc.client

import pytest

import server_adapters
from openerp_lite.bench import launcher
from openerp_lite.tools import config
from server_adapters import gunicorn as gunicorn_adapter
from server_adapters import limits
from tests.support import pg as pgsupport
from tests.support.rpc import BackgroundCalls, call, proxy
from tests.support.server import EXECUTABLE, ROOT, RunningServer, free_port, start_server

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
SERVERS = ('threaded', 'waitress', 'gunicorn')
MB = 1024 * 1024


def _Options(origins=None, **values):
    """Real settings for unit tests: the declared defaults, the limits below, then ``values``;
    ``origins`` says where chosen keys came from (every other key: 'default')."""
    chosen = dict(
        server='auto',
        workers=0,
        threads=8,
        http_interface='127.0.0.1',
        http_port=8069,
        limit_memory_soft=2048 * MB,
        limit_memory_hard=2560 * MB,
        limit_time_cpu=60,
        limit_time_real=120,
        limit_request=8192,
    )
    chosen.update(values)
    declared = config.defaults()
    all_values = dict(declared.as_dict(), **chosen)
    all_origins = dict(dict.fromkeys(all_values, 'default'), **(origins or {}))
    return config.Options(all_values, all_origins)


# -- selection rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    'server, workers, expected',
    [
        ('auto', 0, 'threaded'),
        ('auto', 1, 'gunicorn'),
        ('auto', 4, 'gunicorn'),
        ('threaded', 1, 'threaded'),
        ('waitress', 0, 'waitress'),
        ('waitress', 1, 'waitress'),
        ('gunicorn', 0, 'gunicorn'),
        ('gunicorn', 3, 'gunicorn'),
    ],
)
def test_server_choice_follows_server_then_workers(server, workers, expected):
    assert server_adapters.resolve_name(_Options(server=server, workers=workers)) == expected


@pytest.mark.parametrize('server', ['threaded', 'waitress'])
def test_several_workers_with_a_one_process_server_is_a_clear_error(server):
    with pytest.raises(ValueError, match='single process'):
        server_adapters.resolve_name(_Options(server=server, workers=2))


@pytest.mark.parametrize('server', ['threaded', 'waitress'])
def test_cli_refuses_several_workers_with_a_one_process_server(server):
    proc = subprocess.run(
        [sys.executable, EXECUTABLE, '--server', server, '--workers', '2', '--http-port', '1'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith('openerp-server:')]
    assert len(errors) == 1 and '--workers 2' in errors[0] and server in errors[0], proc.stderr


# -- gunicorn settings and limit hooks, in process ---------------------------------------------


def test_gunicorn_settings_map_the_limits():
    hooks = server_adapters.Hooks()
    config = gunicorn_adapter.settings(
        _Options(workers=3, http_port=9999, limit_time_real=45, limit_request=1000), hooks
    )
    assert config['bind'] == '127.0.0.1:9999'
    assert config['workers'] == 3
    assert config['worker_class'] == 'server_adapters.gunicorn.SyncWorker'
    assert config['preload_app'] is True
    assert config['timeout'] == 45 and config['graceful_timeout'] == 45
    assert config['max_requests'] == 1000 and config['max_requests_jitter'] == 100
    for name in ('post_fork', 'pre_request', 'post_request'):
        assert hooks.has(name), name


def test_gunicorn_settings_run_pre_fork_hooks():
    calls = []
    hooks = server_adapters.Hooks(pre_fork=lambda worker: calls.append(worker))
    config = gunicorn_adapter.settings(_Options(workers=1), hooks)
    config['pre_fork']('arbiter', 'worker-1')
    assert calls == ['worker-1']


def test_one_process_servers_report_the_limits_they_do_not_apply(caplog):
    options = _Options(origins={'limit_time_cpu': 'cli', 'limit_memory_hard': 'file'})
    with caplog.at_level(logging.INFO, logger='server_adapters.limits'):
        limits.report_not_applied('waitress', options)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert '--limit-time-cpu' in warnings[0] and '--limit-memory-hard' in warnings[0]
    assert 'not applied' in warnings[0]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any('--limit-request' in message for message in infos)


def test_gunicorn_settings_run_on_reload_hooks_in_the_master():
    calls = []
    hooks = server_adapters.Hooks(on_reload=lambda server: calls.append(server))
    config = gunicorn_adapter.settings(_Options(workers=1), hooks)
    config['on_reload']('arbiter')
    assert calls == ['arbiter']


def test_gunicorn_arbiter_stops_gracefully_on_sigint():
    """INT as TERM: StopIteration for the main loop (which then stops gracefully), no quick stop."""
    stops = []

    class Arbiter(gunicorn_adapter.Arbiter):
        def __init__(self):  # no application: only the signal handling is under test
            self.log = logging.getLogger('test')

        def stop(self, graceful=True):
            stops.append(graceful)

    with pytest.raises(StopIteration):
        Arbiter().handle_int()
    assert stops == []


def test_in_flight_request_not_closed_by_the_server_is_finished_by_its_thread():
    in_flight = server_adapters.InFlight(lambda environ, start_response: [b'ok'], per_thread=True)
    response = in_flight({}, None)
    assert in_flight.count == 1
    in_flight.finish_thread_request()  # the server skipped close(): its thread finishes it
    assert in_flight.count == 0 and in_flight.wait_idle(0)
    response.close()  # a late close does not count twice
    in_flight.finish_thread_request()
    assert in_flight.count == 0


def test_soft_memory_limit_retires_the_worker_after_its_request():
    class Worker:
        alive = True

    worker = Worker()
    limits.WorkerLimits(_Options(limit_memory_soft=1, limit_time_cpu=0, limit_memory_hard=0)).post_request(
        worker
    )
    assert worker.alive is False
    worker = Worker()
    limits.WorkerLimits(
        _Options(limit_memory_soft=1 << 50, limit_time_cpu=0, limit_memory_hard=0)
    ).post_request(worker)
    assert worker.alive is True


def _run_snippet(code, timeout=30):
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cpu_limit_raises_inside_the_request_and_is_lifted_after_it():
    proc = _run_snippet("""
        import resource, time
        from server_adapters.limits import CpuTimeLimitExceeded, WorkerLimits
        class Options:
            limit_time_cpu, limit_memory_hard, limit_memory_soft = 1, 0, 0
        hooks = WorkerLimits(Options())
        hooks.post_fork()
        hooks.pre_request()
        started = time.monotonic()
        try:
            while time.monotonic() - started < 20:
                pass
            print('not interrupted')
        except CpuTimeLimitExceeded as error:
            print('interrupted after %.1f: %s' % (time.monotonic() - started, error))
        hooks.post_request()
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        print('lifted' if soft == hard else 'still limited')
    """)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('interrupted after'), proc.stdout
    assert 'CPU time limit exceeded' in lines[0]
    assert float(lines[0].split()[2].rstrip(':')) < 5
    assert lines[1] == 'lifted'


def test_hard_memory_limit_turns_an_allocation_into_memory_error():
    proc = _run_snippet("""
        from server_adapters.limits import WorkerLimits
        class Options:
            limit_time_cpu, limit_memory_soft = 0, 0
            limit_memory_hard = 1024 * 1024 * 1024
        WorkerLimits(Options()).pre_request()
        try:
            block = bytearray(2 * 1024 * 1024 * 1024)
            print('allocated')
        except MemoryError:
            print('MemoryError')
        print(len(bytearray(10 * 1024 * 1024)))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['MemoryError', str(10 * 1024 * 1024)]


def test_memory_error_fault_says_memory_limit_exceeded():
    from openerp_lite.http import errors

    try:
        raise MemoryError()
    except MemoryError as error:
        caught = error
    assert 'memory limit exceeded' in errors.integer_fault(caught)[1]
    assert 'memory limit exceeded' in errors.jsonrpc_error(caught)['data']['message']


# -- the basic RPC path under each server ------------------------------------------------------


@pytest.fixture
def drop_later(pg):
    names = []
    yield names
    for name in names:
        pgsupport.drop_database(pg, name)


@pytest.mark.parametrize('kind', SERVERS)
def test_basic_rpc_calls_under_each_server(pg, kind, drop_later):
    args = ['--server', kind, '--addons-path', TEST_ADDONS]
    if kind == 'gunicorn':
        args += ['--workers', '2']
    if kind == 'waitress':
        args += ['--threads', '4']
    running = start_server(pg, args)
    try:
        status, _headers, body = running.request('GET', '/web/health', timeout=10)
        assert status == 200 and ('"server": "%s"' % kind).encode() in body
        common = proxy(running, 'common')
        assert common.version()['server_version']
        name = pgsupport.new_db_name('oelsrv')
        drop_later.append(name)
        assert proxy(running, 'db', timeout=180).create_database(
            running.admin_passwd, name, False, 'en_US', 'admin'
        )
        uid = common.authenticate(name, 'admin', 'admin', {})
        assert uid
        partners = proxy(running, 'object').execute_kw(
            name, uid, 'admin', 'res.partner', 'search_read', [[]], {'fields': ['name']}
        )
        assert partners and all('name' in partner for partner in partners)
        if kind != 'gunicorn':
            assert 'per-worker limits' in running.log()
    finally:
        started = time.monotonic()
        status = running.stop()
    # SIGTERM is a clean stop for every server, well before the SIGKILL fallback of stop().
    assert status == 0 and time.monotonic() - started < 15, status


# -- limits under gunicorn with two workers ----------------------------------------------------


def _install_misbehave(pg):
    """A database with base and test_misbehave, prepared by a threaded server; its name."""
    name = pgsupport.new_db_name('oelmis')
    running = start_server(pg, ['--addons-path', TEST_ADDONS])
    try:
        proxy(running, 'db', timeout=180).create_database(running.admin_passwd, name, False, 'en_US', 'admin')
        obj = proxy(running, 'object', timeout=120)
        obj.execute_kw(name, 1, 'admin', 'ir.module.module', 'update_list', [])
        ids = obj.execute_kw(
            name, 1, 'admin', 'ir.module.module', 'search', [[('name', '=', 'test_misbehave')]]
        )
        assert ids, 'test_misbehave is not on the addons path'
        obj.execute_kw(name, 1, 'admin', 'ir.module.module', 'button_immediate_install', [ids])
    finally:
        running.stop()
    return name


LIMIT_TIME_CPU = 2
LIMIT_TIME_REAL = 8
LIMIT_MEMORY_HARD = 1536 * MB


@pytest.fixture(scope='module')
def misbehave_db(pg):
    name = _install_misbehave(pg)
    yield name
    pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module')
def prefork(pg, misbehave_db):
    """A gunicorn server with two workers and tight limits, serving ``misbehave_db``."""
    running = start_server(
        pg,
        [
            '--workers',
            '2',
            '--addons-path',
            TEST_ADDONS,
            '--limit-time-cpu',
            str(LIMIT_TIME_CPU),
            '--limit-time-real',
            str(LIMIT_TIME_REAL),
            '--limit-memory-hard',
            str(LIMIT_MEMORY_HARD),
        ],
    )
    # Warm both workers up (each loads the registry on its first call) so the timed calls below
    # measure the misbehaving method, not the registry load.
    for _ in range(6):
        call(running, misbehave_db, 'res.partner', 'search_count', [[]])
    yield running
    running.stop()


def test_cpu_hog_gets_the_cpu_limit_fault_while_others_are_served(prefork, misbehave_db):
    with BackgroundCalls(prefork, misbehave_db, pause=0.2) as other:
        started = time.monotonic()
        with pytest.raises(xmlrpc.client.Fault) as caught:
            call(prefork, misbehave_db, 'test.misbehave', 'cpu_loop', [60], timeout=60)
        elapsed = time.monotonic() - started
    assert 'CPU time limit exceeded' in caught.value.faultString
    # stopped by its CPU limit, long before the minute it asked for (a loaded machine stretches
    # CPU seconds into more wall-clock seconds, so this is no timing measurement)
    assert elapsed < 30, elapsed
    assert other.ok >= 2 and not other.failures, (other.ok, other.failures)
    # the worker survived and serves again
    assert call(prefork, misbehave_db, 'test.misbehave', 'cpu_loop', [0.1]) >= 1


def test_cpu_limit_rolls_the_request_transaction_back(prefork, misbehave_db):
    marker = 'cpu-%d' % time.monotonic_ns()
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(prefork, misbehave_db, 'test.misbehave', 'write_then_cpu_loop', [60], name=marker)
    assert 'CPU time limit exceeded' in caught.value.faultString
    assert call(prefork, misbehave_db, 'test.misbehave', 'search_count', [[('name', '=', marker)]]) == 0


def test_memory_hog_gets_a_clear_error_and_the_server_keeps_serving(prefork, misbehave_db):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(prefork, misbehave_db, 'test.misbehave', 'allocate', [LIMIT_MEMORY_HARD // MB + 512])
    assert 'memory limit exceeded' in caught.value.faultString
    assert call(prefork, misbehave_db, 'test.misbehave', 'allocate', [16]) == 16
    for _ in range(4):
        assert call(prefork, misbehave_db, 'res.partner', 'search_count', [[]]) >= 1


def test_sleeper_past_the_real_time_limit_is_killed_and_its_write_rolled_back(pg, prefork, misbehave_db):
    marker = 'killed-%d' % time.monotonic_ns()
    with BackgroundCalls(prefork, misbehave_db, pause=0.2) as other:
        started = time.monotonic()
        with pytest.raises((xmlrpc.client.Fault, xmlrpc.client.ProtocolError, OSError, socket.timeout)):
            call(
                prefork,
                misbehave_db,
                'test.misbehave',
                'write_then_sleep',
                [LIMIT_TIME_REAL * 4],
                timeout=LIMIT_TIME_REAL * 3,
                name=marker,
            )
        elapsed = time.monotonic() - started
    assert elapsed < LIMIT_TIME_REAL + 6, elapsed
    assert other.ok >= 2 and not other.failures, (other.ok, other.failures)
    assert pgsupport.sql(
        pg, misbehave_db, 'SELECT count(*) FROM test_misbehave WHERE name = %s', (marker,)
    ) == [(0,)]
    assert 'WORKER TIMEOUT' in prefork.log()
    assert call(prefork, misbehave_db, 'res.partner', 'search_count', [[]]) >= 1


def test_write_then_sleep_within_the_limit_commits(pg, prefork, misbehave_db):
    """The control of the test above: the same call, short enough, leaves its record."""
    marker = 'kept-%d' % time.monotonic_ns()
    assert call(prefork, misbehave_db, 'test.misbehave', 'write_then_sleep', [0.1], name=marker)
    assert call(prefork, misbehave_db, 'test.misbehave', 'search_count', [[('name', '=', marker)]]) == 1


def _health_pids(running, count):
    pids = set()
    for _ in range(count):
        status, _headers, body = running.request('GET', '/web/health', timeout=10)
        assert status == 200, body
        pids.add(json.loads(body)['pid'])
    return pids


@pytest.mark.parametrize('limit', [['--limit-request', '2'], ['--limit-memory-soft', '1']])
def test_workers_are_recycled_by_request_count_and_soft_memory(pg, limit):
    running = start_server(pg, ['--workers', '1'] + limit)
    try:
        pids = _health_pids(running, 8)
        assert len(pids) >= 2, pids
        assert running.alive()
    finally:
        running.stop()


def test_gunicorn_conf_py_serves_with_the_same_limits(pg, misbehave_db):
    port = free_port()
    env = launcher.clean_environ()
    env.update(
        {
            'OPENERP_LITE_DB_HOST': str(pg['host']),
            'OPENERP_LITE_HTTP_PORT': str(port),
            'OPENERP_LITE_HTTP_INTERFACE': '127.0.0.1',
            'OPENERP_LITE_WORKERS': '2',
            'OPENERP_LITE_ADDONS_PATH': TEST_ADDONS,
            'OPENERP_LITE_LIMIT_TIME_CPU': str(LIMIT_TIME_CPU),
            # no cron processes: without -d they would poll every database of the cluster
            'OPENERP_LITE_MAX_CRON_THREADS': '0',
        }
    )
    if pg.get('port'):
        env['OPENERP_LITE_DB_PORT'] = str(pg['port'])
    if pg.get('user'):
        env['OPENERP_LITE_DB_USER'] = pg['user']
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    proc = subprocess.Popen(
        [gunicorn, '-c', 'gunicorn.conf.py', 'openerp_lite.http:application'],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    running = RunningServer(proc, port, 'admin', None, None, None)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stdout.read().decode(errors='replace')
            try:
                status, _headers, body = running.request('GET', '/web/health', timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, 'gunicorn did not start'
                time.sleep(0.2)
        assert status == 200 and json.loads(body)['server'] == 'gunicorn'
        with pytest.raises(xmlrpc.client.Fault) as caught:
            call(running, misbehave_db, 'test.misbehave', 'cpu_loop', [60], timeout=60)
        assert 'CPU time limit exceeded' in caught.value.faultString
        assert call(running, misbehave_db, 'res.partner', 'search_count', [[]]) >= 1
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == 0


def test_user_error_from_a_worker_is_a_warning_fault(prefork, misbehave_db):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(prefork, misbehave_db, 'test.misbehave', 'fail', ['no thanks'])
    assert caught.value.faultCode == 2 and 'no thanks' in caught.value.faultString
