"""Authentication of RPC calls.

Every call carries ``(db, uid, password)``. Checking a password hash costs tens of milliseconds on
purpose, so successful checks are remembered per process in the registry's ``credentials`` cache,
as keyed digests (never the clear password), per user *and client address*: an address that never
proved the password always pays the full check, and with it the login back-off. Changing a user's
password, groups or active flag drops that cache.

Every password check that misses the cache goes through :mod:`login_guard` first — for a call,
before its transaction opens, so a call never holds two connections at once.
"""

import hashlib
import hmac
import logging
import os

import psycopg2

from .. import sql_db
from ..exceptions import AccessDenied
from ..orm.environment import SUPERUSER_ID, Environment
from ..registry import Registry
from . import login_guard

_logger = logging.getLogger(__name__)

#: random per process (made again after a fork, see below): a digest in the cache is useless
#: outside the process
_CACHE_KEY = [os.urandom(32)]


def _renew_cache_key():
    _CACHE_KEY[0] = os.urandom(32)


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_renew_cache_key)


def _digest(password):
    return hmac.new(_CACHE_KEY[0], password.encode('utf-8'), hashlib.sha256).digest()


def _source(remote_addr):
    return remote_addr or '-'


def _valid_password(password):
    return isinstance(password, str) and bool(password)


def login(dbname, login, password, user_agent_env=None, remote_addr=None):
    """The uid of ``login`` when ``password`` is right, else ``False`` (never a fault).

    The caller has checked that ``dbname`` is a database this server serves.
    """
    if not isinstance(login, str) or not login or not _valid_password(password):
        return False
    source = _source(remote_addr)
    store = login_guard.Store(dbname)
    if not login_guard.reserve(store, login, source):
        return False
    registry = Registry.get(dbname)  # loaded before the cursor: one connection at a time
    with sql_db.cursor(dbname) as cr:
        registry = registry.check_signals(cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        uid = env['res.users']._authenticate(login, password)
        if uid:
            _record_login(cr, uid)
            registry.cache_store(cr, 'credentials', (uid, source), _digest(password))
    if not uid:
        _logger.warning('login failed for %r on database %s from %s', login, dbname, source)
        return False
    login_guard.clear(store, login, source)
    _logger.info('login of %r (uid %s) on %s from %s', login, uid, dbname, source)
    return uid


def _record_login(cr, uid):
    """Best effort: a concurrent login of the same user must not fail this one."""
    try:
        with cr.savepoint():
            cr.execute('SELECT id FROM res_users WHERE id = %s FOR UPDATE NOWAIT', (uid,))
            cr.execute("UPDATE res_users SET login_date = now() at time zone 'UTC' WHERE id = %s", (uid,))
    except psycopg2.Error:
        pass


class NeedsReservation(Exception):
    """The credential cache missed inside a call that reserved no attempt: reserve, run again."""


class CallCredentials:
    """The credentials of one call: checked inside its transaction, after the signals, so a
    password changed by another process is never accepted from a stale cache.

    :meth:`prepare` runs before the transaction: when the cache has no matching digest for this
    user and address, it reserves an attempt with the back-off (refusing the call while the key is
    cooling down). :meth:`check` then verifies the hash only under a reservation, and
    :meth:`finish` clears the count once the password proved right.
    """

    __slots__ = ('dbname', 'uid', 'password', 'source', 'reserved', 'verified', '_key')

    def __init__(self, dbname, uid, password, remote_addr=None):
        self.dbname, self.uid, self.password = dbname, uid, password
        self.source = _source(remote_addr)
        self.reserved = self.verified = False
        self._key = None

    def _well_formed(self):
        return isinstance(self.uid, int) and not isinstance(self.uid, bool) and _valid_password(self.password)

    def prepare(self, registry):
        """Reserve an attempt unless this process already knows the password is right."""
        if not self._well_formed():
            raise AccessDenied()
        if self._known(registry.cache('credentials')):
            return
        self.reserve()

    def _known(self, cache):
        """Whether ``cache`` proves the password. A wrong one drops the proof this address had:
        otherwise, while the back-off refuses its guesses, the cache would still tell a right
        guess from a wrong one, unthrottled."""
        if cache is None:
            return False
        key = (self.uid, self.source)
        known = cache.get(key)
        if known is None:
            return False
        if hmac.compare_digest(known, _digest(self.password)):
            return True
        cache.pop(key)
        return False

    def reserve(self):
        if self.reserved:
            return
        self._key = _guard_key(self.dbname, self.uid)
        if not login_guard.reserve(login_guard.Store(self.dbname), self._key, self.source):
            raise AccessDenied()
        self.reserved = True

    def check(self, cr, registry):
        """Raise :class:`AccessDenied` unless the password is the current one of the user."""
        if not self._well_formed():
            raise AccessDenied()
        if self._known(registry.cache_for(cr, 'credentials')):
            return
        if not self.reserved:
            raise NeedsReservation()
        Environment(cr, SUPERUSER_ID, {}, registry)['res.users']._check_credentials(self.uid, self.password)
        self.verified = True
        registry.cache_store(cr, 'credentials', (self.uid, self.source), _digest(self.password))

    def finish(self):
        if self.reserved and self.verified:
            login_guard.clear(login_guard.Store(self.dbname), self._key, self.source)


def _guard_key(dbname, uid):
    """The back-off key of ``uid``: its login, so that guesses through ``login`` and through
    ``execute`` count together (``#<uid>`` for an id that is no user)."""
    try:
        with sql_db.cursor(dbname, readonly=True) as cr:
            cr.execute('SELECT login FROM res_users WHERE id = %s', (uid,))
            row = cr.fetchone()
    except psycopg2.Error:
        row = None
    return row[0] if row else '#%d' % uid


def check(cr, registry, uid, password, remote_addr=None):
    """Raise :class:`AccessDenied` unless ``password`` is the current password of ``uid``, for
    server code already inside a transaction (a cron job, a test probe): a cache miss reserves an
    attempt with the back-off like any call."""
    credentials = CallCredentials(cr.dbname, uid, password, remote_addr)
    try:
        credentials.check(cr, registry)
    except NeedsReservation:
        credentials.reserve()
        credentials.check(cr, registry)
        credentials.finish()


def user_summary(dbname, uid):
    """``{'name', 'partner_id', 'company_id'}`` of user ``uid`` (bare ids), for the web session
    routes: a user's own session reports them whatever that user may read of ``res.users``."""
    registry = Registry.get(dbname)
    with sql_db.cursor(dbname, readonly=True) as cr:
        registry = registry.check_signals(cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        rows = (
            env['res.users']
            .browse(uid)
            .exists()
            .read(['name', 'partner_id', 'company_id'], load='_classic_write')
        )
    return rows[0] if rows else None


def check_session(info, sid):
    """The :class:`~openerp_lite.service.session.Session` of web session ``sid``, checked.

    The web routes call with a session instead of ``(uid, password)``: the session row proves the
    login (its credential is bound to the user's current password hash), so no password is kept
    anywhere. The database the id names is checked like any other database named by the wire
    before anything touches it. Raises :class:`~openerp_lite.exceptions.SessionExpired` when the
    session does not hold.
    """
    from . import session

    return session.load(info, sid)
