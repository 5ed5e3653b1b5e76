"""Slowing down password guessing, on every route that checks a password.

One back-off serves every password check: ``common.login``/``authenticate``, the web session
login, ``execute``/``execute_kw`` (a credential check that misses the per-process cache) and the
master password of the db service. Attempts are counted per *key* (a login, or the master
password) and *source* (the client address), so a stranger guessing from elsewhere cannot lock the
owner out. After :data:`FREE_FAILURES` failures in a row, that key and source are refused without
checking the password for a cool-down that doubles with each further failure (:data:`BASE_DELAY`
seconds at first, at most :data:`MAX_DELAY`); a success clears the count, and a count quiet for
:data:`QUIET_RESET` seconds starts again from one.

**Race-free.** An attempt is *reserved* before its password is checked: one ``INSERT ... ON
CONFLICT DO UPDATE`` counts it as a failure and, past the limit, sets the block, all under the
row lock PostgreSQL takes for the upsert. Concurrent attempts are counted one after the other, so
however many arrive at once, at most :data:`FREE_FAILURES` passwords are checked before the block
(then one per cool-down). A success deletes the row again.

**Shared.** The counts live in PostgreSQL: table ``auth_failure`` of each database (created with
it, ``server_tables``) for logins, and ``openerp_lite_master_failure`` of the maintenance database
(created when the server starts) for the master password, so every process and machine serving
the same databases shares them. When the database refuses the write (read-only, unreachable) the
back-off falls back to this process's memory, with the same rules, and says so in the log: a
database that cannot be written must not turn into unthrottled guessing, nor into a server error.
"""

import hashlib
import logging
import threading
import time

import psycopg2

from .. import server_tables, sql_db

_logger = logging.getLogger(__name__)

FREE_FAILURES = 5
BASE_DELAY = 2.0
MAX_DELAY = 300.0
QUIET_RESET = 24 * 3600.0
MASTER_TABLE = 'openerp_lite_master_failure'

MASTER_DDL = server_tables.FAILURE_DDL.replace(server_tables.FAILURE_TABLE, MASTER_TABLE)

#: the count after this attempt, computed from the existing row ``f``
_NEXT = '(CASE WHEN f.last_seen < now() - make_interval(secs => %(quiet)s) THEN 1 ELSE f.failures + 1 END)'
_RESERVE = (
    'INSERT INTO {table} AS f (key, source, failures, last_seen) '
    'VALUES (%(key)s, %(source)s, 1, now()) '
    'ON CONFLICT (key, source) DO UPDATE SET failures = {next}, last_seen = now(), '
    'blocked_until = CASE WHEN {next} >= %(free)s THEN now() + make_interval(secs => '
    'least(%(max)s, %(base)s * power(2, {next} - %(free)s))) END '
    'WHERE f.blocked_until IS NULL OR f.blocked_until <= now() '
    'RETURNING failures'
)
_REMAINING = (
    'SELECT greatest(0, EXTRACT(EPOCH FROM blocked_until - now())) FROM {table} '
    'WHERE key = %(key)s AND source = %(source)s'
)
_CLEAR = 'DELETE FROM {table} WHERE key = %(key)s AND source = %(source)s'


def cooldown(failures):
    """Seconds a key and source stay refused after their ``failures``-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY, BASE_DELAY * 2 ** (failures - FREE_FAILURES))


def _params(key, source):
    return {
        'key': key,
        'source': source or '-',
        'quiet': QUIET_RESET,
        'free': FREE_FAILURES,
        'max': MAX_DELAY,
        'base': BASE_DELAY,
    }


class MemoryCounts:
    """The same rules in this process's memory: the fallback when PostgreSQL refuses the write."""

    def __init__(self):
        self._rows = {}
        self._lock = threading.Lock()

    def reserve(self, store, key, source):
        now = time.monotonic()
        with self._lock:
            failures, last_seen, blocked_until = self._rows.get((store, key, source), (0, now, 0.0))
            if blocked_until > now:
                return None
            failures = 1 if now - last_seen > QUIET_RESET else failures + 1
            self._rows[(store, key, source)] = (failures, now, now + cooldown(failures))
            return failures

    def remaining(self, store, key, source):
        with self._lock:
            row = self._rows.get((store, key, source))
        return max(0.0, row[2] - time.monotonic()) if row else 0.0

    def clear(self, store, key, source):
        with self._lock:
            self._rows.pop((store, key, source), None)


_memory = MemoryCounts()


class Store:
    """Where the counts of one database (or of the master password) live."""

    table = server_tables.FAILURE_TABLE

    def __init__(self, dbname):
        self.dbname = dbname

    def execute(self, query, params):
        """Rows of ``query`` in a transaction of its own at READ COMMITTED (the upsert then waits
        for a concurrent one instead of failing to serialise)."""
        with sql_db.cursor(self.dbname) as cr:
            cr.execute('SET TRANSACTION ISOLATION LEVEL READ COMMITTED')
            cr.execute(query.format(table=self.table, next=_NEXT), params)
            return cr.fetchall() if cr.description else None

    def label(self):
        return 'database %s' % self.dbname


class MasterStore(Store):
    """The master password's counts, in the maintenance database."""

    table = MASTER_TABLE

    def __init__(self):
        super().__init__(sql_db.MAINTENANCE_DB)

    def execute(self, query, params):
        return sql_db.admin_query(query.format(table=self.table, next=_NEXT), params)

    def label(self):
        return 'the master password'


def _fallback(store, action, error):
    _logger.warning(
        "login back-off of %s: PostgreSQL refused to %s (%s); counting in this process's memory instead",
        store.label(),
        action,
        str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
    )


def reserve(store, key, source):
    """Count one password check of ``key`` from ``source`` before it happens; False when the key
    and source are cooling down and the password must not be checked at all."""
    params = _params(key, source)
    try:
        rows = store.execute(_RESERVE, params)
        allowed = bool(rows)
    except psycopg2.Error as error:
        _fallback(store, 'count an attempt', error)
        allowed = _memory.reserve(store.label(), key, params['source']) is not None
    if not allowed:
        _logger.warning(
            'password check of %r on %s from %s refused without checking: too many failures, %.0fs left',
            key,
            store.label(),
            params['source'],
            remaining(store, key, source),
        )
    return allowed


def remaining(store, key, source):
    """Seconds before ``key`` may be tried again from ``source`` (0: now)."""
    params = _params(key, source)
    try:
        rows = store.execute(_REMAINING, params)
    except psycopg2.Error:
        return _memory.remaining(store.label(), key, params['source'])
    return float(rows[0][0] or 0) if rows else _memory.remaining(store.label(), key, params['source'])


def clear(store, key, source):
    """Forget the failures of ``key`` from ``source`` after its password was right."""
    params = _params(key, source)
    _memory.clear(store.label(), key, params['source'])
    try:
        store.execute(_CLEAR, params)
    except psycopg2.Error as error:
        _fallback(store, 'clear a count', error)


def master_key(stored_master):
    """The key of a configured master password: a digest of its stored form, so that servers with
    different master passwords on one cluster keep separate counts."""
    return 'master:' + hashlib.sha256(str(stored_master).encode('utf-8')).hexdigest()[:16]


def ensure_master_table():
    """Create the master password's table in the maintenance database if needed (at start). A
    role without the right to is told in the log, and the counts then stay in memory."""
    try:
        sql_db.admin_query(MASTER_DDL)
    except psycopg2.Error as error:
        _logger.warning(
            'cannot create %s in the maintenance database %s (%s): failed master '
            'passwords are counted per process',
            MASTER_TABLE,
            sql_db.MAINTENANCE_DB,
            str(error).strip().splitlines()[0],
        )
        return False
    return True


def purge(cr):
    """Delete, in the transaction of ``cr``, the counts of its database that are quiet for
    :data:`QUIET_RESET` seconds (a count that old starts again from one anyway) and block
    nothing; returns how many."""
    cr.execute(
        'DELETE FROM %s WHERE last_seen < now() - make_interval(secs => %%s) '
        'AND (blocked_until IS NULL OR blocked_until < now())' % server_tables.FAILURE_TABLE,
        (QUIET_RESET,),
    )
    return cr.rowcount
