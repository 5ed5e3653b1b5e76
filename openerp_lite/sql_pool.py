"""Connection pools: one per database, all of a process under one cap.

``--db_maxconn`` is what operators of OpenERP know it as: the connections one *process* keeps at
most, every database together (a :class:`Budget` shared by the process's pools). A borrower takes
an idle connection of its database, else opens one while the process is under the cap, else
closes an idle connection of another database to open its own, else waits (``wait_timeout``) and
is refused with :class:`~openerp_lite.exceptions.TooBusy`. Idle connections beyond one per
database are closed after ``idle_timeout`` seconds by a small thread, so a burst leaves no backend
open for ever; every connection has a connect timeout.

Pools are never shared across a fork: ``sql_db`` closes them before forking and neutralises what a
child inherits (:meth:`ConnectionPool.neutralise_after_fork`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions

from .exceptions import TooBusy

_logger = logging.getLogger(__name__)

#: a driver connection
Connection = psycopg2.extensions.connection

#: seconds a new connection may take before the attempt fails (libpq's own default is forever)
CONNECT_TIMEOUT = 10
#: idle connections each database keeps whatever their age
MIN_IDLE = 1


class Budget:
    """The connections a set of pools may have open together, and the figures about them.

    Every count is changed under :attr:`cond`, which the pools sharing the budget also use for
    their own lists, so a borrower waiting for any connection wakes on any give-back.
    """

    def __init__(self, maxconn: int, wait_timeout: float, idle_timeout: float = 60.0) -> None:
        self.maxconn = maxconn
        self.wait_timeout = wait_timeout
        self.idle_timeout = idle_timeout
        self.cond = threading.Condition()
        self.open = 0
        self.waiting = 0
        self.refused = 0
        self.pools: list[ConnectionPool] = []

    def stats(self):
        with self.cond:
            return {
                'max': self.maxconn,
                'open': self.open,
                'in_use': sum(len(pool.borrowed) for pool in self.pools),
                'idle': sum(len(pool.idle) for pool in self.pools),
                'waiting': self.waiting,
                'refused': self.refused,
            }

    def _take_idle_elsewhere(self, pool):
        """An idle connection of another pool, removed from it (its slot is the caller's now);
        the one idle the longest."""
        best = None
        for other in self.pools:
            if other is not pool and other.idle and (best is None or other.idle[0][1] < best.idle[0][1]):
                best = other
        return best.idle.pop(0)[0] if best is not None else None

    def reserve(self, pool=None):
        """Take a connection slot for ``pool`` (None: a connection of no pool), waiting up to
        ``wait_timeout``: ``(idle connection of pool or None, connection to close or None)``.
        With neither, the caller opens a connection in the slot. Must be called under
        :attr:`cond`; raises :class:`TooBusy` when no slot came free in time."""
        deadline = time.monotonic() + self.wait_timeout
        while True:
            if pool is not None and pool.idle:
                return pool.idle.pop()[0], None
            if self.open < self.maxconn:
                self.open += 1
                return None, None
            victim = self._take_idle_elsewhere(pool)
            if victim is not None:
                return None, victim
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.refused += 1
                wanted = pool.dbname if pool is not None else 'the maintenance database'
                _logger.warning(
                    'connections exhausted: %d in use in this process for %.1fs (%s waiting)',
                    self.maxconn,
                    self.wait_timeout,
                    wanted,
                )
                raise TooBusy(
                    'Server too busy: all %d database connections of this process '
                    'stayed in use for %.1f seconds (a call to %r waited); try again '
                    'shortly.' % (self.maxconn, self.wait_timeout, wanted)
                )
            self.waiting += 1
            try:
                self.cond.wait(remaining)
            finally:
                self.waiting -= 1

    def release(self):
        """Give back the slot of a connection that was closed."""
        with self.cond:
            self.open -= 1
            self.cond.notify()

    def reap(self, now=None):
        """Close the connections idle for longer than ``idle_timeout`` beyond :data:`MIN_IDLE`
        per pool; returns how many."""
        now = time.monotonic() if now is None else now
        doomed = []
        with self.cond:
            for pool in self.pools:
                # idle is oldest first: keep the newest MIN_IDLE whatever their age
                while len(pool.idle) > MIN_IDLE and now - pool.idle[0][1] > self.idle_timeout:
                    doomed.append(pool.idle.pop(0)[0])
                    self.open -= 1
            if doomed:
                self.cond.notify_all()
        for conn in doomed:
            _discard(conn)
        return len(doomed)


class ConnectionPool:
    """The connections of one process to one database, within a :class:`Budget`.

    ``borrow`` waits up to the budget's ``wait_timeout`` when the budget is spent by connections
    in use, then raises :class:`TooBusy`; a connection that died while idle is replaced on the
    next borrow. A pool made on its own (``budget=None``) has a budget of ``maxconn`` for itself.
    """

    def __init__(
        self,
        dbname: str,
        maxconn: int | None = None,
        wait_timeout: float = 10.0,
        budget: Budget | None = None,
        connect: Callable[[str], Connection] | None = None,
    ) -> None:
        self.dbname = dbname
        self.budget = budget if budget is not None else Budget(maxconn or 0, wait_timeout)
        #: ``(connection, idle since)``, oldest first
        self.idle: list[tuple[Connection, float]] = []
        self.borrowed: set[Any] = set()  # connections (or slot tokens) handed out, by identity
        self.closed = False
        self._pid = os.getpid()
        self._connect = connect or _connect_by_name
        with self.budget.cond:
            self.budget.pools.append(self)

    @property
    def maxconn(self):
        return self.budget.maxconn

    def neutralise_after_fork(self):
        """In a forked child: make every inherited connection harmless, without locking.

        The sockets belong to the parent. Closing or finalising a libpq connection sends a
        Terminate message, which would end the parent's session; so each socket's descriptor is
        first pointed at /dev/null. Any later use in the child fails cleanly (the "server" hangs
        up at once) and finalisation writes into the void. The lock may have been held by a thread
        that does not exist here, so it is not used.
        """
        for conn in [conn for conn, _since in self.idle] + list(self.borrowed):
            detach_socket(conn)
        self.idle = []
        self.borrowed = set()
        self.closed = True
        self._pid = os.getpid()

    def borrow(self) -> Connection:
        """A connection to this database, waiting up to ``wait_timeout`` for a free one."""
        if self._pid != os.getpid():
            raise psycopg2.InterfaceError('connection pool of %r was inherited through fork' % self.dbname)
        budget = self.budget
        with budget.cond:
            conn, victim = budget.reserve(self)
            # the slot is reserved before connecting, outside the lock, so the count never
            # overshoots
            token = conn if conn is not None else object()
            self.borrowed.add(token)
        if victim is not None:
            _discard(victim)
        try:
            if conn is not None and not _is_alive(conn):
                _logger.info('replacing a dead idle connection to %s', self.dbname)
                _discard(conn)
                conn = None
            if conn is None:
                conn = self._connect(self.dbname)
        except BaseException:
            with budget.cond:
                self.borrowed.discard(token)
            budget.release()
            raise
        if conn is not token:
            with budget.cond:
                self.borrowed.discard(token)
                self.borrowed.add(conn)
        return conn

    def give_back(self, conn: Connection, keep: bool = True) -> None:
        """Return ``conn``; it is kept only when clean, still connected and the pool is open."""
        if self._pid != os.getpid():
            # borrowed before a fork: the socket is the parent's; it was detached already
            return
        budget = self.budget
        discard = False
        with budget.cond:
            self.borrowed.discard(conn)
            if (
                keep
                and not self.closed
                and not conn.closed
                and conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            ):
                self.idle.append((conn, time.monotonic()))
            else:
                discard = True
                budget.open -= 1
            budget.cond.notify()
        if discard:
            _discard(conn)

    def close(self) -> None:
        """Close the idle connections; connections in use are closed when given back."""
        if self._pid != os.getpid():
            self.neutralise_after_fork()
            return
        budget = self.budget
        with budget.cond:
            self.closed = True
            idle, self.idle = self.idle, []
            budget.open -= len(idle)
            if self in budget.pools:
                budget.pools.remove(self)
            budget.cond.notify_all()
        for conn, _since in idle:
            _discard(conn)

    def stats(self):
        with self.budget.cond:
            return {'idle': len(self.idle), 'in_use': len(self.borrowed), 'max': self.maxconn}


def _connect_by_name(dbname: str) -> Connection:
    """A connection to ``dbname`` with libpq's defaults (``PGHOST``...) for the rest."""
    return psycopg2.connect(dbname=dbname)


def _is_alive(conn):
    """False for a connection whose server side went away while it sat idle.

    An idle connection has nothing to read unless the server spoke first: a FATAL message and
    end-of-file after ``pg_terminate_backend`` or a restart (or a NOTIFY). So the common case costs
    one non-blocking ``select``; only a readable socket pays a round trip.
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


def _discard(conn):
    with contextlib.suppress(psycopg2.Error):
        conn.close()


def detach_socket(conn):
    """Point ``conn``'s socket descriptor at /dev/null (see ``neutralise_after_fork``)."""
    try:
        fd = conn.fileno()
    except (psycopg2.Error, ValueError):
        return  # already closed
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class Reaper:
    """A daemon thread closing the budget's long-idle connections every few seconds (one per
    process, started on first use: a thread does not survive a fork)."""

    def __init__(self, budget):
        self.budget = budget
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name='sql-idle-reaper', daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            budget = self.budget
            time.sleep(max(1.0, min(budget.idle_timeout / 4.0, 15.0)))
            if os.getpid() != self.pid:
                return
            try:
                closed = budget.reap()
            except Exception:  # noqa: BLE001 - the reaper must never die of one bad connection
                _logger.exception('closing idle connections failed')
                continue
            if closed:
                _logger.debug('closed %d idle connection(s)', closed)
