"""The PostgreSQL layer against a real server: transactions, pools, retries, fork safety."""

import os
import threading
import time

import psycopg2
import pytest

from openerp_lite import sql_db, sql_pool
from openerp_lite.exceptions import ConcurrencyError, TooBusy
from tests.support import pg as pgsupport


@pytest.fixture
def table(scratch_db):
    """``scratch_db`` with a table ``t(id, val)`` holding the row (1, 0)."""
    with sql_db.cursor(scratch_db) as cr:
        cr.execute('CREATE TABLE t (id integer PRIMARY KEY, val integer NOT NULL)')
        cr.execute('INSERT INTO t VALUES (1, 0)')
    return scratch_db


def _rows(dbname):
    with sql_db.cursor(dbname) as cr:
        cr.execute('SELECT id, val FROM t ORDER BY id')
        return cr.fetchall()


def _backend_pid(cr):
    cr.execute('SELECT pg_backend_pid()')
    return cr.fetchone()[0]


# -- transactions ------------------------------------------------------------------------------


def test_exception_in_cursor_block_rolls_back(table):
    with pytest.raises(ZeroDivisionError):
        with sql_db.cursor(table) as cr:
            cr.execute('INSERT INTO t VALUES (2, 2)')
            1 / 0  # noqa: B018
    assert _rows(table) == [(1, 0)]


def test_clean_exit_commits(table):
    with sql_db.cursor(table) as cr:
        cr.execute('INSERT INTO t VALUES (2, 2)')
    assert _rows(table) == [(1, 0), (2, 2)]


def test_savepoint_rollback_keeps_outer_transaction(table):
    with sql_db.cursor(table) as cr:
        cr.execute('INSERT INTO t VALUES (2, 2)')
        with pytest.raises(psycopg2.IntegrityError):
            with cr.savepoint():
                cr.execute('INSERT INTO t VALUES (3, 3)')
                cr.execute('INSERT INTO t VALUES (1, 1)')  # duplicate key
        cr.execute('INSERT INTO t VALUES (4, 4)')
    assert _rows(table) == [(1, 0), (2, 2), (4, 4)]


def test_transactions_run_at_repeatable_read(table):
    with sql_db.cursor(table) as cr:
        cr.execute('SHOW transaction_isolation')
        assert cr.fetchone()[0] == 'repeatable read'


def test_after_commit_callbacks_run_only_on_commit(table):
    ran = []
    with sql_db.cursor(table) as cr:
        cr.execute('UPDATE t SET val = 1')
        cr.after_commit(lambda: ran.append('first'))
        cr.after_commit(lambda: ran.append('second'))
        assert ran == []
    assert ran == ['first', 'second']

    ran.clear()
    with pytest.raises(RuntimeError):
        with sql_db.cursor(table) as cr:
            cr.after_commit(lambda: ran.append('rolled back'))
            raise RuntimeError('boom')
    with sql_db.cursor(table) as cr:
        cr.after_commit(lambda: ran.append('explicit rollback'))
        cr.rollback()
    assert ran == []


# -- the pool ----------------------------------------------------------------------------------


def test_killed_idle_connection_is_replaced_on_next_use(table, pg):
    pool = sql_db.ConnectionPool(table, maxconn=1, wait_timeout=5)
    try:
        with sql_db.Cursor(pool) as cr:
            first_pid = _backend_pid(cr)
        assert pool.stats()['idle'] == 1
        admin = pgsupport.admin_connect(pg)
        try:
            with admin.cursor() as acr:
                acr.execute('SELECT pg_terminate_backend(%s)', (first_pid,))
                assert acr.fetchone()[0] is True
                for _ in range(100):  # wait until the backend is really gone
                    acr.execute('SELECT count(*) FROM pg_stat_activity WHERE pid = %s', (first_pid,))
                    if acr.fetchone()[0] == 0:
                        break
                    time.sleep(0.05)
        finally:
            admin.close()
        with sql_db.Cursor(pool) as cr:
            second_pid = _backend_pid(cr)
            cr.execute('SELECT val FROM t WHERE id = 1')
            assert cr.fetchone() == (0,)
        assert second_pid != first_pid
        assert pool.stats() == {'idle': 1, 'in_use': 0, 'max': 1}
    finally:
        pool.close()


def test_exhausted_pool_waits_then_fails_with_too_busy(table):
    pool = sql_db.ConnectionPool(table, maxconn=1, wait_timeout=0.5)
    holder = sql_db.Cursor(pool)
    try:
        started = time.monotonic()
        with pytest.raises(TooBusy) as info:
            sql_db.Cursor(pool)
        waited = time.monotonic() - started
        assert 0.4 <= waited < 3
        message = str(info.value)
        assert table in message and 'too busy' in message.lower()
        assert pool.stats()['in_use'] == 1
    finally:
        holder.close()
        pool.close()


def test_exhausted_pool_serves_a_waiter_when_a_connection_comes_back(table):
    pool = sql_db.ConnectionPool(table, maxconn=1, wait_timeout=5)
    holder = sql_db.Cursor(pool)
    timer = threading.Timer(0.3, holder.close)
    timer.start()
    try:
        started = time.monotonic()
        with sql_db.Cursor(pool) as cr:
            cr.execute('SELECT 1')
        waited = time.monotonic() - started
        assert 0.2 <= waited < 4
    finally:
        timer.join()
        pool.close()


def test_closed_pool_closes_connections_given_back_later(table):
    pool = sql_db.ConnectionPool(table, maxconn=2, wait_timeout=1)
    cr = sql_db.Cursor(pool)
    conn = cr.connection
    pool.close()
    cr.close()
    assert conn.closed
    assert pool.stats()['idle'] == 0


# -- the process's cap, across databases ---------------------------------------------------------


@pytest.fixture
def two_databases(pg):
    names = [pgsupport.new_db_name() for _ in range(2)]
    for name in names:
        pgsupport.create_database(pg, name)
    yield names
    for name in names:
        pgsupport.drop_database(pg, name)


def test_one_budget_caps_the_connections_of_every_database_together(two_databases):
    first, second = two_databases
    budget = sql_pool.Budget(maxconn=2, wait_timeout=0.3)
    pools = [sql_db.ConnectionPool(name, budget=budget) for name in two_databases]
    try:
        held = [sql_db.Cursor(pools[0]), sql_db.Cursor(pools[1])]
        with pytest.raises(TooBusy):
            sql_db.Cursor(pools[0])
        assert budget.stats()['refused'] == 1 and budget.stats()['in_use'] == 2
        for cr in held:
            cr.close()
        # both idle now: the first database's borrower takes the second's idle slot
        assert budget.stats() == dict(budget.stats(), open=2, idle=2, in_use=0)
        with sql_db.Cursor(pools[0]) as a, sql_db.Cursor(pools[0]) as b:
            a.execute('SELECT 1')
            b.execute('SELECT 1')
            assert pools[1].stats()['idle'] == 0 and budget.stats()['open'] == 2
    finally:
        for pool in pools:
            pool.close()
    assert budget.stats()['open'] == 0


def test_idle_connections_beyond_one_per_database_are_closed_after_the_timeout(table, pg):
    budget = sql_pool.Budget(maxconn=5, wait_timeout=1, idle_timeout=0.2)
    pool = sql_db.ConnectionPool(table, budget=budget)
    try:
        cursors = [sql_db.Cursor(pool) for _ in range(4)]
        backends = [_backend_pid(cr) for cr in cursors]
        for cr in cursors:
            cr.close()
        assert pool.stats()['idle'] == 4
        assert budget.reap() == 0  # not idle long enough yet
        time.sleep(0.3)
        assert budget.reap() == 3
        assert pool.stats()['idle'] == 1 and budget.stats()['open'] == 1
        alive = sql_db_admin_count(pg, backends)
        assert alive == 1
    finally:
        pool.close()


def sql_db_admin_count(pg, pids):
    conn = pgsupport.admin_connect(pg)
    try:
        with conn.cursor() as cr:
            for _ in range(50):  # closed sessions take a moment to leave pg_stat_activity
                cr.execute('SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)', (pids,))
                count = cr.fetchone()[0]
                if count <= 1:
                    return count
                time.sleep(0.05)
            return count
    finally:
        conn.close()


def test_statements_are_bounded_by_the_statement_timeout(table):
    sql_db.configure(**dict(_configured(), statement_timeout=0.2))
    try:
        with pytest.raises(psycopg2.errors.QueryCanceled):
            with sql_db.cursor(table) as cr:
                cr.execute('SELECT pg_sleep(2)')
        with sql_db.cursor(table) as cr:
            cr.execute('SHOW statement_timeout')
            assert cr.fetchone()[0] == '200ms'
            cr.execute('SHOW client_connection_check_interval')
            assert cr.fetchone()[0] == '1s'
    finally:
        sql_db.configure(**_configured())


def _configured():
    keys = ('host', 'port', 'user', 'password', 'maxconn', 'wait_timeout', 'idle_timeout')
    return {key: sql_db._settings[key] for key in keys}


# -- retries -----------------------------------------------------------------------------------


def _bump_concurrently(dbname, pg):
    """Commit an update of row 1 from another session, outside the caller's snapshot."""
    pgsupport.sql(pg, dbname, 'UPDATE t SET val = val + 100 WHERE id = 1')


def test_run_in_transaction_retries_a_real_serialization_failure(table, pg):
    calls = []
    retries_before = sql_db.RetryStats.retries

    def work(cr):
        calls.append(1)
        cr.execute('SELECT val FROM t WHERE id = 1')  # takes the snapshot
        if len(calls) == 1:
            _bump_concurrently(table, pg)
        cr.execute('UPDATE t SET val = val + 1 WHERE id = 1')
        return 'done'

    assert sql_db.run_in_transaction(table, work, attempts=3) == 'done'
    assert len(calls) == 2
    assert sql_db.RetryStats.retries == retries_before + 1
    assert _rows(table) == [(1, 101)]


def test_run_in_transaction_gives_concurrency_error_after_the_budget(table, pg):
    calls = []
    exhausted_before = sql_db.RetryStats.exhausted

    def work(cr):
        calls.append(1)
        cr.execute('SELECT val FROM t WHERE id = 1')
        _bump_concurrently(table, pg)
        cr.execute('UPDATE t SET val = val + 1 WHERE id = 1')

    with pytest.raises(ConcurrencyError) as info:
        sql_db.run_in_transaction(table, work, attempts=3, max_backoff=0.01)
    assert len(calls) == 3
    assert '3 tries' in str(info.value)
    assert isinstance(info.value.__cause__, psycopg2.errors.SerializationFailure)
    assert sql_db.RetryStats.exhausted == exhausted_before + 1
    assert _rows(table) == [(1, 300)]


def test_run_in_transaction_does_not_retry_other_errors(table):
    calls = []

    def work(cr):
        calls.append(1)
        cr.execute('SELECT 1 / 0')

    with pytest.raises(psycopg2.errors.DivisionByZero):
        sql_db.run_in_transaction(table, work)
    assert len(calls) == 1


def test_run_in_transaction_never_reruns_committed_work(table, monkeypatch):
    calls = []
    monkeypatch.setattr(sql_db, 'is_retryable', lambda error: True)

    def failing_callback():
        raise psycopg2.errors.SerializationFailure('signal bump lost a race')

    def work(cr):
        calls.append(1)
        cr.execute('UPDATE t SET val = val + 1 WHERE id = 1')
        cr.after_commit(failing_callback)

    with pytest.raises(psycopg2.errors.SerializationFailure):
        sql_db.run_in_transaction(table, work)
    assert len(calls) == 1
    assert _rows(table) == [(1, 1)]


def test_is_retryable_knows_the_sqlstates():
    assert not sql_db.is_retryable(ValueError('x'))
    assert not sql_db.is_retryable(psycopg2.OperationalError('connection lost'))


# -- fork safety -------------------------------------------------------------------------------


def _run_in_child(func):
    """Run ``func()`` in a forked child; return its exit status (0 when it returned True)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            code = 0 if func() else 2
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_forked_child_never_touches_the_parents_connections(table):
    with sql_db.cursor(table) as cr:
        parent_backend = _backend_pid(cr)
    inherited_pool = sql_db.pool_for(table)
    inherited_conn = inherited_pool.idle[0][0]

    def child():
        # The child gets its own pool and its own backend...
        with sql_db.cursor(table) as cr:
            own_backend = _backend_pid(cr)
            cr.execute('UPDATE t SET val = 7 WHERE id = 1')
        assert own_backend != parent_backend
        assert sql_db.pool_for(table) is not inherited_pool
        # ...and the parent's socket is out of reach: using it fails, closing it is harmless.
        try:
            with inherited_conn.cursor() as cr:
                cr.execute('SELECT 1')
        except psycopg2.Error:
            pass
        else:
            return False
        inherited_conn.close()
        sql_db.close_all()
        return True

    assert _run_in_child(child) == 0
    # The parent's idle connection is still the same healthy session.
    with sql_db.cursor(table) as cr:
        assert _backend_pid(cr) == parent_backend
        cr.execute('SELECT val FROM t WHERE id = 1')
        assert cr.fetchone() == (7,)


def test_close_all_then_fork_gives_each_process_its_own_connections(table):
    sql_db.close_all()

    def child():
        with sql_db.cursor(table) as cr:
            cr.execute('UPDATE t SET val = val + 1 WHERE id = 1')
        return True

    assert _run_in_child(child) == 0
    assert _run_in_child(child) == 0
    assert _rows(table) == [(1, 2)]
