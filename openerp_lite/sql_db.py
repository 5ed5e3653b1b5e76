"""PostgreSQL access: bounded connection pools, cursors, transactions and the retry helper.

One pool per database name, shared by the threads of a process. Pools are never shared across a
fork: adapters call :func:`close_all` in the parent before forking, and a pool notices a changed pid
and drops what it inherited, so a worker never talks over a socket opened by another process.
Every transaction runs at REPEATABLE READ (DESIGN §7); the loser of a write race gets a
serialization failure, which :func:`run_in_transaction` retries from scratch.
"""

import contextlib
import itertools
import logging
import os
import random
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
        self._in_use = 0
        self._pid = os.getpid()
        self._cond = threading.Condition()

    def _forget_if_forked(self):
        # Sockets inherited through fork belong to the parent: never use or close them here.
        if self._pid != os.getpid():
            self._idle = []
            self._in_use = 0
            self._pid = os.getpid()

    def borrow(self):
        deadline = time.monotonic() + self.wait_timeout
        with self._cond:
            self._forget_if_forked()
            while not self._idle and self._in_use >= self.maxconn:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TooBusy('Server too busy: all %d connections to database %r are in use; '
                                  'try again shortly.' % (self.maxconn, self.dbname))
                self._cond.wait(remaining)
            conn = self._idle.pop() if self._idle else None
            self._in_use += 1
        try:
            if conn is not None and not self._is_alive(conn):
                _logger.info('replacing a dead connection to %s', self.dbname)
                self._discard(conn)
                conn = None
            if conn is None:
                conn = psycopg2.connect(**connection_params(self.dbname))
                conn.set_session(isolation_level='REPEATABLE READ')
            return conn
        except BaseException:
            with self._cond:
                self._in_use -= 1
                self._cond.notify()
            raise

    @staticmethod
    def _is_alive(conn):
        if conn.closed:
            return False
        try:
            # A cheap round trip: the only reliable way to see a backend killed while idle.
            with conn.cursor() as cr:
                cr.execute('SELECT 1')
            conn.rollback()
            return True
        except psycopg2.Error:
            return False

    @staticmethod
    def _discard(conn):
        with contextlib.suppress(psycopg2.Error):
            conn.close()

    def give_back(self, conn, keep=True):
        """Return ``conn``; it is kept only when clean and still connected."""
        with self._cond:
            if self._pid != os.getpid():
                return
            self._in_use -= 1
            if keep and not conn.closed and \
                    conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                self._idle.append(conn)
            else:
                self._discard(conn)
            self._cond.notify()

    def close(self):
        with self._cond:
            if self._pid == os.getpid():
                for conn in self._idle:
                    self._discard(conn)
            self._idle = []

    def stats(self):
        with self._cond:
            return {'idle': len(self._idle), 'in_use': self._in_use, 'max': self.maxconn}


class Cursor:
    """One transaction on a pooled connection.

    Used as a context manager it commits on success and rolls back on error. Callbacks registered
    with :meth:`after_commit` run once the transaction is durable (for cross-process signals).
    """

    def __init__(self, pool):
        self._pool = pool
        self.dbname = pool.dbname
        self._conn = pool.borrow()
        self._obj = self._conn.cursor()
        self._savepoint_ids = itertools.count()
        self._after_commit = []
        self.sql_count = 0
        self.closed = False

    # -- queries -----------------------------------------------------------------------------
    def execute(self, query, params=None):
        self.sql_count += 1
        return self._obj.execute(query, params)

    def executemany(self, query, seq):
        self.sql_count += 1
        return self._obj.executemany(query, seq)

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
        self._conn.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self):
        self._after_commit = []
        self._conn.rollback()

    @contextlib.contextmanager
    def savepoint(self):
        """A nested transaction: an error inside rolls back to here and propagates."""
        name = 'sp_%d' % next(self._savepoint_ids)
        self._obj.execute('SAVEPOINT "%s"' % name)
        try:
            yield
        except BaseException:
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
            self._obj.close()
            if self._conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                self._conn.rollback()
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
    if pool is None or pool._pid != os.getpid():
        with _pools_lock:
            pool = _pools.get(dbname)
            if pool is None or pool._pid != os.getpid():
                pool = _pools[dbname] = ConnectionPool(
                    dbname, _settings['maxconn'], _settings['wait_timeout'])
    return pool


def cursor(dbname):
    """A new :class:`Cursor` on ``dbname``; use it in a ``with`` block."""
    return Cursor(pool_for(dbname))


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


def admin_connection():
    """An autocommit connection to the ``postgres`` maintenance database (CREATE/DROP DATABASE)."""
    conn = psycopg2.connect(**connection_params('postgres'))
    conn.autocommit = True
    return conn


class RetryStats:
    """Process-wide counters of transactions retried after a serialization failure."""

    retries = 0
    exhausted = 0


def run_in_transaction(dbname, work, attempts=5, max_backoff=1.0):
    """Call ``work(cr)`` in a fresh transaction, committing on success.

    A serialization failure, deadlock or lock timeout rolls back and runs ``work`` again from
    scratch after a randomised back-off, at most ``attempts`` times; after that the caller gets a
    :class:`ConcurrencyError`. Any other exception rolls back and propagates unchanged.
    """
    for attempt in range(1, attempts + 1):
        try:
            with cursor(dbname) as cr:
                return work(cr)
        except psycopg2.Error as error:
            if not is_retryable(error):
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
