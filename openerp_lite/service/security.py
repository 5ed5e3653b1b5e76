"""Authentication of RPC calls.

Every call carries ``(db, uid, password)``. Checking a password hash costs tens of milliseconds on
purpose, so successful checks are remembered per process in the registry's ``credentials`` cache,
as keyed digests (never the clear password). Changing a user's password, groups or active flag
drops that cache.
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

_logger = logging.getLogger(__name__)

#: random per process: a digest in the cache is useless outside it
_CACHE_KEY = os.urandom(32)


def _digest(password):
    return hmac.new(_CACHE_KEY, password.encode('utf-8'), hashlib.sha256).digest()


def login(dbname, login, password, user_agent_env=None, remote_addr=None):
    """The uid of ``login`` when ``password`` is right, else ``False`` (never a fault)."""
    if not isinstance(login, str) or not isinstance(password, str) or not login or not password:
        return False
    with sql_db.cursor(dbname) as cr:
        registry = Registry.get(dbname).check_signals(cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        uid = env['res.users']._authenticate(login, password)
        if uid:
            _record_login(cr, uid)
            registry.cache_store(cr, 'credentials', uid, _digest(password))
    if not uid:
        _logger.warning('login failed for %r on database %s from %s', login, dbname, remote_addr or '?')
        return False
    _logger.info('login of %r (uid %s) on %s from %s', login, uid, dbname, remote_addr or '?')
    return uid


def _record_login(cr, uid):
    """Best effort: a concurrent login of the same user must not fail this one."""
    try:
        with cr.savepoint():
            cr.execute('SELECT id FROM res_users WHERE id = %s FOR UPDATE NOWAIT', (uid,))
            cr.execute("UPDATE res_users SET login_date = now() at time zone 'UTC' WHERE id = %s", (uid,))
    except psycopg2.Error:
        pass


def check(cr, registry, uid, password):
    """Raise :class:`AccessDenied` unless ``password`` is the current password of ``uid``.

    Runs inside the caller's transaction, after ``registry.check_signals(cr)``, so a password
    changed by another process is never accepted from a stale cache.
    """
    if not isinstance(uid, int) or isinstance(uid, bool) or not isinstance(password, str) or not password:
        raise AccessDenied()
    cache = registry.cache_for(cr, 'credentials')
    known = cache.get(uid) if cache is not None else None
    digest = _digest(password)
    if known is not None and hmac.compare_digest(known, digest):
        return
    Environment(cr, SUPERUSER_ID, {}, registry)['res.users']._check_credentials(uid, password)
    registry.cache_store(cr, 'credentials', uid, digest)


def check_session(sid, timeout=0):
    """The :class:`~openerp_lite.service.session.Session` of web session ``sid``, checked.

    The web routes call with a session instead of ``(uid, password)``: the session row proves the
    login (its credential is bound to the user's current password hash), so no password is kept
    anywhere. Raises :class:`~openerp_lite.exceptions.SessionExpired` when it does not hold.
    """
    from . import session
    return session.load(sid, timeout)
