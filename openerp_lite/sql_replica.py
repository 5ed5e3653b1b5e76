"""Hot standbys serving the calls declared read-only, without giving up read-your-writes.

A plain asynchronous standby (what ``pg_basebackup -R`` makes) replays the primary's WAL a little
later than the primary commits. Reading there as such would break the stateless contract: a
call that changed something has returned, and a later call on another process must see it. So a
read-only call first asks the primary for its current WAL position (``pg_current_wal_lsn()``,
one cheap statement outside any transaction: every commit that returned to any client lies at or
before it), then reads on a standby only once that standby has replayed up to there
(``pg_last_wal_replay_lsn()``), waiting at most ``wait`` seconds; otherwise it reads on the
primary. The standby's snapshot is taken after that check, so it holds every change any process
had seen committed when the call began, the cache signals and credentials included: a process
never loads stale rights from a lagging standby, and its known signal versions never go back.

Writes pay nothing (no synchronous standby, so a standby that goes down never stops them); a
read pays one round trip to the primary and one to the standby, plus the wait when the standby
is behind. A standby that cannot be reached, is no longer in recovery (promoted: it may be the
new primary or a stray one) or did not catch up in time is skipped for :data:`REST_SECONDS`, then
tried again; a read that loses its standby connection midway runs again on the primary (it
changed nothing). Nothing of this costs the caller a failed call.

:func:`status` gives each standby's figures (``/web/health``, the status page).
"""

import itertools
import logging
import os
import threading
import time

import psycopg2
import psycopg2.extensions

from . import sql_db, sql_pool
from .exceptions import TooBusy

_logger = logging.getLogger(__name__)

#: seconds a standby that was down, promoted or too far behind is left alone before a new try
REST_SECONDS = 2.0
#: seconds a standby connection may take to open (the primary's is ``sql_pool.CONNECT_TIMEOUT``):
#: a standby that does not answer must not hold a read for long before it falls back
CONNECT_TIMEOUT = 2
#: first and longest pause between two replay checks while a standby catches up
POLL_FIRST, POLL_MAX = 0.0005, 0.005

_REPLAYED = (
    'SELECT pg_is_in_recovery(), '
    'COALESCE(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint, '
    'pg_last_wal_replay_lsn()::text'
)
_PROBE = (
    'SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, '
    'EXTRACT(epoch FROM now() - pg_last_xact_replay_timestamp())::float8'
)
#: SQLSTATEs of a standby session ended under the call (shutdown, crash, cannot connect now)
_SESSION_ENDED = frozenset(('57P01', '57P02', '57P03'))
NOT_IN_RECOVERY = "not in recovery (promoted, or a primary): its data may not be the primary's"


class Standby:
    """One hot standby: its pools (one per database, within the process's ``--db_maxconn``), its
    state and the figures :func:`status` reports."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.name = '%s:%s' % (host, port or 5432)
        self._pools = {}
        self._lock = threading.Lock()
        self.state = 'unknown'
        self.reason = None
        self.resting_until = 0.0
        self.reads = 0
        #: reads this standby could not take (down, not a standby, behind, resting): they ran on
        #: the primary
        self.skipped = 0
        #: bytes of WAL the standby still had to replay at its last check
        self.lag_bytes = None
        #: seconds since the standby replayed its last transaction (at the last probe)
        self.replay_age = None
        #: seconds the last read waited for the standby to catch up
        self.last_wait = 0.0
        self.waited = 0
        #: reads that needed no replay check: the connection they ran on had seen the standby
        #: past the primary's position already (the primary had written nothing since)
        self.unchecked = 0

    def pool(self, dbname):
        pool = self._pools.get(dbname)
        if pool is None:
            budget = sql_db.process_budget()
            with self._lock:
                pool = self._pools.get(dbname)
                if pool is None:
                    connect = sql_db.standby_connector(
                        self.host, self.port, CONNECT_TIMEOUT, StandbyConnection
                    )
                    pool = self._pools[dbname] = sql_pool.ConnectionPool(
                        dbname, budget=budget, connect=connect
                    )
        return pool

    def resting(self, now):
        return now < self.resting_until

    def rest(self, state, reason):
        """Skip this standby for :data:`REST_SECONDS` (``state``: why, for the figures)."""
        if self.state != state:
            _logger.warning('standby %s %s: %s; reads go elsewhere for now', self.name, state, reason)
        self.state, self.reason = state, reason
        self.resting_until = time.monotonic() + REST_SECONDS

    def mark_up(self):
        if self.state != 'up':
            _logger.info('standby %s serves read-only calls', self.name)
        self.state, self.reason = 'up', None

    def close(self, dbname=None):
        with self._lock:
            if dbname is None:
                pools, self._pools = list(self._pools.values()), {}
            else:
                pool = self._pools.pop(dbname, None)
                pools = [pool] if pool is not None else []
        for pool in pools:
            pool.close()

    def neutralise_after_fork(self):
        pools, self._pools = list(self._pools.values()), {}
        self._lock = threading.Lock()
        for pool in pools:
            pool.neutralise_after_fork()
        _inherited.extend(pools)

    def figures(self):
        now = time.monotonic()
        return {
            'server': self.name,
            'state': self.state,
            'reason': self.reason,
            'resting_for': round(max(0.0, self.resting_until - now), 3),
            'lag_bytes': self.lag_bytes,
            'replay_age': self.replay_age,
            'last_wait_ms': round(self.last_wait * 1000.0, 3),
            'reads': self.reads,
            'waited': self.waited,
            'unchecked': self.unchecked,
            'skipped': self.skipped,
        }


class Standbys:
    """The standbys of this process and how long a read waits for one (``configure``)."""

    def __init__(self, replicas=(), wait=0.05):
        self.members = [Standby(host, port) for host, port in replicas]
        self.wait = float(wait)
        self._turn = itertools.count()

    def in_turn(self):
        """The standbys not resting, starting with the next one in turn (reads spread out)."""
        now = time.monotonic()
        awake = [standby for standby in self.members if not standby.resting(now)]
        if not awake:
            return []
        start = next(self._turn) % len(awake)
        return awake[start:] + awake[:start]


_current = {'standbys': Standbys()}
#: pools inherited through fork, kept referenced so their connections are never finalised here
_inherited = []


def configure(replicas=(), wait=0.05):
    """Use the standbys ``replicas`` (``(host, port)`` pairs; a port of None: libpq's default)
    for read-only calls, each read waiting up to ``wait`` seconds for one to catch up."""
    close()
    _current['standbys'] = Standbys(replicas, wait)


def close(dbname=None):
    """Close the standbys' idle connections (of ``dbname``, or all)."""
    for standby in _current['standbys'].members:
        standby.close(dbname)


sql_db.register_pools(close)


def configured():
    return bool(_current['standbys'].members)


def status(probe=False):
    """Each standby's figures: ``server``, ``state`` (up, down, behind, not a standby, unknown),
    ``reason``, ``resting_for`` (seconds before it is tried again), ``lag_bytes`` (WAL it had still
    to replay at its last check), ``replay_age`` (seconds since it replayed a transaction, at the
    last probe), ``last_wait_ms``, ``reads`` (calls it served), ``waited`` (of them, how many
    waited for it to catch up), ``unchecked`` (how many needed no replay check: the primary had
    not written since the standby was last seen past it) and ``skipped`` (reads that went to the
    primary instead).
    ``probe``: measure each standby not resting now (two short queries; the health route)."""
    standbys = _current['standbys']
    if probe:
        for standby in standbys.in_turn():
            _probe(standby)
    return [standby.figures() for standby in standbys.members]


def _probe(standby):
    dbname = next(iter(list(standby._pools)), sql_db.MAINTENANCE_DB)
    try:
        target = sql_db.primary_wal_position(dbname)
        pool = standby.pool(dbname)
        conn = pool.borrow()
    except (psycopg2.Error, TooBusy) as error:
        if isinstance(error, psycopg2.Error):
            standby.rest('down', _first_line(error))
        return
    healthy = False
    try:
        with conn.cursor() as cr:
            cr.execute(_PROBE)
            in_recovery, _replayed, age = cr.fetchone()
            if not in_recovery:
                standby.rest('not a standby', NOT_IN_RECOVERY)
            else:
                cr.execute(_REPLAYED, (target,))
                standby.lag_bytes = max(0, cr.fetchone()[1])
                standby.replay_age = round(age, 3) if age is not None else None
        healthy = True
    except psycopg2.Error as error:
        standby.rest('down', _first_line(error))
    finally:
        pool.give_back(conn, keep=healthy)


def run_read_only(dbname, work, attempts, again=None):
    """``sql_db.run_in_transaction(dbname, work, attempts, readonly=True, again=again)`` on a
    standby that has replayed everything the primary had committed when the call began, else on
    the primary."""
    standbys = _current['standbys']
    candidates = standbys.in_turn()
    if candidates:
        target = lsn(sql_db.primary_wal_position(dbname))
        deadline = time.monotonic() + standbys.wait
        for standby in candidates:
            gate = CaughtUp(standby, standby.pool(dbname), target, deadline)
            try:
                result = sql_db.run_in_transaction(
                    dbname, work, attempts, readonly=True, again=again, pool=gate
                )
            except NotReady:
                standby.skipped += 1
                continue
            except TooBusy:
                break
            except psycopg2.Error as error:
                if not _session_ended(error):
                    raise
                standby.rest('down', _first_line(error))
                standby.skipped += 1
                continue
            standby.reads += 1
            return result
    for standby in standbys.members:
        if standby not in candidates:  # resting: this read went to the primary without it
            standby.skipped += 1
    return sql_db.run_in_transaction(dbname, work, attempts, readonly=True, again=again)


class NotReady(Exception):
    """The standby could not take this read (promoted, or behind at the deadline); it rests."""


class StandbyConnection(psycopg2.extensions.connection):
    """A connection to a standby that remembers the highest WAL position its server was seen to
    have replayed through it (:func:`lsn`). Replay only moves forward while the session lasts;
    a restarted standby may show older data until it replays again, but it also ended the
    session: a new connection knows nothing and checks."""

    replayed = -1


class CaughtUp:
    """The pool of one database on ``standby`` as a transaction borrows from it: each connection
    it hands out has replayed WAL position ``target`` (checked on that very connection, waiting
    until ``deadline``), else :class:`NotReady` (or the driver's error when it is down)."""

    def __init__(self, standby, pool, target, deadline):
        self.standby, self.pool, self.target, self.deadline = standby, pool, target, deadline
        self.dbname = pool.dbname

    def borrow(self):
        conn = self.pool.borrow()
        standby = self.standby
        if getattr(conn, 'replayed', -1) >= self.target:
            # seen past the target through this session already: the primary wrote nothing since
            standby.unchecked += 1
            standby.last_wait = 0.0
        else:
            try:
                self._wait_for_replay(conn)
            except BaseException:
                self.pool.give_back(conn, keep=not conn.closed)
                raise
        standby.mark_up()
        return conn

    def give_back(self, conn, keep=True):
        self.pool.give_back(conn, keep)

    def _wait_for_replay(self, conn):
        standby, target = self.standby, '%X/%X' % (self.target >> 32, self.target & 0xFFFFFFFF)
        started = time.monotonic()
        pause = POLL_FIRST
        with conn.cursor() as cr:
            while True:
                cr.execute(_REPLAYED, (target,))
                in_recovery, behind, replayed = cr.fetchone()
                if not in_recovery:
                    standby.rest('not a standby', NOT_IN_RECOVERY)
                    raise NotReady()
                standby.lag_bytes = max(0, behind)
                if behind <= 0:
                    if isinstance(conn, StandbyConnection):
                        conn.replayed = max(conn.replayed, lsn(replayed))
                    break
                if time.monotonic() + pause > self.deadline:
                    standby.rest(
                        'behind',
                        '%d bytes of WAL still to replay after %.0f ms'
                        % (behind, (time.monotonic() - started) * 1000.0),
                    )
                    raise NotReady()
                time.sleep(pause)
                pause = min(POLL_MAX, pause * 2)
        standby.last_wait = time.monotonic() - started
        if pause != POLL_FIRST:
            standby.waited += 1


def lsn(text):
    """A WAL position's text (``'16/B374D848'``) as a comparable int; -1 for None."""
    if not text:
        return -1
    high, _slash, low = text.partition('/')
    return (int(high, 16) << 32) | int(low, 16)


def _session_ended(error):
    if not isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return False
    code = getattr(error, 'pgcode', None)
    return code is None or code[:2] == '08' or code in _SESSION_ENDED


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _after_fork_in_child():
    for standby in _current['standbys'].members:
        standby.neutralise_after_fork()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)
