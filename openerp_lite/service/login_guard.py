"""Slowing down password guessing: per-login back-off after repeated failed logins.

After :data:`FREE_FAILURES` consecutive failures for one login on one database, further attempts
for that login are refused without checking the password for a cool-down that doubles with each
new failure (:data:`BASE_DELAY` seconds at first, at most :data:`MAX_DELAY`). A successful login
clears the count. Refusing, rather than sleeping, keeps a guessing client from tying up workers.

The counts live in PostgreSQL (table ``login_failure`` of each database, created on first use,
like ``web_session``), so every process and machine serving the database shares them. Recording is
best effort: a database that cannot be written (read-only, busy) must not turn a login into a
server error, so a failure to record is logged and ignored.
"""

import logging

import psycopg2

from .. import sql_db

_logger = logging.getLogger(__name__)

FREE_FAILURES = 5
BASE_DELAY = 2.0
MAX_DELAY = 300.0

_DDL = """
CREATE TABLE IF NOT EXISTS login_failure (
    login     varchar PRIMARY KEY,
    failures  integer NOT NULL DEFAULT 0,
    last_seen timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
    last_addr varchar
)
"""

#: databases whose table this process has already ensured
_ready = set()


def cooldown(failures):
    """Seconds a login stays refused after its ``failures``-th consecutive failure."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY, BASE_DELAY * 2 ** (failures - FREE_FAILURES))


def _ensure(dbname):
    if dbname in _ready:
        return
    try:
        with sql_db.cursor(dbname) as cr:
            cr.execute(_DDL)
    except psycopg2.IntegrityError:
        pass  # another process created it at the same moment
    _ready.add(dbname)


def remaining(dbname, login):
    """Seconds before ``login`` may try again on ``dbname`` (0 when it may try now)."""
    try:
        _ensure(dbname)
        with sql_db.cursor(dbname) as cr:
            cr.execute("SELECT failures, EXTRACT(EPOCH FROM (now() at time zone 'UTC') - last_seen) "
                       "FROM login_failure WHERE login = %s", (login,))
            row = cr.fetchone()
    except psycopg2.Error:
        _logger.warning('login back-off of %r on %s unavailable', login, dbname, exc_info=True)
        return 0.0
    if not row:
        return 0.0
    return max(0.0, cooldown(row[0]) - float(row[1]))


def record(dbname, login, success, remote_addr=None):
    """Count a failed attempt of ``login`` (or clear the count after a success)."""
    def work(cr):
        if success:
            cr.execute('DELETE FROM login_failure WHERE login = %s', (login,))
            return 0
        cr.execute("INSERT INTO login_failure (login, failures, last_addr) VALUES (%s, 1, %s) "
                   "ON CONFLICT (login) DO UPDATE SET failures = login_failure.failures + 1, "
                   "last_seen = now() at time zone 'UTC', last_addr = EXCLUDED.last_addr "
                   "RETURNING failures", (login, remote_addr))
        return cr.fetchone()[0]

    try:
        _ensure(dbname)
        return sql_db.run_in_transaction(dbname, work)
    except (psycopg2.Error, Exception) as error:  # noqa: BLE001 - best effort, see module doc
        _logger.warning('could not record a login attempt of %r on %s: %s', login, dbname, error)
        return 0
