"""Process lifecycle of the three servers, and ``/web/health``.

SIGTERM lets a request in flight finish under every server; under gunicorn, SIGHUP replaces the
workers while a client calls in a loop without one failure, TTIN/TTOU add and remove a worker;
process titles name the role and the database. Each server is a real subprocess; every call has a
socket timeout and every wait a deadline.
"""

import json
import os
import signal
import threading
import time
import xmlrpc.client

import psutil
import pytest

from tests.support import pg as pgsupport
from tests.support.server import ROOT, prepare_databases, start_server

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
SERVERS = ('threaded', 'waitress', 'gunicorn')


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


def call(server, db, model, method, args, timeout=30):
    proxy = xmlrpc.client.ServerProxy('%s/xmlrpc/2/object' % server.url, allow_none=True,
                                      transport=_TimeoutTransport(timeout))
    return proxy.execute_kw(db, 1, 'admin', model, method, args)


def health(server):
    status, _headers, body = server.request('GET', '/web/health', timeout=10)
    assert status == 200, body
    return json.loads(body)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


@pytest.fixture(scope='module')
def db(pg):
    name = pgsupport.new_db_name('oellife')
    try:
        prepare_databases(pg, [name], ['test_misbehave'], TEST_ADDONS)
        yield name
    finally:
        pgsupport.drop_database(pg, name)


def _server_args(kind, db, *extra):
    args = ['--server', kind, '-d', db, '--addons-path', TEST_ADDONS]
    if kind == 'gunicorn':
        args += ['--workers', '2']
    return args + list(extra)


# -- SIGTERM ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('kind', SERVERS)
def test_sigterm_during_a_slow_request_lets_it_finish(pg, db, kind):
    server = start_server(pg, _server_args(kind, db))
    try:
        call(server, db, 'res.partner', 'search_count', [[]])  # registries loaded
        outcome = {}

        def slow():
            try:
                outcome['result'] = call(server, db, 'test.misbehave', 'sleep', [3], timeout=30)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcome['error'] = repr(error)

        caller = threading.Thread(target=slow)
        caller.start()
        time.sleep(1.0)  # the call is in its sleep now
        started = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)
        caller.join(30)
        assert outcome == {'result': True}, (outcome, server.log()[-3000:])
        server.proc.wait(30)
        elapsed = time.monotonic() - started
    finally:
        status = server.stop()
    assert status == 0 and elapsed < 15, (status, elapsed)


# -- gunicorn: HUP, TTIN/TTOU, titles, health ------------------------------------------------------

@pytest.fixture(scope='module')
def prefork(pg, db):
    server = start_server(pg, _server_args('gunicorn', db, '--max-cron-threads', '1'))
    wait_for(lambda: len(health(server)['workers']) == 2 and health(server)['cron'], 30,
             'two workers and a cron process on the board')
    yield server
    server.stop()


def _worker_pids(server):
    return sorted(entry['pid'] for entry in health(server)['workers'])


class _Caller:
    """Calls in a loop from another thread, recording each outcome."""

    def __init__(self, server, db):
        self.server, self.db = server, db
        self.ok, self.failures = 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline = time.monotonic() + 120
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                call(self.server, self.db, 'res.partner', 'search_count', [[]], timeout=20)
                self.ok += 1
            except Exception as error:  # noqa: BLE001 - every failure is a finding
                self.failures.append(repr(error))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)


def test_sighup_replaces_the_workers_without_a_failed_request(prefork, db):
    before = _worker_pids(prefork)
    with _Caller(prefork, db) as client:
        time.sleep(0.5)
        os.kill(prefork.pid, signal.SIGHUP)
        after = wait_for(lambda: (lambda pids: len(pids) == 2 and not set(pids) & set(before)
                                  and pids)(_worker_pids(prefork)), 30, 'two new workers')
        time.sleep(1.0)
    assert client.ok > 10 and not client.failures, (client.ok, client.failures[:3])
    assert prefork.alive() and after


def test_ttin_adds_a_worker_and_ttou_removes_one(prefork):
    assert len(_worker_pids(prefork)) == 2
    os.kill(prefork.pid, signal.SIGTTIN)
    wait_for(lambda: len(_worker_pids(prefork)) == 3, 30, 'a third worker')
    os.kill(prefork.pid, signal.SIGTTOU)
    wait_for(lambda: len(_worker_pids(prefork)) == 2, 30, 'back to two workers')


def _title(pid):
    return ' '.join(psutil.Process(pid).cmdline()).strip()


def test_process_titles_name_the_role_and_the_database(prefork, db):
    wait_for(lambda: _title(prefork.pid) == 'openerp-server: master', 10, 'the master title')
    report = health(prefork)
    for entry in report['workers']:
        assert _title(entry['pid']) == 'openerp-server: worker [%s]' % db
    assert [_title(entry['pid']) for entry in report['cron']] == ['openerp-server: cron [%s]' % db]


def test_health_reports_each_prefork_worker(prefork, db):
    for _ in range(6):
        call(prefork, db, 'res.partner', 'search_count', [[]])
    report = health(prefork)
    assert report['server'] == 'gunicorn' and report['mode'] == 'stateless'
    assert len(report['workers']) == 2
    for entry in report['workers']:
        assert set(entry) >= {'pid', 'rss', 'requests', 'cpu_seconds'}
        assert entry['rss'] > 10 * 1024 * 1024 and entry['cpu_seconds'] > 0
        assert psutil.pid_exists(entry['pid']) and entry['pid'] != prefork.pid
    assert sum(entry['requests'] for entry in report['workers']) >= 6
    assert report['cron'][0]['databases'] == [db]


@pytest.mark.parametrize('kind', ['threaded', 'waitress'])
def test_health_of_a_one_process_server_reports_that_process(pg, kind):
    server = start_server(pg, ['--server', kind, '--mode', 'stateful'])
    try:
        report = health(server)
    finally:
        server.stop()
    assert report['server'] == kind and report['mode'] == 'stateful'
    assert report['process']['pid'] == server.pid and report['process']['rss'] > 0
    assert 'workers' not in report
