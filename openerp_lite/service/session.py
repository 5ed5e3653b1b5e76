"""Web sessions kept in PostgreSQL, so a session opened on one process works on any other.

Why a plain table and not a model (``ir.session``) in ``base``: sessions are transport state, not
business data. A model would be reachable over RPC (``read``/``search`` on it, ``ir.model``), would
exist only in databases where ``base`` was upgraded since, and would put the ORM (access rules,
prefetch, caches) on the hot path of every web call. The table is one of the server's own
(``server_tables``, created with the database), invisible to the ORM, and costs one indexed query
per call.

What is stored, per database, in ``web_session``:

- ``sid_hash``: the SHA-256 of the secret part of the session id, never the id itself, so a dump of
  the table opens no session;
- ``credential``: ``HMAC-SHA256(key=secret, msg=password hash of the user at login)``. It ties the
  session to the password the user had when logging in: a password change (or a deactivated user)
  invalidates every session of that user on every process, and the clear password is never kept;
- ``uid``, ``login``, ``context`` (the user context at login), ``created``, ``last_seen``.

The id handed to the client is ``<secret>.<db>``: each database keeps its own sessions, so the id
must say where to look. ``<secret>`` is ``secrets.token_urlsafe(32)`` (256 random bits, no ``.``).
The database an id names comes from the client: it is checked (``--db-filter``, the openerp-lite
mark) before anything connects to it, so a forged id reaches no other database of the cluster.
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
from .base import DB_NAME, is_served

_SECRET = re.compile(r'^[A-Za-z0-9_-]{43}$')
#: last_seen is refreshed at most this often, so a busy session does not write on every call
_TOUCH_SECONDS = 60
_EXPIRED = 'Session expired or invalid: log in again.'


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
    if not _SECRET.match(secret) or not DB_NAME.match(db):
        return None, None
    return secret, db


def _served_sid(info, sid):
    """``(secret, db)`` of a session id naming a database this server serves, else
    ``(None, None)``: nothing is opened to a database before it passed that check."""
    secret, db = split_sid(sid)
    if secret is None or not is_served(info, db):
        return None, None
    return secret, db


def _hash(secret):
    return hashlib.sha256(secret.encode('ascii')).digest()


def _credential(secret, password_hash):
    return hmac.new(secret.encode('ascii'), (password_hash or '').encode('utf-8'), hashlib.sha256).digest()


def _run(dbname, work):
    """``work(cr)`` in one transaction on ``dbname``. A database made before the server tables
    existed and not loaded since has no session table: no session can be valid there."""
    try:
        with sql_db.cursor(dbname) as cr:
            return work(cr)
    except psycopg2.errors.UndefinedTable:
        raise SessionExpired(_EXPIRED) from None
    except psycopg2.OperationalError as error:
        # a database dropped meanwhile behind a well-formed id is a dead session, not a server error
        if 'does not exist' in str(error):
            raise SessionExpired(_EXPIRED) from None
        raise


def _purge(cr, timeout):
    """Drop sessions idle past ``timeout`` (bounded: a cleanup never holds a request long)."""
    if timeout:
        cr.execute(
            'DELETE FROM web_session WHERE sid_hash IN (SELECT sid_hash FROM web_session '
            "WHERE last_seen < (now() at time zone 'UTC') - %s LIMIT 1000)",
            (datetime.timedelta(seconds=timeout),),
        )


def create(dbname, uid, login, context, timeout=0):
    """Open a session for ``uid`` (already authenticated); returns the session id for the cookie."""
    secret = secrets.token_urlsafe(32)

    def work(cr):
        _purge(cr, timeout)
        cr.execute('SELECT password_hash FROM res_users WHERE id = %s', (uid,))
        row = cr.fetchone()
        cr.execute(
            'INSERT INTO web_session (sid_hash, db, uid, login, context, credential) '
            'VALUES (%s, %s, %s, %s, %s, %s)',
            (
                _hash(secret),
                dbname,
                uid,
                login,
                json.dumps(context or {}),
                _credential(secret, row[0] if row else None),
            ),
        )

    _run(dbname, work)
    return '%s.%s' % (secret, dbname)


def load(info, sid):
    """The :class:`Session` of ``sid``; raises :class:`SessionExpired` when it is unknown, forged,
    names a database this server does not serve, is idle past ``--session-timeout``, destroyed,
    or its user changed password or was deactivated."""
    timeout = info.options.session_timeout
    secret, dbname = _served_sid(info, sid)
    if secret is None:
        raise SessionExpired(_EXPIRED)
    sid_hash = _hash(secret)

    def work(cr):
        cr.execute(
            'SELECT s.uid, s.login, s.context, s.credential, u.password_hash, '
            "       (now() at time zone 'UTC') - s.last_seen "
            'FROM web_session s LEFT JOIN res_users u ON u.id = s.uid AND u.active '
            'WHERE s.sid_hash = %s',
            (sid_hash,),
        )
        row = cr.fetchone()
        if row is None:
            return None
        uid, login, context, credential, password_hash, idle = row
        expired = timeout and idle > datetime.timedelta(seconds=timeout)
        if (
            expired
            or password_hash is None
            or not hmac.compare_digest(bytes(credential), _credential(secret, password_hash))
        ):
            cr.execute('DELETE FROM web_session WHERE sid_hash = %s', (sid_hash,))
            return None
        if idle > datetime.timedelta(seconds=_TOUCH_SECONDS):
            cr.execute(
                "UPDATE web_session SET last_seen = now() at time zone 'UTC' WHERE sid_hash = %s", (sid_hash,)
            )
        return Session(dbname, uid, login, json.loads(context or '{}'), sid)

    session = _run(dbname, work)
    if session is None:
        raise SessionExpired(_EXPIRED)
    return session


def destroy(info, sid):
    """Delete the session ``sid`` (for every process at once); unknown ids are ignored."""
    secret, dbname = _served_sid(info, sid)
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
