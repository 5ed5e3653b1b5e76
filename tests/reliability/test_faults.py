"""Fault injection against real servers and the real PostgreSQL: a worker SIGKILLed in the middle
of a multi-row write, every database session terminated under load, an exhausted connection pool,
a database switched to read-only. Each scenario counts its calls in the report.

The fast subset (default run) kills a worker three times; ``--run-slow`` runs every scenario in
full (20 kills).
"""

import os
import random
import re
import signal
import threading
import time
import uuid

import pytest

from tests.support.orm import TEST_ADDONS

from .support import (
    CLEAN,
    DROPPED,
    OK,
    UNEXPECTED,
    Client,
    children,
    outcome,
    sql,
    terminate_backends,
    wait_for,
    wait_sessions_gone,
)

ROWS_PER_CALL = 40
PAUSE = 0.02  # seconds after each row: a call lasts ~1 s, long enough to be caught
WORKERS = 3


@pytest.fixture(scope='module')
def prefork(pg, rel_db, start_server_module):
    """A gunicorn server with three workers serving the reliability database."""
    running = start_server_module(
        [
            '--addons-path',
            TEST_ADDONS,
            '--server',
            'gunicorn',
            '--workers',
            str(WORKERS),
            '--max-cron-threads',
            '0',
            '--limit-time-real',
            '60',
        ]
    )
    client = Client(running, rel_db['name'])
    assert wait_for(lambda: len(children(running.pid)) >= WORKERS, timeout=30)
    assert client('test.reliability.row', 'worker_pid') in children(running.pid)
    return running


def _batch_rows(pg, db, batch):
    return sql(
        pg,
        db,
        'SELECT count(*), count(DISTINCT position) FROM test_reliability_row WHERE batch = %s',
        (batch,),
    )[0]


def _backend_of(pg, db, batch):
    """The pid of the worker whose transaction is writing ``batch`` (its inserts are in flight),
    read from the worker's own PostgreSQL session: the worker names itself in application_name."""
    rows = sql(
        pg,
        'postgres',
        'SELECT application_name FROM pg_stat_activity WHERE datname = %s AND application_name LIKE %s',
        (db, 'openerp-lite rows %s pid %%' % batch),
    )
    return int(rows[0][0].rsplit(' ', 1)[1]) if rows else None


class _Background:
    """Threads writing one-row batches on the server until stopped; every outcome counted."""

    def __init__(self, server, db, threads=2, rows=1, pause=0.0):
        self.client = Client(server, db, timeout=60)
        self.rows, self.pause = rows, pause
        self.stop = threading.Event()
        self.results = []  # (batch, kind, detail)
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        for _ in range(10000):  # bounded; stopped long before
            if self.stop.is_set():
                return
            batch = 'bg-%s' % uuid.uuid4().hex[:12]
            kind, detail = outcome(
                lambda b=batch: self.client('test.reliability.row', 'write_rows', b, self.rows, self.pause),
                clean=r'.',
            )
            self.results.append((batch, kind, detail))
            time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(90)
        assert not any(thread.is_alive() for thread in self.threads)


def _check_background(pg, db, background, row):
    """Count the background calls; an answered call left exactly its row, a failed one none."""
    for batch, kind, _detail in background.results:
        row.count(kind, expected=(CLEAN,))
        count, _distinct = _batch_rows(pg, db, batch)
        if kind == OK:
            row.lost += max(0, 1 - count)
            row.duplicated += max(0, count - 1)
        elif count:
            row.duplicated += count  # a failed call must leave nothing behind
    failures = [detail for _b, kind, detail in background.results if kind not in (OK, CLEAN)]
    return failures


def _kill_one_write(pg, db, client, rng):
    """Start a multi-row write, SIGKILL its worker at a random point of it; returns
    ``(outcome kind, detail, rows of the batch, distinct positions, killed pid)``."""
    batch = 'kill-%s' % uuid.uuid4().hex[:12]
    result = {}

    def call():
        result['outcome'] = outcome(
            lambda: client('test.reliability.row', 'write_rows', batch, ROWS_PER_CALL, PAUSE), clean=r'.'
        )

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    victim = wait_for(lambda: _backend_of(pg, db, batch), timeout=20, interval=0.01)
    assert victim, 'the write of %s never started' % batch
    # a random point of the write: between the first row and (about) the last one
    time.sleep(rng.uniform(0, ROWS_PER_CALL * PAUSE * 0.9))
    os.kill(victim, signal.SIGKILL)
    caller.join(70)
    assert not caller.is_alive(), 'the interrupted call hung'
    kind, detail = result['outcome']
    count, distinct = _batch_rows(pg, db, batch)
    return kind, detail, count, distinct, victim


@pytest.mark.parametrize(
    'kills',
    [
        pytest.param(3, id='3-kills'),
        pytest.param(20, id='20-kills', marks=pytest.mark.slow),
    ],
)
def test_sigkilled_worker_loses_only_its_own_call(pg, rel_db, prefork, scenario, kills):
    db = rel_db['name']
    row = scenario(
        'SIGKILL a gunicorn worker mid-write (%d times, %d rows per call)' % (kills, ROWS_PER_CALL)
    )
    background_row = scenario('  other clients during the kills')
    client = Client(prefork, db, timeout=60)
    rng = random.Random(kills)
    killed, replaced, completed = 0, 0, 0
    with _Background(prefork, db) as background:
        for _round in range(kills):
            kind, detail, count, distinct, victim = _kill_one_write(pg, db, client, rng)
            killed += 1
            if kind == OK:
                # the kill came after the commit: the call must then be whole
                completed += 1
                row.count(OK)
                row.lost += ROWS_PER_CALL - count
                row.duplicated += count - distinct
            else:
                row.count(kind, expected=(DROPPED,))
                row.duplicated += count  # rows of a failed call are rows that should not exist
            assert kind in (OK, DROPPED), detail
            if wait_for(
                lambda v=victim: v not in children(prefork.pid) and len(children(prefork.pid)) >= WORKERS,
                timeout=30,
            ):
                replaced += 1
    background_failures = _check_background(pg, db, background, background_row)
    row.note('%d killed, %d replaced, %d had committed before the kill' % (killed, replaced, completed))
    background_row.note('%d calls while the workers were being killed' % background_row.calls)
    assert replaced == killed
    assert prefork.alive()
    assert client('test.reliability.row', 'worker_pid') in children(prefork.pid)
    assert row.unexpected == row.lost == row.duplicated == 0
    assert background_failures == []
    assert background_row.unexpected == background_row.lost == background_row.duplicated == 0
    assert background_row.ok >= 1


@pytest.mark.slow
def test_terminated_backends_fail_in_flight_calls_then_the_server_reconnects(pg, rel_db, prefork, scenario):
    db = rel_db['name']
    row = scenario('pg_terminate_backend of every session under load (gunicorn)')
    workers_before = children(prefork.pid)
    client = Client(prefork, db, timeout=60)
    with _Background(prefork, db, threads=3, rows=4, pause=0.05) as background:
        time.sleep(1.0)
        ended = 0
        for _ in range(3):  # three waves, a second apart
            ended += terminate_backends(pg, db)
            time.sleep(1.0)
        # from now on the calls must succeed again within seconds
        started = time.monotonic()
        recovered = wait_for(
            lambda: outcome(lambda: client('test.reliability.row', 'search_count', []))[0] == OK,
            timeout=10,
            interval=0.2,
        )
        recovery = time.monotonic() - started
        time.sleep(1.0)
    clean = r'connection|terminat|server closed|administrator command|database'
    samples = set()
    for batch, kind, detail in background.results:
        if kind == CLEAN:
            samples.add(detail.strip().splitlines()[-1][:120])
            if not re.search(clean, detail, re.I):
                kind = UNEXPECTED
        row.count(kind, expected=(CLEAN,))
        count, _distinct = _batch_rows(pg, db, batch)
        if kind == OK:
            row.lost += max(0, background.rows - count)
            row.duplicated += max(0, count - background.rows)
        else:
            row.duplicated += count
    row.note(
        '%d sessions terminated; calls answered again %.1fs after the last wave; workers '
        'restarted: %d' % (ended, recovery, len(set(workers_before) - set(children(prefork.pid))))
    )
    row.note('faults seen: %s' % ' / '.join(sorted(samples)))
    unexpected = [d for _b, k, d in background.results if k not in (OK, CLEAN)]
    assert recovered, 'the server did not reconnect within 10 s'
    assert set(workers_before) <= set(children(prefork.pid)), 'a worker was restarted'
    assert ended >= 1
    assert row.unexpected == 0, unexpected[:3]
    assert row.lost == row.duplicated == 0
    assert row.expected_failures >= 1, 'no call was in flight during the terminations'


@pytest.fixture(scope='module')
def small_pool(rel_db, start_server_module):
    """A threaded server allowed two database connections."""
    return start_server_module(['--addons-path', TEST_ADDONS, '--db_maxconn', '2', '--max-cron-threads', '0'])


@pytest.mark.parametrize(
    'callers',
    [
        pytest.param(4, id='4-callers'),
        pytest.param(10, id='10-callers', marks=pytest.mark.slow),
    ],
)
def test_exhausted_pool_makes_calls_wait_then_succeed_or_refuse_clearly(
    rel_db, small_pool, scenario, callers
):
    db = rel_db['name']
    row = scenario('pool exhaustion: %d slow calls, --db_maxconn 2' % callers)
    client = Client(small_pool, db, timeout=40)
    rows_before = Client(small_pool, db)('test.reliability.row', 'search_count', [])  # registry loaded
    results = [None] * callers
    started = time.monotonic()

    def call(index):
        begun = time.monotonic()
        results[index] = (
            outcome(lambda: client('test.reliability.row', 'slow_read', 3), clean=r'too busy'),
            time.monotonic() - begun,
        )

    from .support import run_threads

    run_threads(call, callers, timeout=60)
    elapsed = time.monotonic() - started
    for (kind, _detail), _seconds in results:
        row.count(kind, expected=(CLEAN,))
    longest = max(seconds for _r, seconds in results)
    row.note('longest call %.1fs, all done in %.1fs' % (longest, elapsed))
    assert row.unexpected == 0, [r for r in results if r[0][0] not in (OK, CLEAN)]
    assert row.ok >= 2
    assert longest < 30, 'a call waited longer than the pool timeout allows'
    if callers > 6:  # 3 s calls, 2 connections, 10 s wait: some must be refused
        assert row.expected_failures >= 1
    # and the server serves normally afterwards: the slow reads changed nothing
    assert client('test.reliability.row', 'search_count', []) == rows_before


def test_read_only_database_refuses_writes_clearly_and_serves_reads(pg, rel_db, rel_server, scenario):
    db = rel_db['name']
    row = scenario('read-only database (default_transaction_read_only)')
    client = Client(rel_server, db)
    client('test.reliability.row', 'search_count', [])
    batch = 'ro-%s' % uuid.uuid4().hex[:12]
    sql(pg, 'postgres', 'ALTER DATABASE "%s" SET default_transaction_read_only = on' % db)
    try:
        terminate_backends(pg, db)  # sessions pick the setting up when they reconnect
        wait_sessions_gone(pg, db)
        for _ in range(5):
            kind, detail = outcome(
                lambda: client('test.reliability.row', 'write_rows', batch, 3, 0), clean=r'read-only'
            )
            row.count(kind, expected=(CLEAN,))
            assert kind == CLEAN, detail
            kind, detail = outcome(
                lambda: client('test.reliability.row', 'search_read', [], ['name'], limit=5)
            )
            row.count(kind)
            assert kind == OK, detail
    finally:
        sql(pg, 'postgres', 'ALTER DATABASE "%s" RESET default_transaction_read_only' % db)
        terminate_backends(pg, db)
        wait_sessions_gone(pg, db)
    row.duplicated += _batch_rows(pg, db, batch)[0]
    # writable again once the sessions reconnect
    assert wait_for(
        lambda: (
            outcome(lambda: client('test.reliability.row', 'write_rows', batch + '-after', 1, 0))[0] == OK
        ),
        timeout=10,
    )
    row.note('writes refused with "read-only transaction", reads served')
    assert row.unexpected == row.duplicated == 0
