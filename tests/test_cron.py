"""Cron: the schedule arithmetic in process, then real pollers on one database.

The end-to-end tests start a threaded server (two cron threads), a waitress server (one) and an
``openerp-server cron`` process, all polling one database every 0.2 s, and check in the database
that a due job runs exactly once per interval, that a crashing job is rolled back and rescheduled
while the others run, and that a prefork server restarts a cron process killed with SIGKILL.
Intervals are one minute; the tests move ``nextcall`` into the past instead of waiting. Every wait
has a deadline.
"""

import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from openerp_lite.bench import launcher
from openerp_lite.service import cron
from tests.support import pg as pgsupport
from tests.support.server import EXECUTABLE, ROOT, prepare_databases, start_server
from tests.support.wait import wait_for

TEST_ADDONS = os.path.join(ROOT, 'tests', 'addons')
POLL = '0.2'


# -- schedule arithmetic -------------------------------------------------------------------------


def _at(minute, hour=12, day=1, month=1):
    return datetime.datetime(2024, month, day, hour, minute)


def test_a_job_on_time_runs_once_and_moves_one_interval():
    assert cron.schedule(_at(0), _at(0, hour=12), 1, 'hours', -1, False) == (1, _at(0, hour=13), -1)


def test_missed_runs_are_skipped_unless_doall():
    # due at 12:00, now 12:03:30, every minute: 12:00, 12:01, 12:02 and 12:03 were missed
    now = _at(3) + datetime.timedelta(seconds=30)
    assert cron.schedule(_at(0), now, 1, 'minutes', -1, False) == (1, _at(4), -1)
    assert cron.schedule(_at(0), now, 1, 'minutes', -1, True) == (4, _at(4), -1)


def test_numbercall_counts_down_and_stops_the_job_at_zero():
    now = _at(3) + datetime.timedelta(seconds=30)
    assert cron.schedule(_at(0), now, 1, 'minutes', 2, True) == (2, _at(2), 0)
    assert cron.schedule(_at(0), now, 1, 'minutes', 0, True)[0] == 0


def test_a_job_not_due_yet_does_not_run():
    assert cron.schedule(_at(5), _at(4), 1, 'minutes', -1, True) == (0, _at(5), -1)


def test_month_intervals_keep_the_day_or_end_the_month():
    assert cron.add_interval(datetime.datetime(2024, 1, 31), 1, 'months') == datetime.datetime(2024, 2, 29)
    assert cron.add_interval(datetime.datetime(2024, 11, 15), 3, 'months') == datetime.datetime(2025, 2, 15)
    assert cron.add_interval(_at(0), 2, 'weeks') == _at(0, day=15)


def test_a_failed_job_is_retried_at_the_next_boundary_after_now():
    assert cron.next_after(_at(0), _at(3, hour=12), 1, 'hours') == _at(0, hour=13)
    assert cron.next_after(_at(0), _at(0), 5, 'minutes') == _at(5)


@pytest.mark.parametrize(
    'text, expected',
    [
        ('()', ()),
        ('', ()),
        ("(1, 'a')", (1, 'a')),
        ('[1, 2]', (1, 2)),
        ("'x'", ('x',)),
        ("({'name': 'x'},)", ({'name': 'x'},)),
    ],
)
def test_job_arguments_are_python_literals(text, expected):
    assert cron.parse_args(text) == expected


def test_job_arguments_are_never_evaluated_as_code():
    with pytest.raises(ValueError):
        cron.parse_args("__import__('os').system('true')")


# -- real pollers --------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def cron_dbs(pg):
    """Two databases with base and test_misbehave, prepared by ``openerp-server -i``."""
    names = [pgsupport.new_db_name('oelcron'), pgsupport.new_db_name('oelcronpf')]
    try:
        prepare_databases(pg, names, ['test_misbehave'], TEST_ADDONS)
        for name in names:  # only the jobs of the tests: no housekeeping noise in the counts
            pgsupport.sql(pg, name, 'UPDATE ir_cron SET active = false')
        yield names
    finally:
        for name in names:
            pgsupport.drop_database(pg, name)


def _add_job(pg, db, name, function, args, doall=False, priority=5, overdue=1):
    """A job every minute, due ``overdue`` seconds ago; its id."""
    return pgsupport.sql(
        pg,
        db,
        'INSERT INTO ir_cron (name, user_id, active, interval_number, '
        'interval_type, numbercall, doall, nextcall, model, function, args, priority, '
        "failure_count) VALUES (%s, 1, true, 1, 'minutes', -1, %s, "
        "(now() at time zone 'UTC') - make_interval(secs => %s), 'test.misbehave', %s, "
        '%s, %s, 0) RETURNING id',
        (name, doall, overdue, function, args, priority),
    )[0][0]


def _make_due(pg, db, job_id, overdue=1):
    pgsupport.sql(
        pg,
        db,
        "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - make_interval(secs => %s) WHERE id = %s",
        (overdue, job_id),
    )


def _rows(pg, db, name):
    return pgsupport.sql(pg, db, 'SELECT count(*) FROM test_misbehave WHERE name = %s', (name,))[0][0]


def _job(pg, db, job_id):
    row = pgsupport.sql(
        pg,
        db,
        "SELECT nextcall > (now() at time zone 'UTC'), failure_count, lastcall FROM ir_cron WHERE id = %s",
        (job_id,),
    )[0]
    return {'rescheduled': row[0], 'failure_count': row[1], 'lastcall': row[2]}


def _cron_process(pg, db):
    cmd = [
        sys.executable,
        EXECUTABLE,
        'cron',
        '-d',
        db,
        '--addons-path',
        TEST_ADDONS,
        '--cron-interval',
        POLL,
    ] + launcher.db_args(pg)
    log = tempfile.TemporaryFile()  # a pipe nobody reads could fill up and block the process
    return subprocess.Popen(cmd, cwd=ROOT, env=launcher.clean_environ(), stdout=log, stderr=subprocess.STDOUT)


def _stop(proc, timeout=20):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


@pytest.fixture(scope='module')
def pollers(pg, cron_dbs):
    """Three processes polling the first database every 0.2 s: a threaded server with two cron
    threads, a waitress server with one, and ``openerp-server cron``."""
    db = cron_dbs[0]
    common = ['-d', db, '--addons-path', TEST_ADDONS, '--cron-interval', POLL]
    servers = [
        start_server(pg, common + ['--server', 'threaded', '--max-cron-threads', '2']),
        start_server(pg, common + ['--server', 'waitress', '--max-cron-threads', '1']),
    ]
    standalone = _cron_process(pg, db)
    try:
        yield db
    finally:
        for server in servers:
            server.stop()
        assert _stop(standalone) == 0


def test_three_processes_run_a_due_job_exactly_once_per_interval(pg, pollers):
    db = pollers
    # the job takes a second: the other pollers look at it many times while it runs
    job = _add_job(pg, db, 'tick', 'write_then_sleep', "(1.0, 'tick')")
    for interval in range(1, 4):
        if interval > 1:
            _make_due(pg, db, job)
        wait_for(lambda n=interval: _rows(pg, db, 'tick') >= n, 30, 'run %d' % interval)
        time.sleep(2.5)  # about forty more polls in all
        assert _rows(pg, db, 'tick') == interval
        assert _job(pg, db, job)['rescheduled']


def test_missed_runs_are_caught_up_once_each_with_doall(pg, pollers):
    db = pollers
    _add_job(pg, db, 'catchup', 'create', "({'name': 'catchup'},)", doall=True, overdue=175)
    _add_job(pg, db, 'skip', 'create', "({'name': 'skip'},)", doall=False, overdue=175)
    # due 2:55 ago, every minute: three occurrences (2:55, 1:55 and 0:55 ago)
    wait_for(lambda: _rows(pg, db, 'catchup') >= 3 and _rows(pg, db, 'skip') >= 1, 30, 'the catch-up runs')
    time.sleep(1.5)
    assert (_rows(pg, db, 'catchup'), _rows(pg, db, 'skip')) == (3, 1)


def test_a_crashing_job_is_rolled_back_and_rescheduled_and_others_still_run(pg, pollers):
    db = pollers
    crash = _add_job(pg, db, 'crash', 'write_then_fail', "('crash', 'boom on purpose')", priority=1)
    after = _add_job(pg, db, 'after-crash', 'create', "({'name': 'after-crash'},)", priority=9)
    wait_for(lambda: _rows(pg, db, 'after-crash') == 1, 30, 'the job after the crashing one')
    wait_for(lambda: _job(pg, db, crash)['failure_count'] == 1, 10, 'the failure count')
    state = _job(pg, db, crash)
    assert state['rescheduled'] and state['lastcall'] is None
    assert _rows(pg, db, 'crash') == 0  # its write was rolled back
    assert _job(pg, db, after)['failure_count'] == 0
    # due again: fails again, counted again, and still never blocks
    _make_due(pg, db, crash)
    wait_for(lambda: _job(pg, db, crash)['failure_count'] == 2, 30, 'the second failure')
    assert _rows(pg, db, 'crash') == 0


def _cron_pids(server):
    status, _headers, body = server.request('GET', '/web/health', timeout=10)
    assert status == 200, body
    return [entry['pid'] for entry in json.loads(body).get('cron', [])]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_prefork_restarts_a_cron_process_killed_with_sigkill(pg, cron_dbs):
    db = cron_dbs[1]
    server = start_server(
        pg,
        [
            '--workers',
            '1',
            '--max-cron-threads',
            '1',
            '-d',
            db,
            '--addons-path',
            TEST_ADDONS,
            '--cron-interval',
            POLL,
        ],
    )
    first = second = []
    try:
        first = wait_for(lambda: _cron_pids(server), 20, 'a cron process on the board')
        assert len(first) == 1
        job = _add_job(pg, db, 'prefork', 'create', "({'name': 'prefork'},)")
        wait_for(lambda: _rows(pg, db, 'prefork') == 1, 30, 'the job run by the cron process')
        os.kill(first[0], signal.SIGKILL)
        second = wait_for(lambda: [p for p in _cron_pids(server) if p != first[0]], 20, 'a new cron process')
        assert len(second) == 1 and not _alive(first[0])
        _make_due(pg, db, job)
        wait_for(lambda: _rows(pg, db, 'prefork') == 2, 30, 'the job run by the new process')
    finally:
        started = time.monotonic()
        status = server.stop()
    assert status == 0 and time.monotonic() - started < 15
    # stopping the server stops its cron process too
    wait_for(
        lambda: not any(_alive(pid) for pid in first + second), 10, 'the cron process to stop with the server'
    )
