"""The ``common`` service: version, about, login — callable without credentials."""

import logging
import re

import psycopg2

from .. import release
from ..exceptions import AccessDenied
from . import security
from .base import call_exposed, catalog_exists, is_served, not_served

_logger = logging.getLogger(__name__)


def serie_of(options):
    """The compatibility series reported to clients, e.g. ``'10.0'``."""
    return options.server_serie or release.DEFAULT_SERIE


def _version_info(serie):
    parts = [int(p) for p in re.findall(r'\d+', serie)[:2]]
    parts += [0] * (2 - len(parts))
    return parts + [0, 'final', 0, '']


def version(info):
    serie = serie_of(info.options)
    return {
        'server_version': serie,
        'server_version_info': _version_info(serie),
        'server_serie': serie,
        'protocol_version': release.PROTOCOL_VERSION,
        'openerp_lite_version': release.version,
    }


def about(info, extended=False):
    text = (
        'openerp-lite %s: an OpenERP-compatible ERP server speaking XML-RPC and JSON-RPC.' % release.version
    )
    if extended:
        return [text, serie_of(info.options)]
    return text


def _login(info, db, login, password, user_agent_env=None):
    # A bad login answers False whatever the reason: every client library turns False into its own
    # "wrong credentials" error, and a fault would surface as a different class.
    if not isinstance(login, str) or not isinstance(password, str) or not password:
        return False
    if not is_served(info, db):
        _logger.warning(
            'login of %r refused: %r is not a database this server serves (from %s)',
            login,
            db,
            info.remote_addr or '?',
        )
        return _not_served_login(info, db)
    try:
        return security.login(db, login, password, user_agent_env, info.remote_addr)
    except psycopg2.OperationalError:
        if not catalog_exists(db):
            return _not_served_login(info, db)
        raise


def _not_served_login(info, db):
    """A login naming a database that is not served: the missing-database error while the
    database list is public, else ``False`` like any wrong credentials."""
    error = not_served(info, db)
    if isinstance(error, AccessDenied):
        return False
    raise error


def login(info, db, login, password):
    return _login(info, db, login, password)


def authenticate(info, db, login, password, user_agent_env=None):
    return _login(info, db, login, password, user_agent_env if isinstance(user_agent_env, dict) else None)


def timezone_get(info, db=None, login=None, password=None):
    # Times are stored in UTC; the server's own zone is not something clients should depend on.
    return 'UTC'


METHODS = {
    'version': version,
    'about': about,
    'login': login,
    'authenticate': authenticate,
    'timezone_get': timezone_get,
}


def dispatch(method, params, info):
    return call_exposed(METHODS, 'common', method, params, info)
