"""PostgreSQL access: pooled cursors, transactions, bounded statements and the retry helper.

One pool per database name, shared by the threads of a process, all within the process's cap of
``--db_maxconn`` connections (``sql_pool``). Pools are never shared across a fork: adapters call
:func:`close_all` in the parent before forking, and as a safety net a fork hook gives the child an
empty set of pools and detaches every inherited socket (without closing it, which would end the
parent's session), so a worker never talks over a socket opened by another process. Every
transaction runs at REPEATABLE READ (docs/architecture.md, "Transactions"), under a
``statement_timeout`` derived from the request limits, and with
``client_connection_check_interval`` so that a backend whose client died (a worker killed for a
limit) stops its query within a second; the loser of a write race gets a serialization failure,
which :func:`run_in_transaction` retries from scratch.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, Union

import psycopg2
import psycopg2.errorcodes
import psycopg2.extensions
import psycopg2.extras
import psycopg2.sql

from . import sql_pool
from .exceptions import ConcurrencyError
from .sql_errors import is_connection_lost, is_retryable
from .sql_pool import CONNECT_TIMEOUT
from .tools import config

_logger = logging.getLogger(__name__)

#: what :meth:`Cursor.execute` takes: SQL text, or a ``psycopg2.sql`` composition
Query = Union[str, bytes, psycopg2.sql.Composable]
#: its parameters: positional or named
Params = Union[Sequence[Any], Mapping[str, Any]]
T = TypeVar('T')

psycopg2.extensions.register_type(psycopg2.extensions.UNICODE)
psycopg2.extensions.register_type(psycopg2.extensions.UNICODEARRAY)

#: how this server's sessions show in ``pg_stat_activity``
APPLICATION_NAME = 'openerp-lite'
#: the connection settings of this process (:func:`configure`), the declared defaults until then
_settings: dict[str, Any] = {}
_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()
#: Pools inherited through fork, kept referenced so their connections are never finalised here.
_inherited: list[ConnectionPool] = []
#: the process's budget of connections and the thread closing the idle ones (made on first use)
_process: dict[str, Any] = {'budget': None, 'reaper': None}

__all__ = ['CONNECT_TIMEOUT', 'ConnectionPool', 'Cursor', 'cursor', 'is_retryable', 'run_in_transaction']


def configure(
    host=None,
    port=None,
    user=None,
    password=None,
    maxconn=None,
    wait_timeout=10.0,
    idle_timeout=None,
    statement_timeout=0.0,
):
    """Set the server parameters used for every later connection (``bootstrap`` calls it with
    :func:`config.database_settings` of the server's settings).

    ``maxconn``: connections of the whole process; ``statement_timeout``: seconds one statement
    may run (0: no limit). ``maxconn`` and ``idle_timeout`` left out take their declared defaults
    (``--db_maxconn``, ``--db_idle_timeout``); ``wait_timeout`` is how long a call waits for a free
    connection before it is refused as too busy.
    """
    declared = config.defaults()
    close_all()
    _settings.clear()
    _settings.update(
        host=host or None,
        port=_port_setting(port),
        user=user or None,
        password=password or None,
        maxconn=int(declared.db_maxconn if maxconn is None else maxconn),
        wait_timeout=float(wait_timeout),
        idle_timeout=float(declared.db_idle_timeout if idle_timeout is None else idle_timeout),
        statement_timeout=float(statement_timeout or 0),
        application_name=APPLICATION_NAME,
    )
    _process['budget'] = None


def _port_setting(port):
    """An int for one port, libpq's comma list (text) for several, None when unset."""
    if not port:
        return None
    text = str(port).replace(' ', '')
    return text if ',' in text else int(text)


def connection_params(dbname: str, host: str | None = None, port: Any = None) -> dict[str, Any]:
    """Keyword arguments for :func:`psycopg2.connect`, without empty values: to the primary, or
    to ``host``/``port`` (a standby) with the configured user and password.

    Several primary hosts (``--db_host a,b``) make libpq try each in turn and keep the one that
    accepts writes (``target_session_attrs=read-write``): after a failover, new connections find
    the promoted standby by themselves. Only startup parameters a transaction-mode PgBouncer
    accepts are sent (``application_name``; no ``options``)."""
    params = {k: _settings[k] for k in ('user', 'password') if _settings[k]}
    if host is None:
        params.update({k: _settings[k] for k in ('host', 'port') if _settings[k]})
        if ',' in str(_settings['host'] or ''):
            params['target_session_attrs'] = 'read-write'
    else:
        params['host'] = host
        if port:
            params['port'] = port
    params['dbname'] = dbname
    params['application_name'] = _settings['application_name']
    return params


def _connect(dbname, host=None, port=None, timeout=CONNECT_TIMEOUT, factory=None):
    conn = psycopg2.connect(
        connect_timeout=timeout, connection_factory=factory, **connection_params(dbname, host, port)
    )
    # Cursor opens its transactions itself (see BEGIN below)
    conn.autocommit = True
    return conn


def standby_connector(host, port, timeout, factory=None):
    """A ``connect(dbname)`` for the pools of the standby at ``host``/``port`` (``sql_replica``),
    with its own connect timeout (a standby that does not answer must cost a call little) and
    connection class ``factory``."""
    return lambda dbname: _connect(dbname, host, port, timeout, factory)


class ConnectionPool(sql_pool.ConnectionPool):
    """A pool of connections to ``dbname`` made with this module's settings (``sql_pool``)."""

    def __init__(self, dbname, maxconn=None, wait_timeout=10.0, budget=None):
        super().__init__(dbname, maxconn, wait_timeout, budget, _connect)


def statement_timeout() -> float:
    """Seconds one statement may run (0: no limit)."""
    return _settings['statement_timeout']


def process_budget():
    """The connection budget of this process (made on first use, after any fork)."""
    budget = _process['budget']
    if budget is None:
        with _pools_lock:
            budget = _process['budget']
            if budget is None:
                budget = _process['budget'] = sql_pool.Budget(
                    _settings['maxconn'], _settings['wait_timeout'], _settings['idle_timeout']
                )
                _process['reaper'] = sql_pool.Reaper(budget)
    return budget


def stats():
    """The process's connection figures: ``max``, ``open``, ``in_use``, ``idle``, ``waiting``
    (borrowers waiting now) and ``refused`` (borrowers who waited too long), and per database."""
    budget = process_budget()
    figures = budget.stats()
    figures['databases'] = {name: pool.stats() for name, pool in list(_pools.items())}
    return figures


#: milliseconds between two checks, during a long statement, that the client is still there
#: (PostgreSQL 14 and later): a worker killed for a limit leaves no query running
CLIENT_CHECK_MS = 1000
_begins: dict[tuple[Any, ...], str] = {}


def begin_statement(readonly=False, isolation='REPEATABLE READ', server_version=0):
    """The statements opening a transaction, sent with its first query: the isolation level,
    ``READ ONLY``, the statement timeout and the client check (all ``SET LOCAL``: nothing
    outlives the transaction, as a transaction-mode pooler requires)."""
    key = (readonly, isolation, server_version >= 140000, _settings['statement_timeout'])
    text = _begins.get(key)
    if text is None:
        text = 'BEGIN ISOLATION LEVEL %s%s; ' % (isolation, ' READ ONLY' if readonly else '')
        if _settings['statement_timeout']:
            text += 'SET LOCAL statement_timeout = %d; ' % max(1, int(_settings['statement_timeout'] * 1000))
        if key[2]:
            text += 'SET LOCAL client_connection_check_interval = %d; ' % CLIENT_CHECK_MS
        _begins[key] = text
    return text


#: SQLSTATE a commit guard raises to refuse the commit (invalid_text_representation: it casts a
#: text to int), distinct from whatever COMMIT itself may report
GUARD_FAILED = psycopg2.errorcodes.INVALID_TEXT_REPRESENTATION


class CommitRefused(Exception):
    """The statement guarding a commit failed: the transaction was rolled back instead."""


class Cursor:
    """One transaction on a pooled connection.

    Used as a context manager it commits on success and rolls back on error. Callbacks registered
    with :meth:`after_commit` run once the transaction is durable (for cross-process signals).

    The connection is in autocommit mode and the cursor sends ``BEGIN`` itself, prefixed to the
    first statement of each transaction: psycopg2 would send it in a round trip of its own, and
    every RPC call would pay for it.
    """

    def __init__(
        self, pool: sql_pool.ConnectionPool, readonly: bool = False, isolation: str = 'REPEATABLE READ'
    ) -> None:
        self._pool = pool
        #: True: every transaction of this cursor is READ ONLY (PostgreSQL refuses any write)
        self.readonly = readonly
        self.dbname = pool.dbname
        self._conn = pool.borrow()
        self._begin_sql = begin_statement(readonly, isolation, self._conn.server_version)
        try:
            self._obj = self._conn.cursor()
        except BaseException:
            pool.give_back(self._conn, keep=False)
            raise
        self._savepoint_ids = itertools.count()
        self._after_commit: list[Callable[[], Any]] = []
        #: scratch space of the current transaction, emptied by commit and rollback: the signal
        #: protocol keeps there ``signals_seen`` (the counters the call checked),
        #: ``pending_signals``/``deferred_signals`` (the ones it bumps) and ``rebuilt_registry``
        #: (custom models changed: the registry to serve once committed)
        self.transaction_data: dict[str, Any] = {}
        #: the ORM's state for this cursor (``orm.environment.Transaction``), made by the first
        #: environment on it and shared by every later one
        self.orm_transaction: Any = None
        self.sql_count = 0
        self._in_transaction = False
        # per transaction: a statement sent with COMMIT, in the round trip it makes anyway
        self._guard: tuple[Any, Any] | None = None
        # per transaction: statements sent with COMMIT, before the guard
        self._at_commit: list[tuple[Any, Any]] = []
        #: True once a commit of this cursor succeeded (a retry must not run the work again)
        self.committed = False
        self.closed = False

    # -- queries -----------------------------------------------------------------------------
    def execute(self, query: Query, params: Params | None = None) -> None:
        self.sql_count += 1
        if not self._in_transaction:
            self._in_transaction = True
            if isinstance(query, str):
                return self._obj.execute(self._begin_sql + query, params)
            self._obj.execute(self._begin_sql)
        return self._obj.execute(query, params)

    def guard_commit(self, statement, params=()):
        """Run ``statement`` just before ``COMMIT``, in the same round trip; if it fails, the
        transaction is rolled back and :class:`CommitRefused` raised instead of committing.
        ``params`` may be a callable, called at commit time (values the transaction itself
        changes)."""
        self._guard = (statement, params)

    def at_commit(self, statement, params=()):
        """Run ``statement`` as the last one of the transaction, in the ``COMMIT`` round trip
        (before the guard): an update that must be part of the transaction but should hold its
        row locks for as short a time as possible (the cache signals). ``params`` may be a
        callable, called at commit time."""
        self._at_commit.append((statement, params))

    def executemany(self, query: Query, seq: Iterable[Params]) -> None:
        self.sql_count += 1
        self._begin()
        return self._obj.executemany(query, seq)

    def _begin(self):
        if not self._in_transaction:
            self._in_transaction = True
            self._obj.execute(self._begin_sql)

    def mogrify(self, query, params=None):
        return self._obj.mogrify(query, params)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._obj.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._obj.fetchall()

    def dictfetchall(self) -> list[dict[str, Any]]:
        names = [d.name for d in self._obj.description or ()]
        return [dict(zip(names, row)) for row in self._obj.fetchall()]

    def dictfetchone(self):
        row = self._obj.fetchone()
        return dict(zip([d.name for d in self._obj.description or ()], row)) if row else None

    @property
    def rowcount(self):
        return self._obj.rowcount

    @property
    def description(self):
        return self._obj.description

    @property
    def connection(self):
        return self._conn

    # -- transaction control -----------------------------------------------------------------
    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` after the next successful commit (dropped on rollback)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        """Commit, then run the ``after_commit`` callbacks in order.

        Every callback runs even if an earlier one fails; the first failure is then raised. The
        transaction is durable by then, which is why :func:`run_in_transaction` never retries
        after a commit.
        """
        if self._guard is not None or self._at_commit:
            self._commit_guarded()
        elif self._in_transaction:
            self._obj.execute('COMMIT')
            self._in_transaction = False
        self._guard = None
        self._at_commit = []
        self.committed = True
        callbacks, self._after_commit = self._after_commit, []
        self.transaction_data = {}
        failure = None
        for callback in callbacks:
            try:
                callback()
            except Exception as error:
                _logger.exception('after-commit callback %r failed on %s', callback, self.dbname)
                failure = failure or error
        if failure is not None:
            raise failure

    def _commit_guarded(self):
        """COMMIT in one round trip with the statements queued for it and the guard."""
        queued = self._at_commit + ([self._guard] if self._guard is not None else [])
        self._guard, self._at_commit = None, []
        text, params = [], []
        for statement, values in queued:
            text.append(statement)
            params.extend(values() if callable(values) else values)
        prefix = '' if self._in_transaction else self._begin_sql
        self._in_transaction = True
        try:
            self._obj.execute(prefix + '; '.join(text) + '; COMMIT', params)
        except psycopg2.Error as error:
            with contextlib.suppress(psycopg2.Error):
                self.rollback()
            if getattr(error, 'pgcode', None) != GUARD_FAILED:
                raise
            RetryStats.refused += 1
            raise CommitRefused(str(error).strip()) from error
        self._in_transaction = False

    def rollback(self) -> None:
        self._after_commit = []
        self.transaction_data = {}
        self._guard = None
        self._at_commit = []
        if (
            self._in_transaction
            or self._conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE
        ):
            self._in_transaction = False
            self._obj.execute('ROLLBACK')

    @contextlib.contextmanager
    def savepoint(self):
        """A nested transaction: an error inside rolls back to here and propagates."""
        name = 'sp_%d' % next(self._savepoint_ids)
        self._begin()
        self._obj.execute('SAVEPOINT "%s"' % name)
        try:
            yield
        except BaseException:
            # If even this fails (connection lost), the original error is the one worth seeing;
            # the transaction then stays aborted and the outer block rolls it back.
            with contextlib.suppress(psycopg2.Error):
                self._obj.execute('ROLLBACK TO SAVEPOINT "%s"' % name)
            raise
        else:
            self._obj.execute('RELEASE SAVEPOINT "%s"' % name)

    def close(self, keep: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        healthy = True
        try:
            if self._conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                self._obj.execute('ROLLBACK')
            self._obj.close()
        except psycopg2.Error:
            healthy = False
        self._pool.give_back(self._conn, keep=keep and healthy)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.commit()
            else:
                with contextlib.suppress(psycopg2.Error):
                    self.rollback()
        finally:
            self.close(keep=exc is None or not is_connection_lost(exc))


def pool_for(dbname):
    """The pool of ``dbname`` in this process, created on first use."""
    pool = _pools.get(dbname)
    if pool is None:
        budget = process_budget()
        with _pools_lock:
            pool = _pools.get(dbname)
            if pool is None:
                pool = _pools[dbname] = ConnectionPool(dbname, budget=budget)
    return pool


def cursor(dbname: str, readonly: bool = False, isolation: str = 'REPEATABLE READ') -> Cursor:
    """A new :class:`Cursor` on ``dbname``; use it in a ``with`` block. ``readonly``: its
    transactions are ``READ ONLY``; ``isolation``: ``'READ COMMITTED'`` for the few transactions
    that must wait for a concurrent update instead of failing to serialise."""
    return Cursor(pool_for(dbname), readonly, isolation)


def close_db(dbname):
    """Close the idle connections of one database (before dropping or renaming it)."""
    with _pools_lock:
        pool = _pools.pop(dbname, None)
    if pool is not None:
        pool.close()
    for closer in list(_other_pools):
        closer(dbname)


#: ``close()`` of other sets of pools of this process (the standbys', ``sql_replica``), closed
#: with the primary's
_other_pools: list[Callable[..., None]] = []


def register_pools(closer):
    """Have :func:`close_all` (before a fork, on reconfiguration) call ``closer()`` too, and
    :func:`close_db` ``closer(dbname)``."""
    if closer not in _other_pools:
        _other_pools.append(closer)


def close_all():
    """Close every pool of this process; adapters call it before forking."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()
    for closer in list(_other_pools):
        closer()


def primary_wal_position(dbname):
    """The primary's current WAL position (``pg_current_wal_lsn()``, text such as ``0/3000148``),
    read outside any transaction on a pooled connection: every commit that returned to a client
    before this call lies at or before it."""
    pool = pool_for(dbname)
    conn = pool.borrow()
    healthy = False
    try:
        with conn.cursor() as cr:
            cr.execute('SELECT pg_current_wal_lsn()::text')
            position = cr.fetchone()[0]
        healthy = True
        return position
    finally:
        pool.give_back(conn, keep=healthy)


#: the maintenance database: where CREATE/DROP DATABASE and catalog queries are sent
MAINTENANCE_DB = 'postgres'


class _BudgetedConnection(psycopg2.extensions.connection):
    """A connection that gives its slot back to the process's budget when closed."""

    _budget = None

    def close(self):
        budget, self._budget = self._budget, None
        try:
            super().close()
        finally:
            if budget is not None:
                budget.release()


def admin_connection(dbname=MAINTENANCE_DB):
    """An autocommit connection to the maintenance database (CREATE/DROP DATABASE), or to
    ``dbname`` for the db service's own work on a database it just made (a restore), counted in
    the process's connection cap until closed, with the usual connect timeout."""
    budget = process_budget()
    with budget.cond:
        _idle, victim = budget.reserve()
    if victim is not None:
        with contextlib.suppress(psycopg2.Error):
            victim.close()
    try:
        conn = psycopg2.connect(
            connect_timeout=CONNECT_TIMEOUT,
            connection_factory=_BudgetedConnection,
            **connection_params(dbname),
        )
    except BaseException:
        budget.release()
        raise
    conn._budget = budget
    conn.autocommit = True
    return conn


def admin_query(query, params=()):
    """Rows of ``query`` (or None for a statement) on the maintenance database, through its pool
    (catalog queries run on every call naming a database this process has not loaded: they must
    not each open a connection), at READ COMMITTED."""
    with cursor(MAINTENANCE_DB, isolation='READ COMMITTED') as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else None


class RetryStats:
    """Process-wide counters: transactions retried after a serialization failure (``retries``),
    calls that ran out of tries (``exhausted``), and commits a guard refused (``refused``: the
    call ran again once the process caught up with the others)."""

    retries = 0
    exhausted = 0
    refused = 0


def run_in_transaction(
    dbname: str,
    work: Callable[[Cursor], T],
    attempts: int = 5,
    max_backoff: float = 1.0,
    readonly: bool | Callable[[], bool] = False,
    again: Callable[[BaseException], bool] | None = None,
    pool: Any = None,
) -> T:
    """Call ``work(cr)`` in a fresh transaction (``READ ONLY`` with ``readonly``), committing on
    success, on the primary or on ``pool`` (a standby's pool of ``dbname``, ``sql_replica``): the
    one retry loop of a call.

    A serialization failure, deadlock or lock timeout rolls back and runs ``work`` again from
    scratch after a randomised back-off. Any other exception rolls back and propagates, unless
    ``again(error)`` says the call is worth running again at once (the caller's own reasons: its
    process was behind the others, the method stopped being read-only...); ``readonly`` may then
    be a callable, asked before each attempt. Every run counts against the same ``attempts``;
    once they are spent a serialization failure becomes a :class:`ConcurrencyError` and any other
    error propagates. Nothing is run again once its transaction committed.
    """
    for attempt in range(1, attempts + 1):
        cr = None
        try:
            mode = readonly() if callable(readonly) else readonly
            cr = cursor(dbname, mode) if pool is None else Cursor(pool, mode)
            with cr:
                return work(cr)
        except Exception as error:
            if cr is not None and cr.committed:
                raise
            if not is_retryable(error):
                if attempt < attempts and again is not None and again(error):
                    continue
                raise
            if attempt == attempts:
                RetryStats.exhausted += 1
                raise ConcurrencyError(
                    'The database stayed busy with concurrent updates; gave up after %d tries (%s).'
                    % (attempts, (getattr(error, 'pgerror', None) or str(error)).strip())
                ) from error
            _back_off(error, dbname, attempt, attempts, max_backoff)
    raise AssertionError('unreachable')


def _back_off(error, dbname, attempt, attempts, max_backoff):
    """Wait a randomised, growing moment before running a transaction that lost a race again."""
    RetryStats.retries += 1
    delay = random.uniform(0, min(max_backoff, 0.01 * 2**attempt))
    _logger.info(
        '%s on %s, retrying in %.3fs (attempt %d/%d)',
        psycopg2.errorcodes.lookup(error.pgcode or ''),
        dbname,
        delay,
        attempt,
        attempts,
    )
    time.sleep(delay)


def _after_fork_in_child():
    """Runs in every child forked by ``os.fork`` (Gunicorn, multiprocessing).

    Adapters should call :func:`close_all` before forking; this is the safety net for when they
    did not: the child starts with no pools and a budget of its own, and the inherited pools are
    neutralised, never closed.
    """
    global _pools_lock
    _pools_lock = threading.Lock()
    pools = list(_pools.values())
    _pools.clear()
    _process['budget'] = _process['reaper'] = None
    for pool in pools:
        pool.neutralise_after_fork()
    _inherited.extend(pools)


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


configure()
