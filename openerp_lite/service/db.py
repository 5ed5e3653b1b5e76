"""The ``db`` service: list, create, duplicate, rename, drop, dump and restore databases.

Every method that changes something takes the master password (``admin_passwd``) first and refuses
with AccessDenied before touching anything; wrong master passwords go through the login back-off
(``login_guard``), and the default one (``admin``, no config file) is accepted only from loopback
addresses. Database names are checked against a strict pattern before they reach SQL, and are
always quoted as identifiers. A database this server does not serve (``--db-filter``, the
openerp-lite mark of ``catalog``) does not exist for this service: it is not listed, ``exist``
says False, and ``drop``, ``dump``, ``duplicate`` and ``rename`` do not reach it; a new database
(created, restored, copied, renamed) must have a name the filter lets through.
"""

import base64
import binascii
import hmac
import ipaddress
import logging
import os
import re
import shutil
import subprocess
import tempfile

from passlib.hash import pbkdf2_sha512
from psycopg2 import sql

from .. import catalog, sql_db
from ..exceptions import AccessDenied, UserError
from ..tools import config
from . import login_guard
from .base import call_exposed, db_allowed, forget_served, is_served, require_str
from .common import serie_of

_logger = logging.getLogger(__name__)

DB_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers silently; refuse them instead

LANGUAGES = [
    ['en_US', 'English (US)'], ['en_GB', 'English (UK)'], ['fr_FR', 'French / Français'],
    ['de_DE', 'German / Deutsch'], ['es_ES', 'Spanish / Español'], ['it_IT', 'Italian / Italiano'],
    ['nl_NL', 'Dutch / Nederlands'], ['pt_BR', 'Portuguese (BR) / Português (BR)'],
    ['pt_PT', 'Portuguese / Português'], ['pl_PL', 'Polish / Język polski'],
    ['ru_RU', 'Russian / русский язык'], ['zh_CN', 'Chinese (Simplified) / 简体中文'],
    ['ja_JP', 'Japanese / 日本語'],
]


# -- master password ---------------------------------------------------------------------------

def is_hashed(stored):
    return isinstance(stored, str) and stored.startswith('$pbkdf2-sha512$')


def hash_master_password(password):
    """The form stored in the config file: a salted pbkdf2-sha512 hash."""
    return pbkdf2_sha512.hash(password)


def verify_master_password(password, stored):
    """True when ``password`` matches ``stored`` (a hash, or a plain value from a hand-written file)."""
    if not isinstance(password, str) or not stored:
        return False
    if is_hashed(stored):
        try:
            return pbkdf2_sha512.verify(password, stored)
        except ValueError:
            return False
    return hmac.compare_digest(password.encode('utf-8'), str(stored).encode('utf-8'))


#: the master password of a server started without one in its config file
DEFAULT_MASTER = 'admin'


def is_default_master(stored):
    """True while the master password is the well-known default."""
    return stored == DEFAULT_MASTER


def _from_loopback(remote_addr):
    """True for a call from this machine (or from Python, with no address at all)."""
    if remote_addr is None:
        return True
    try:
        return ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        return False


def check_master(info, password):
    """Refuse (AccessDenied) unless ``password`` is the master password, checked through the
    back-off; the default master password only from a loopback address."""
    stored = info.options.admin_passwd
    source = info.remote_addr or '-'
    if is_default_master(stored) and not _from_loopback(info.remote_addr):
        _logger.warning('db service: the default master password is refused from %s (set '
                        'admin_passwd in the config file)', source)
        raise AccessDenied()
    store, key = login_guard.MasterStore(), login_guard.master_key(stored)
    if not login_guard.reserve(store, key, source):
        raise AccessDenied()
    if not verify_master_password(password, stored):
        _logger.warning('db service: wrong master password from %s', source)
        raise AccessDenied()
    login_guard.clear(store, key, source)


def warn_if_default_master(options):
    """At start: say that the master password is the default one, and what that allows."""
    if is_default_master(options.admin_passwd):
        _logger.warning('the master password is the default "admin": the db service accepts it '
                        'from loopback addresses only. Set admin_passwd in the config file (or '
                        'call db.change_admin_password) to manage databases from elsewhere.')


# -- names and catalog queries -----------------------------------------------------------------

def valid_name(name):
    return isinstance(name, str) and len(name) <= _MAX_NAME and DB_NAME.match(name) is not None


def check_name(name):
    require_str(name, 'Database name')
    if not valid_name(name):
        raise UserError('Invalid database name %r: use letters, digits, "_", "." and "-", starting '
                        'with a letter or digit, at most %d characters.' % (name, _MAX_NAME))
    return name


def _exists(name):
    """True when a database called ``name`` exists in the cluster, served or not."""
    return bool(valid_name(name) and sql_db.admin_query(
        'SELECT 1 FROM pg_database WHERE datname = %s', (name,)))


def _terminate_sessions(cr, name):
    """Disconnect every other session on ``name`` (DROP/RENAME/TEMPLATE need it alone)."""
    cr.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
               'WHERE datname = %s AND pid <> pg_backend_pid()', (name,))


def _forget_database(name):
    """Drop what this process keeps about ``name`` before it is dropped, renamed or copied."""
    from ..registry import Registry
    Registry.delete(name)
    forget_served(name)
    sql_db.close_db(name)


def _run_admin(statements, terminate=()):
    conn = sql_db.admin_connection()
    try:
        with conn.cursor() as cr:
            for name in terminate:
                _terminate_sessions(cr, name)
            for statement in statements:
                cr.execute(statement)
    finally:
        conn.close()


def _create_empty(name, template):
    _run_admin([sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template))])


def _drop(name):
    _forget_database(name)
    _run_admin([sql.SQL('DROP DATABASE IF EXISTS {}').format(sql.Identifier(name))],
               terminate=[name])


def _require_absent(info, name):
    """A new database ``name``: a name the filter lets through, and free in the cluster."""
    if not db_allowed(info, name):
        raise UserError('Database name %r is outside --db-filter: this server would not serve it.'
                        % name)
    if _exists(name):
        raise UserError('Database %r already exists.' % name)


def _require_served(info, name):
    if not is_served(info, name):
        raise UserError('Database %r does not exist.' % name)


def _mark_if_initialised(name):
    """Mark a copied or restored database as openerp-lite's when ``base`` is installed in it (a
    database this service just made, so connecting to it touches nobody else's)."""
    from ..modules import loading  # lower layer, imported late: it pulls in the ORM
    try:
        with sql_db.cursor(name, readonly=True) as cr:
            initialised = loading.is_initialized(cr)
    finally:
        sql_db.close_db(name)
    if initialised:
        catalog.mark(name)
    return initialised


# -- exposed methods ---------------------------------------------------------------------------

def list_(info, document=False):
    """Names of the databases this server serves. ``document`` is accepted and ignored: there is
    deliberately no way to list databases over the wire when ``list_db`` is off."""
    if not info.options.list_db:
        raise AccessDenied('The database list is disabled on this server.')
    excluded = ('postgres', 'template0', 'template1', info.options.db_template)
    return [name for name in catalog.marked_databases()
            if name not in excluded and db_allowed(info, name)]


def exist(info, db_name):
    """Whether ``db_name`` is a database this server serves (others do not exist for it)."""
    return is_served(info, db_name)


def server_version(info):
    return serie_of(info.options)


def list_lang(info):
    return [list(pair) for pair in LANGUAGES]


def create_database(info, master_pwd, db_name, demo=False, lang='en_US', user_password='admin',
                    login='admin', country_code=None):
    """Create ``db_name`` and initialise it (blocking); a failure leaves no database behind."""
    check_master(info, master_pwd)
    check_name(db_name)
    require_str(lang or 'en_US', 'lang')
    require_str(login, 'login')
    require_str(user_password, 'user_password')
    _require_absent(info, db_name)
    _create_empty(db_name, info.options.db_template or 'template0')
    _logger.info('db service: created database %s', db_name)
    from .. import registry  # lower layer, imported late: it pulls in the ORM
    kwargs = {'demo': bool(demo), 'lang': lang or 'en_US', 'login': login,
              'password': user_password}
    if country_code:
        kwargs['country_code'] = country_code
    try:
        registry.create_database_schema(db_name, **kwargs)
    except BaseException:
        _logger.exception('db service: initialising %s failed, dropping it', db_name)
        _drop(db_name)
        raise
    return True


def duplicate_database(info, master_pwd, db_original_name, db_name):
    check_master(info, master_pwd)
    check_name(db_original_name)
    check_name(db_name)
    _require_served(info, db_original_name)
    _require_absent(info, db_name)
    _forget_database(db_original_name)
    _run_admin([sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
        sql.Identifier(db_name), sql.Identifier(db_original_name))],
        terminate=[db_original_name])
    catalog.mark(db_name)
    _logger.info('db service: duplicated %s to %s', db_original_name, db_name)
    return True


def drop(info, master_pwd, db_name):
    check_master(info, master_pwd)
    if not is_served(info, db_name):
        return False
    _drop(db_name)
    _logger.info('db service: dropped database %s', db_name)
    return True


def rename(info, master_pwd, old_name, new_name):
    check_master(info, master_pwd)
    check_name(old_name)
    check_name(new_name)
    _require_served(info, old_name)
    _require_absent(info, new_name)
    _forget_database(old_name)
    _run_admin([sql.SQL('ALTER DATABASE {} RENAME TO {}').format(
        sql.Identifier(old_name), sql.Identifier(new_name))], terminate=[old_name])
    _logger.info('db service: renamed %s to %s', old_name, new_name)
    return True


def change_admin_password(info, old_password, new_password):
    """Set a new master password, stored hashed; rewrites the config file when one is in use.

    Other processes of a multi-process server keep the old value until they restart.
    """
    check_master(info, old_password)
    require_str(new_password, 'New master password')
    if not new_password:
        raise UserError('The new master password must not be empty.')
    info.options.admin_passwd = hash_master_password(new_password)
    if info.options.config:
        config.save(info.options)
        _logger.info('db service: master password changed and saved to %s', info.options.config)
    else:
        _logger.info('db service: master password changed (no config file: until restart)')
    return True


# -- dump and restore --------------------------------------------------------------------------

def _server_major():
    (version,), = sql_db.admin_query('SHOW server_version_num')
    return int(version) // 10000


def _tool_major(path):
    try:
        out = subprocess.run([path, '--version'], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except OSError:
        return None
    match = re.search(r'(\d+)(?:\.\d+)?', out)
    return int(match.group(1)) if match else None


def _bundled_bin_dir():
    from .. import embedded_pg  # imports pgserver: only when a dump or restore needs it
    return embedded_pg.pg_bin_dir()


def find_pg_tool(name):
    """Path of ``pg_dump``/``pg_restore`` able to talk to the configured server.

    A client older than the server refuses to dump it, so the candidates (PATH first, then the
    copy bundled with pgserver) are checked for a major version at least the server's.
    """
    candidates = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    bundled_dir = _bundled_bin_dir()
    if bundled_dir and os.access(os.path.join(bundled_dir, name), os.X_OK):
        candidates.append(os.path.join(bundled_dir, name))
    if not candidates:
        raise UserError('%s is not installed: it was found neither on PATH nor in the pgserver '
                        'package. Install the PostgreSQL client tools to dump or restore.' % name)
    server_major = _server_major()
    for path in candidates:
        major = _tool_major(path)
        if major is not None and major >= server_major:
            return path
    raise UserError('No %s for PostgreSQL %d or newer was found (tried %s).'
                    % (name, server_major, ', '.join(candidates)))


def _pg_env():
    params = sql_db.connection_params('postgres')
    env = dict(os.environ)
    for key, var in (('host', 'PGHOST'), ('port', 'PGPORT'), ('user', 'PGUSER'),
                     ('password', 'PGPASSWORD')):
        if params.get(key):
            env[var] = str(params[key])
    env['PGAPPNAME'] = 'openerp-lite'
    return env


def dump(info, master_pwd, db_name, format='custom'):
    """Base64 text of ``pg_dump --format=custom --no-owner`` of ``db_name``."""
    check_master(info, master_pwd)
    check_name(db_name)
    if format not in ('custom', 'dump'):
        raise UserError('Unsupported dump format %r: only "custom" (pg_dump -Fc) is available.'
                        % (format,))
    _require_served(info, db_name)
    tool = find_pg_tool('pg_dump')
    proc = subprocess.run([tool, '--format=custom', '--no-owner', db_name], capture_output=True,
                          env=_pg_env(), check=False)
    if proc.returncode != 0:
        raise UserError('Dump of %r failed: %s' % (db_name, proc.stderr.decode('utf-8', 'replace')))
    _logger.info('db service: dumped %s (%d bytes)', db_name, len(proc.stdout))
    return base64.b64encode(proc.stdout).decode('ascii')


def _decode_dump(data):
    if isinstance(data, (bytes, bytearray)) and bytes(data[:5]) == b'PGDMP':
        return bytes(data)
    if not isinstance(data, (str, bytes, bytearray)):
        require_str(data, 'Dump data')
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as error:
        raise UserError('The dump is not valid base64: %s' % error)
    if raw[:5] != b'PGDMP':
        raise UserError('The data is not a PostgreSQL custom-format dump (pg_dump -Fc).')
    return raw


def restore(info, master_pwd, db_name, data, copy=False):
    """Create ``db_name`` from a base64 custom-format dump; refuses an existing name."""
    check_master(info, master_pwd)
    check_name(db_name)
    raw = _decode_dump(data)
    _require_absent(info, db_name)
    tool = find_pg_tool('pg_restore')
    _create_empty(db_name, 'template0')
    try:
        with tempfile.NamedTemporaryFile(prefix='oel-restore-', suffix='.dump') as handle:
            handle.write(raw)
            handle.flush()
            proc = subprocess.run([tool, '--no-owner', '--dbname', db_name, handle.name],
                                  capture_output=True, env=_pg_env(), check=False)
        if proc.returncode != 0:
            raise UserError('Restore into %r failed: %s'
                            % (db_name, proc.stderr.decode('utf-8', 'replace')))
        if not _mark_if_initialised(db_name):
            raise UserError('The dump restored into %r is not an openerp-lite database (base is '
                            'not installed in it).' % db_name)
    except BaseException:
        _drop(db_name)
        raise
    _logger.info('db service: restored %s (%d bytes)', db_name, len(raw))
    return True


METHODS = {
    'list': list_,
    'exist': exist,
    'db_exist': exist,
    'server_version': server_version,
    'list_lang': list_lang,
    'create_database': create_database,
    'duplicate_database': duplicate_database,
    'drop': drop,
    'rename': rename,
    'change_admin_password': change_admin_password,
    'dump': dump,
    'restore': restore,
}


def dispatch(method, params, info):
    return call_exposed(METHODS, 'db', method, params, info)
