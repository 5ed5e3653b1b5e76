"""Process lifecycle of the three servers, and ``/web/health``.

SIGTERM and SIGINT let a request in flight finish under every server (under gunicorn also a Ctrl-C
that signals every process); under gunicorn, SIGHUP replaces the workers while a client calls in a
loop without one failure, and the new workers (and cron processes) run an addon's code edited on
disk; TTIN/TTOU add and remove a worker; process titles name the role and the database. Each server
is a real subprocess; every call has a
socket timeout and every wait a deadline.
"""

import json
import os
import shutil
import signal
import threading
import time

import psutil
import pytest

from tests.support import pg as pgsupport
from tests.support.rpc import BackgroundCalls, call
from tests.support.server import ROOT, prepare_databases, start_server
from tests.support.wait import wait_for

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
SERVERS = ('threaded', 'waitress', 'gunicorn')


def health(server):
    status, _headers, body = server.request('GET', '/web/health', timeout=10)
    assert status == 200, body
    return json.loads(body)


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


# -- SIGTERM, SIGINT -------------------------------------------------------------------------------

STOP_SIGNALS = {'TERM': signal.SIGTERM, 'INT': signal.SIGINT}


@pytest.mark.parametrize('signame', sorted(STOP_SIGNALS))
@pytest.mark.parametrize('kind', SERVERS)
def test_sigterm_or_sigint_during_a_slow_request_lets_it_finish(pg, db, kind, signame):
    _stop_during_a_slow_request(pg, db, kind, STOP_SIGNALS[signame], to_workers=False)


def test_ctrl_c_under_gunicorn_lets_a_slow_request_finish(pg, db):
    """A Ctrl-C in a terminal sends SIGINT to the whole process group: master and workers."""
    _stop_during_a_slow_request(pg, db, 'gunicorn', signal.SIGINT, to_workers=True)


def _stop_during_a_slow_request(pg, db, kind, signum, to_workers):
    server = start_server(pg, _server_args(kind, db))
    try:
        call(server, db, 'res.partner', 'search_count', [[]])  # registries loaded
        workers = _worker_pids(server) if to_workers else []
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
        for pid in [server.pid] + workers:
            os.kill(pid, signum)
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
    wait_for(
        lambda: len(health(server)['workers']) == 2 and health(server)['cron'],
        30,
        'two workers and a cron process on the board',
    )
    yield server
    server.stop()


def _worker_pids(server):
    return sorted(entry['pid'] for entry in health(server)['workers'])


def test_sighup_replaces_the_workers_without_a_failed_request(prefork, db):
    before = _worker_pids(prefork)
    with BackgroundCalls(prefork, db) as client:
        time.sleep(0.5)
        os.kill(prefork.pid, signal.SIGHUP)
        after = wait_for(
            lambda: (lambda pids: len(pids) == 2 and not set(pids) & set(before) and pids)(
                _worker_pids(prefork)
            ),
            30,
            'two new workers',
        )
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


def _board_with_cron(server):
    """The health report once the cron process is on it (a HUP earlier in the module replaces
    it, and its successor takes a moment to start)."""
    return wait_for(
        lambda: (lambda report: report['cron'] and report)(health(server)), 30, 'the cron process'
    )


def test_process_titles_name_the_role_and_the_database(prefork, db):
    wait_for(lambda: _title(prefork.pid) == 'openerp-server: master', 10, 'the master title')

    def titles():
        # a process is on the board a moment before its title is set: wait for both
        report = health(prefork)
        return [_title(entry['pid']) for entry in report['workers']], [
            _title(entry['pid']) for entry in report['cron']
        ]

    wanted = (['openerp-server: worker [%s]' % db] * 2, ['openerp-server: cron [%s]' % db])
    wait_for(lambda: titles() == wanted, 30, 'the worker and cron titles')


def test_health_reports_each_prefork_worker(prefork, db):
    for _ in range(6):
        call(prefork, db, 'res.partner', 'search_count', [[]])
    report = _board_with_cron(prefork)
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


# -- gunicorn: SIGHUP runs the code now on disk ----------------------------------------------------

#: the body of test.misbehave.sleep() after the edit: which worker answered, and with what code
EDITED_RETURN = "return [__import__('os').getpid(), 'edited on disk']"


def test_sighup_runs_an_addon_edited_on_disk_in_every_new_worker(pg, tmp_path):
    addons = tmp_path / 'addons'
    shutil.copytree(
        os.path.join(TEST_ADDONS, 'test_misbehave'),
        str(addons / 'test_misbehave'),
        ignore=shutil.ignore_patterns('__pycache__'),
    )
    source = addons / 'test_misbehave' / 'models' / 'misbehave.py'
    name = pgsupport.new_db_name('oelhup')
    server = None
    try:
        prepare_databases(pg, [name], ['test_misbehave'], str(addons))
        server = start_server(
            pg, ['--workers', '2', '-d', name, '--addons-path', str(addons), '--max-cron-threads', '1']
        )
        wait_for(
            lambda: len(health(server)['workers']) == 2 and health(server)['cron'],
            30,
            'two workers and a cron process on the board',
        )
        report = health(server)
        old_workers = {entry['pid'] for entry in report['workers']}
        old_cron = {entry['pid'] for entry in report['cron']}
        assert call(server, name, 'test.misbehave', 'sleep', [0]) is True

        code = source.read_text()
        old_return = '        time.sleep(min(float(seconds), MAX_SECONDS))\n        return True\n'
        assert code.count(old_return) == 1
        source.write_text(code.replace(old_return, old_return.replace('return True', EDITED_RETURN)))
        answered_new, answers_after_old_gone = set(), []

        def ask():
            # two calls at once go to two workers: a sync worker serves one at a time
            results = [None, None]

            def one(index):
                try:
                    results[index] = call(server, name, 'test.misbehave', 'sleep', [0.3])
                except Exception as error:  # noqa: BLE001 - a failed call is a finding
                    results[index] = ('failed', repr(error))

            threads = [threading.Thread(target=one, args=(index,)) for index in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(40)
            return results

        def every_worker_answers_the_new_code():
            old_gone = not any(
                psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                for pid in old_workers
            )
            for result in ask():
                assert result is True or (isinstance(result, list) and result[1] == 'edited on disk'), result
                if isinstance(result, list):
                    answered_new.add(result[0])
                if old_gone:
                    answers_after_old_gone.append(result)
            current = set(_worker_pids(server))
            return old_gone and len(current) == 2 and not current & old_workers and current <= answered_new

        with BackgroundCalls(server, name) as client:
            time.sleep(0.5)
            os.kill(server.pid, signal.SIGHUP)
            wait_for(
                every_worker_answers_the_new_code, 60, 'both new workers answering the code edited on disk'
            )
            time.sleep(0.5)
        # once the old workers are gone, no answer comes from the old code
        assert all(isinstance(result, list) for result in answers_after_old_gone), answers_after_old_gone
        assert client.ok > 5 and not client.failures, (client.ok, client.failures[:3])
        # the cron processes are replaced too: they import the new code when they start
        wait_for(
            lambda: (lambda pids: len(pids) == 1 and not pids & old_cron)(
                {entry['pid'] for entry in health(server)['cron']}
            ),
            30,
            'a new cron process',
        )
        log = server.log()
        assert 'code changed on disk, importing it again' in log, log[-3000:]
        assert server.alive()
    finally:
        status = server.stop() if server is not None else None
        pgsupport.drop_database(pg, name)
    assert status == 0, status
