"""Web sessions kept in PostgreSQL, so a session opened on one process works on any other.

Why a plain table and not a model (``ir.session``) in ``base``: sessions are transport state, not
business data. A model would be reachable over RPC (``read``/``search`` on it, ``ir.model``), would
exist only in databases where ``base`` was upgraded since, and would put the ORM (access rules,
prefetch, caches) on the hot path of every web call. A table that this module creates on first use
works on every database, is invisible to the ORM, and costs one indexed query per call.

What is stored, per database, in ``web_session``:

- ``sid_hash``: the SHA-256 of the secret part of the session id, never the id itself, so a dump of
  the table opens no session;
- ``credential``: ``HMAC-SHA256(key=secret, msg=password hash of the user at login)``. It ties the
  session to the password the user had when logging in: a password change (or a deactivated user)
  invalidates every session of that user on every process, and the clear password is never kept;
- ``uid``, ``login``, ``context`` (the user context at login), ``created``, ``last_seen``.

The id handed to the client is ``<secret>.<db>``: each database keeps its own sessions, so the id
must say where to look. ``<secret>`` is ``secrets.token_urlsafe(32)`` (256 random bits, no ``.``).
A session idle for longer than ``--session-timeout`` seconds (0: never) is refused and deleted.
"""

import datetime
import hashlib
import hmac
import json
import re
import secrets

import psycopg2

from .. import sql_db
from ..exceptions import SessionExpired

_DB_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$')
_SECRET = re.compile(r'^[A-Za-z0-9_-]{43}$')
#: last_seen is refreshed at most this often, so a busy session does not write on every call
_TOUCH_SECONDS = 60
_EXPIRED = 'Session expired or invalid: log in again.'

_DDL = """
CREATE TABLE IF NOT EXISTS web_session (
    sid_hash   bytea PRIMARY KEY,
    db         varchar NOT NULL,
    uid        integer NOT NULL,
    login      varchar NOT NULL,
    context    text NOT NULL DEFAULT '{}',
    created    timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
    last_seen  timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
    credential bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS web_session_last_seen_idx ON web_session (last_seen);
"""

#: databases whose table this process has already ensured
_ready = set()


class Session:
    """A valid session as loaded from the database (the secret is not kept)."""

    __slots__ = ('db', 'uid', 'login', 'context', 'sid')

    def __init__(self, db, uid, login, context, sid):
        self.db, self.uid, self.login, self.context, self.sid = db, uid, login, context, sid


def split_sid(sid):
    """``(secret, db)`` of a session id, or ``(None, None)`` when it cannot be one of ours."""
    if not isinstance(sid, str) or '.' not in sid:
        return None, None
    secret, db = sid.split('.', 1)
    if not _SECRET.match(secret) or not _DB_NAME.match(db):
        return None, None
    return secret, db


def _hash(secret):
    return hashlib.sha256(secret.encode('ascii')).digest()


def _credential(secret, password_hash):
    return hmac.new(secret.encode('ascii'), (password_hash or '').encode('utf-8'),
                    hashlib.sha256).digest()


def ensure_table(cr, dbname):
    """Create ``web_session`` if missing; an advisory lock serialises concurrent first calls."""
    if dbname in _ready:
        return
    cr.execute("SELECT pg_advisory_xact_lock(hashtext('openerp_lite.web_session'))")
    cr.execute(_DDL)
    _ready.add(dbname)


def _run(dbname, work):
    """``work(cr)`` in one transaction on ``dbname``, the table ensured. A database dropped and
    created again under the same name lost its table: forget it and try once more."""
    for attempt in (1, 2):
        try:
            with sql_db.cursor(dbname) as cr:
                ensure_table(cr, dbname)
                return work(cr)
        except psycopg2.errors.UndefinedTable:
            _ready.discard(dbname)
            if attempt == 2:
                raise
        except psycopg2.OperationalError as error:
            # An unknown database behind a well-formed id is a dead session, not a server error.
            if 'does not exist' in str(error):
                raise SessionExpired(_EXPIRED) from None
            raise
    return None


def _purge(cr, timeout):
    """Drop sessions idle past ``timeout`` (bounded: a cleanup never holds a request long)."""
    if timeout:
        cr.execute("DELETE FROM web_session WHERE sid_hash IN (SELECT sid_hash FROM web_session "
                   "WHERE last_seen < (now() at time zone 'UTC') - %s LIMIT 1000)",
                   (datetime.timedelta(seconds=timeout),))


def create(dbname, uid, login, context, timeout=0):
    """Open a session for ``uid`` (already authenticated); returns the session id for the cookie."""
    secret = secrets.token_urlsafe(32)

    def work(cr):
        _purge(cr, timeout)
        cr.execute('SELECT password_hash FROM res_users WHERE id = %s', (uid,))
        row = cr.fetchone()
        cr.execute('INSERT INTO web_session (sid_hash, db, uid, login, context, credential) '
                   'VALUES (%s, %s, %s, %s, %s, %s)',
                   (_hash(secret), dbname, uid, login, json.dumps(context or {}),
                    _credential(secret, row[0] if row else None)))

    _run(dbname, work)
    return '%s.%s' % (secret, dbname)


def load(sid, timeout=0):
    """The :class:`Session` of ``sid``; raises :class:`SessionExpired` when it is unknown, forged,
    idle past ``timeout`` seconds, destroyed, or its user changed password or was deactivated."""
    secret, dbname = split_sid(sid)
    if secret is None:
        raise SessionExpired(_EXPIRED)
    sid_hash = _hash(secret)

    def work(cr):
        cr.execute("SELECT s.uid, s.login, s.context, s.credential, u.password_hash, "
                   "       (now() at time zone 'UTC') - s.last_seen "
                   "FROM web_session s LEFT JOIN res_users u ON u.id = s.uid AND u.active "
                   "WHERE s.sid_hash = %s", (sid_hash,))
        row = cr.fetchone()
        if row is None:
            return None
        uid, login, context, credential, password_hash, idle = row
        expired = timeout and idle > datetime.timedelta(seconds=timeout)
        if expired or password_hash is None or not hmac.compare_digest(
                bytes(credential), _credential(secret, password_hash)):
            cr.execute('DELETE FROM web_session WHERE sid_hash = %s', (sid_hash,))
            return None
        if idle > datetime.timedelta(seconds=_TOUCH_SECONDS):
            cr.execute("UPDATE web_session SET last_seen = now() at time zone 'UTC' "
                       "WHERE sid_hash = %s", (sid_hash,))
        return Session(dbname, uid, login, json.loads(context or '{}'), sid)

    session = _run(dbname, work)
    if session is None:
        raise SessionExpired(_EXPIRED)
    return session


def destroy(sid):
    """Delete the session ``sid`` (for every process at once); unknown ids are ignored."""
    secret, dbname = split_sid(sid)
    if secret is None:
        return False

    def work(cr):
        cr.execute('DELETE FROM web_session WHERE sid_hash = %s', (_hash(secret),))
        return cr.rowcount > 0

    try:
        return _run(dbname, work)
    except SessionExpired:
        return False


def purge_expired(dbname, timeout):
    """Delete the sessions of ``dbname`` idle past ``timeout`` seconds (for a cron job)."""
    _run(dbname, lambda cr: _purge(cr, timeout))
