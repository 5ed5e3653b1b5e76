"""PostgreSQL access: bounded connection pools, cursors, transactions and the retry helper.

One pool per database name, shared by the threads of a process. Pools are never shared across a
fork: adapters call :func:`close_all` in the parent before forking, and as a safety net a fork hook
gives the child an empty set of pools and detaches every inherited socket (without closing it, which
would end the parent's session), so a worker never talks over a socket opened by another process.
Every transaction runs at REPEATABLE READ (DESIGN §7); the loser of a write race gets a
serialization failure, which :func:`run_in_transaction` retries from scratch.
"""

import contextlib
import itertools
import logging
import os
import random
import select
import threading
import time

import psycopg2
import psycopg2.errorcodes
import psycopg2.extensions
import psycopg2.extras

from .exceptions import ConcurrencyError, TooBusy

_logger = logging.getLogger(__name__)

psycopg2.extensions.register_type(psycopg2.extensions.UNICODE)
psycopg2.extensions.register_type(psycopg2.extensions.UNICODEARRAY)

#: SQLSTATEs after which the whole transaction is worth running again.
RETRYABLE_PGCODES = frozenset((
    psycopg2.errorcodes.SERIALIZATION_FAILURE,
    psycopg2.errorcodes.DEADLOCK_DETECTED,
    psycopg2.errorcodes.LOCK_NOT_AVAILABLE,
))

_settings = {
    'host': None, 'port': None, 'user': None, 'password': None,
    'maxconn': 64, 'wait_timeout': 10.0, 'application_name': 'openerp-lite',
}
_pools = {}
_pools_lock = threading.Lock()
#: Pools inherited through fork, kept referenced so their connections are never finalised here.
_inherited = []

#: seconds a new connection may take before the attempt fails (libpq's own default is forever)
CONNECT_TIMEOUT = 10


def configure(host=None, port=None, user=None, password=None, maxconn=64, wait_timeout=10.0):
    """Set the server parameters used for every later connection (called once from ``main``)."""
    close_all()
    _settings.update(host=host or None, port=int(port) if port else None, user=user or None,
                     password=password or None, maxconn=int(maxconn), wait_timeout=float(wait_timeout))


def connection_params(dbname):
    """Keyword arguments for :func:`psycopg2.connect`, without empty values."""
    params = {k: _settings[k] for k in ('host', 'port', 'user', 'password') if _settings[k]}
    params['dbname'] = dbname
    params['application_name'] = _settings['application_name']
    return params


def is_retryable(error):
    """True when ``error`` is a PostgreSQL error that a fresh transaction may not hit again."""
    return isinstance(error, psycopg2.Error) and getattr(error, 'pgcode', None) in RETRYABLE_PGCODES


def _is_connection_lost(error):
    return isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)) and \
        getattr(error, 'pgcode', None) is None


class ConnectionPool:
    """A bounded set of connections to one database.

    ``borrow`` waits up to ``wait_timeout`` seconds when every connection is in use and then raises
    :class:`TooBusy`; a connection that died while idle is replaced on the next borrow.
    """

    def __init__(self, dbname, maxconn, wait_timeout):
        self.dbname = dbname
        self.maxconn = maxconn
        self.wait_timeout = wait_timeout
        self._idle = []
        self._borrowed = set()      # connections handed out, by identity
        self._pid = os.getpid()
        self._closed = False
        self._cond = threading.Condition()

    @property
    def _in_use(self):
        return len(self._borrowed)

    def _neutralise_after_fork(self):
        """In a forked child: make every inherited connection harmless, without locking.

        The sockets belong to the parent. Closing or finalising a libpq connection sends a
        Terminate message, which would end the parent's session; so each socket's descriptor is
        first pointed at /dev/null. Any later use in the child fails cleanly (the "server" hangs
        up at once) and finalisation writes into the void. The lock may have been held by a thread
        that does not exist here, so it is replaced, not acquired.
        """
        for conn in list(self._idle) + list(self._borrowed):
            _detach_socket(conn)
        self._idle = []
        self._borrowed = set()
        self._closed = True
        self._cond = threading.Condition()
        self._pid = os.getpid()

    def borrow(self):
        """A connection to this database, waiting up to ``wait_timeout`` for a free one."""
        if self._pid != os.getpid():
            raise psycopg2.InterfaceError('connection pool of %r was inherited through fork'
                                          % self.dbname)
        deadline = time.monotonic() + self.wait_timeout
        with self._cond:
            while not self._idle and len(self._borrowed) >= self.maxconn:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    _logger.warning('pool of %s exhausted: %d connections busy for %.1fs',
                                    self.dbname, self.maxconn, self.wait_timeout)
                    raise TooBusy('Server too busy: all %d connections to database %r stayed in '
                                  'use for %.1f seconds; try again shortly.'
                                  % (self.maxconn, self.dbname, self.wait_timeout))
                self._cond.wait(remaining)
            conn = self._idle.pop() if self._idle else None
            # Reserve the slot before connecting, outside the lock, so the count never overshoots.
            token = conn if conn is not None else object()
            self._borrowed.add(token)
        try:
            if conn is not None and not self._is_alive(conn):
                _logger.info('replacing a dead idle connection to %s', self.dbname)
                self._discard(conn)
                conn = None
            if conn is None:
                conn = psycopg2.connect(connect_timeout=CONNECT_TIMEOUT,
                                        **connection_params(self.dbname))
                # Cursor opens its transactions itself (see BEGIN below)
                conn.autocommit = True
        except BaseException:
            with self._cond:
                self._borrowed.discard(token)
                self._cond.notify()
            raise
        if conn is not token:
            with self._cond:
                self._borrowed.discard(token)
                self._borrowed.add(conn)
        return conn

    @staticmethod
    def _is_alive(conn):
        """False for a connection whose server side went away while it sat idle.

        An idle connection has nothing to read unless the server spoke first: a FATAL message
        and end-of-file after ``pg_terminate_backend`` or a restart (or a NOTIFY). So the common
        case costs one non-blocking ``select``; only a readable socket pays a round trip.
        """
        if conn.closed:
            return False
        try:
            readable, _w, _x = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError, psycopg2.Error):
            return False
        if not readable:
            return True
        try:
            with conn.cursor() as cr:
                cr.execute('SELECT 1')
            return True
        except psycopg2.Error:
            return False

    @staticmethod
    def _discard(conn):
        with contextlib.suppress(psycopg2.Error):
            conn.close()

    def give_back(self, conn, keep=True):
        """Return ``conn``; it is kept only when clean, still connected and the pool is open."""
        if self._pid != os.getpid():
            # Borrowed before a fork: the socket is the parent's; it was detached already.
            return
        with self._cond:
            self._borrowed.discard(conn)
            if keep and not self._closed and not conn.closed and \
                    conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                self._idle.append(conn)
            else:
                self._discard(conn)
            self._cond.notify()

    def close(self):
        """Close the idle connections; connections in use are closed when given back."""
        if self._pid != os.getpid():
            self._neutralise_after_fork()
            return
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for conn in idle:
            self._discard(conn)

    def stats(self):
        with self._cond:
            return {'idle': len(self._idle), 'in_use': len(self._borrowed), 'max': self.maxconn}


def _detach_socket(conn):
    """Point ``conn``'s socket descriptor at /dev/null (see ``_neutralise_after_fork``)."""
    try:
        fd = conn.fileno()
    except (psycopg2.Error, ValueError):
        return  # already closed
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


#: sent in the same round trip as the first statement of each transaction
BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ; '
#: the same for a transaction that must not write (calls declared read-only)
BEGIN_READ_ONLY = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; '


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

    def __init__(self, pool, readonly=False):
        self._pool = pool
        #: True: every transaction of this cursor is READ ONLY (PostgreSQL refuses any write)
        self.readonly = readonly
        self._begin_sql = BEGIN_READ_ONLY if readonly else BEGIN
        self.dbname = pool.dbname
        self._conn = pool.borrow()
        try:
            self._obj = self._conn.cursor()
        except BaseException:
            pool.give_back(self._conn, keep=False)
            raise
        self._savepoint_ids = itertools.count()
        self._after_commit = []
        #: scratch space of the current transaction, emptied by commit and rollback (the
        #: registry keeps there the signals it read and the ones it will send)
        self.transaction_data = {}
        self.sql_count = 0
        self._in_transaction = False
        # per transaction: a statement sent with COMMIT, in the round trip it makes anyway
        self._guard = None
        #: True once a commit of this cursor succeeded (a retry must not run the work again)
        self.committed = False
        self.closed = False

    # -- queries -----------------------------------------------------------------------------
    def execute(self, query, params=None):
        self.sql_count += 1
        if not self._in_transaction:
            self._in_transaction = True
            if isinstance(query, str):
                return self._obj.execute(self._begin_sql + query, params)
            self._obj.execute(self._begin_sql)
        return self._obj.execute(query, params)

    def guard_commit(self, statement, params=()):
        """Run ``statement`` just before ``COMMIT``, in the same round trip; if it fails, the
        transaction is rolled back and :class:`CommitRefused` raised instead of committing."""
        self._guard = (statement, tuple(params))

    def executemany(self, query, seq):
        self.sql_count += 1
        self._begin()
        return self._obj.executemany(query, seq)

    def _begin(self):
        if not self._in_transaction:
            self._in_transaction = True
            self._obj.execute(self._begin_sql)

    def mogrify(self, query, params=None):
        return self._obj.mogrify(query, params)

    def fetchone(self):
        return self._obj.fetchone()

    def fetchall(self):
        return self._obj.fetchall()

    def dictfetchall(self):
        names = [d.name for d in self._obj.description]
        return [dict(zip(names, row)) for row in self._obj.fetchall()]

    def dictfetchone(self):
        row = self._obj.fetchone()
        return dict(zip([d.name for d in self._obj.description], row)) if row else None

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
    def after_commit(self, callback):
        """Run ``callback()`` after the next successful commit (dropped on rollback)."""
        self._after_commit.append(callback)

    def commit(self):
        """Commit, then run the ``after_commit`` callbacks in order.

        Every callback runs even if an earlier one fails; the first failure is then raised. The
        transaction is durable by then, which is why :func:`run_in_transaction` never retries
        after a commit.
        """
        if self._guard is not None:
            self._commit_guarded()
        elif self._in_transaction:
            self._obj.execute('COMMIT')
            self._in_transaction = False
        self._guard = None
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
        statement, params = self._guard
        self._guard = None
        prefix = '' if self._in_transaction else self._begin_sql
        self._in_transaction = True
        try:
            self._obj.execute(prefix + statement + '; COMMIT', params)
        except psycopg2.Error as error:
            with contextlib.suppress(psycopg2.Error):
                self.rollback()
            if getattr(error, 'pgcode', None) != GUARD_FAILED:
                raise
            raise CommitRefused(str(error).strip()) from error
        self._in_transaction = False

    def rollback(self):
        self._after_commit = []
        self.transaction_data = {}
        self._guard = None
        if self._in_transaction or self._conn.get_transaction_status() != \
                psycopg2.extensions.TRANSACTION_STATUS_IDLE:
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

    def close(self, keep=True):
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
            self.close(keep=exc is None or not _is_connection_lost(exc))


def pool_for(dbname):
    """The pool of ``dbname`` in this process, created on first use."""
    pool = _pools.get(dbname)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(dbname)
            if pool is None:
                pool = _pools[dbname] = ConnectionPool(
                    dbname, _settings['maxconn'], _settings['wait_timeout'])
    return pool


def cursor(dbname, readonly=False):
    """A new :class:`Cursor` on ``dbname``; use it in a ``with`` block. ``readonly``: its
    transactions are ``READ ONLY``."""
    return Cursor(pool_for(dbname), readonly)


def close_db(dbname):
    """Close the idle connections of one database (before dropping or renaming it)."""
    with _pools_lock:
        pool = _pools.pop(dbname, None)
    if pool is not None:
        pool.close()


def close_all():
    """Close every pool of this process; adapters call it before forking."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


#: the maintenance database: where CREATE/DROP DATABASE and catalog queries are sent
MAINTENANCE_DB = 'postgres'


def admin_connection():
    """An autocommit connection to the maintenance database (CREATE/DROP DATABASE, the cluster
    catalog), with the same connect timeout as pooled connections."""
    conn = psycopg2.connect(connect_timeout=CONNECT_TIMEOUT, **connection_params(MAINTENANCE_DB))
    conn.autocommit = True
    return conn


def admin_query(query, params=()):
    """Rows of ``query`` (or None for a statement) on a fresh maintenance connection."""
    conn = admin_connection()
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


class RetryStats:
    """Process-wide counters of transactions retried after a serialization failure."""

    retries = 0
    exhausted = 0


def run_in_transaction(dbname, work, attempts=5, max_backoff=1.0, readonly=False):
    """Call ``work(cr)`` in a fresh transaction (``READ ONLY`` with ``readonly``), committing on
    success.

    A serialization failure, deadlock or lock timeout rolls back and runs ``work`` again from
    scratch after a randomised back-off, at most ``attempts`` times; after that the caller gets a
    :class:`ConcurrencyError`. Any other exception rolls back and propagates unchanged.
    """
    for attempt in range(1, attempts + 1):
        cr = None
        try:
            cr = cursor(dbname, readonly)
            with cr:
                return work(cr)
        except psycopg2.Error as error:
            if not is_retryable(error) or (cr is not None and cr.committed):
                raise
            if attempt == attempts:
                RetryStats.exhausted += 1
                raise ConcurrencyError(
                    'The database stayed busy with concurrent updates; gave up after %d tries (%s).'
                    % (attempts, error.pgerror.strip() if error.pgerror else error)) from error
            RetryStats.retries += 1
            delay = random.uniform(0, min(max_backoff, 0.01 * 2 ** attempt))
            _logger.info('%s on %s, retrying in %.3fs (attempt %d/%d)',
                         psycopg2.errorcodes.lookup(error.pgcode), dbname, delay, attempt, attempts)
            time.sleep(delay)
    raise AssertionError('unreachable')


def _after_fork_in_child():
    """Runs in every child forked by ``os.fork`` (Gunicorn, multiprocessing).

    Adapters should call :func:`close_all` before forking; this is the safety net for when they
    did not: the child starts with no pools and the inherited ones are neutralised, never closed.
    """
    global _pools_lock
    _pools_lock = threading.Lock()
    pools = list(_pools.values())
    _pools.clear()
    for pool in pools:
        pool._neutralise_after_fork()
    _inherited.extend(pools)


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)
