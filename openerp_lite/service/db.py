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
import io
import ipaddress
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile

from passlib.hash import pbkdf2_sha512
from psycopg2 import sql

from .. import catalog, release, sql_db
from ..exceptions import AccessDenied, UserError
from ..tools import config, sql_script
from . import login_guard
from .base import call_exposed, db_allowed, forget_served, is_served, require_str
from .common import serie_of

_logger = logging.getLogger(__name__)

DB_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers silently; refuse them instead

LANGUAGES = [
    ['en_US', 'English (US)'],
    ['en_GB', 'English (UK)'],
    ['fr_FR', 'French / Français'],
    ['de_DE', 'German / Deutsch'],
    ['es_ES', 'Spanish / Español'],
    ['it_IT', 'Italian / Italiano'],
    ['nl_NL', 'Dutch / Nederlands'],
    ['pt_BR', 'Portuguese (BR) / Português (BR)'],
    ['pt_PT', 'Portuguese / Português'],
    ['pl_PL', 'Polish / Język polski'],
    ['ru_RU', 'Russian / русский язык'],
    ['zh_CN', 'Chinese (Simplified) / 简体中文'],
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


#: the master password's hash once ``change_admin_password`` set a new one in this process: the
#: settings stay as they were read (immutable), this is the process's own later knowledge
_changed_master = {'hash': None}


def master_password_hash(options):
    """The master password this process checks: the one changed over the wire, if any, else the
    one of the settings."""
    return _changed_master['hash'] or options.admin_passwd


def check_master(info, password):
    """Refuse (AccessDenied) unless ``password`` is the master password, checked through the
    back-off; the default master password only from a loopback address."""
    stored = master_password_hash(info.options)
    source = info.remote_addr or '-'
    if is_default_master(stored) and not _from_loopback(info.remote_addr):
        _logger.warning(
            'db service: the default master password is refused from %s (set '
            'admin_passwd in the config file)',
            source,
        )
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
        _logger.warning(
            'the master password is the default "admin": the db service accepts it '
            'from loopback addresses only. Set admin_passwd in the config file (or '
            'call db.change_admin_password) to manage databases from elsewhere.'
        )


# -- names and catalog queries -----------------------------------------------------------------


def valid_name(name):
    return isinstance(name, str) and len(name) <= _MAX_NAME and DB_NAME.match(name) is not None


def check_name(name):
    require_str(name, 'Database name')
    if not valid_name(name):
        raise UserError(
            'Invalid database name %r: use letters, digits, "_", "." and "-", starting '
            'with a letter or digit, at most %d characters.' % (name, _MAX_NAME)
        )
    return name


def _exists(name):
    """True when a database called ``name`` exists in the cluster, served or not."""
    return bool(
        valid_name(name) and sql_db.admin_query('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
    )


def _terminate_sessions(cr, name):
    """Disconnect every other session on ``name`` (DROP/RENAME/TEMPLATE need it alone)."""
    cr.execute(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
        'WHERE datname = %s AND pid <> pg_backend_pid()',
        (name,),
    )


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
    _run_admin(
        [
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        ]
    )


def _drop(name):
    _forget_database(name)
    _run_admin([sql.SQL('DROP DATABASE IF EXISTS {}').format(sql.Identifier(name))], terminate=[name])


def _require_absent(info, name):
    """A new database ``name``: a name the filter lets through, and free in the cluster."""
    if not db_allowed(info, name):
        raise UserError('Database name %r is outside --db-filter: this server would not serve it.' % name)
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
    return served_databases(info)


def served_databases(info):
    """Names of the databases this server serves for this call (marked, owned, through
    ``--db-filter``), whether or not the list may be shown to clients."""
    excluded = ('postgres', 'template0', 'template1', info.options.db_template)
    return [name for name in catalog.marked_databases() if name not in excluded and db_allowed(info, name)]


def exist(info, db_name):
    """Whether ``db_name`` is a database this server serves (others do not exist for it)."""
    return is_served(info, db_name)


def server_version(info):
    return serie_of(info.options)


def list_lang(info):
    return [list(pair) for pair in LANGUAGES]


def create_database(
    info,
    master_pwd,
    db_name,
    demo=False,
    lang='en_US',
    user_password='admin',
    login='admin',
    country_code=None,
):
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

    kwargs = {'demo': bool(demo), 'lang': lang or 'en_US', 'login': login, 'password': user_password}
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
    _run_admin(
        [
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
                sql.Identifier(db_name), sql.Identifier(db_original_name)
            )
        ],
        terminate=[db_original_name],
    )
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
    _run_admin(
        [
            sql.SQL('ALTER DATABASE {} RENAME TO {}').format(
                sql.Identifier(old_name), sql.Identifier(new_name)
            )
        ],
        terminate=[old_name],
    )
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
    _changed_master['hash'] = hash_master_password(new_password)
    if info.options.config:
        config.save(info.options.replace(admin_passwd=_changed_master['hash']))
        _logger.info('db service: master password changed and saved to %s', info.options.config)
    else:
        _logger.info('db service: master password changed (no config file: until restart)')
    return True


# -- dump and restore --------------------------------------------------------------------------


def _server_major():
    ((version,),) = sql_db.admin_query('SHOW server_version_num')
    return int(version) // 10000


def _tool_major(path):
    try:
        out = subprocess.run(
            [path, '--version'], capture_output=True, text=True, timeout=30, check=False
        ).stdout
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
        raise UserError(
            '%s is not installed: it was found neither on PATH nor in the pgserver '
            'package. Install the PostgreSQL client tools to dump or restore.' % name
        )
    server_major = _server_major()
    for path in candidates:
        major = _tool_major(path)
        if major is not None and major >= server_major:
            return path
    raise UserError(
        'No %s for PostgreSQL %d or newer was found (tried %s).' % (name, server_major, ', '.join(candidates))
    )


def _pg_env():
    params = sql_db.connection_params('postgres')
    env = dict(os.environ)
    for key, var in (('host', 'PGHOST'), ('port', 'PGPORT'), ('user', 'PGUSER'), ('password', 'PGPASSWORD')):
        if params.get(key):
            env[var] = str(params[key])
    env['PGAPPNAME'] = 'openerp-lite'
    return env


#: the formats ``dump`` writes: Odoo's zip, and pg_dump's custom format under its two names
DUMP_FORMATS = ('zip', 'custom', 'dump')
ZIP_MAGIC = b'PK\x03\x04'
CUSTOM_MAGIC = b'PGDMP'
#: a zip may unpack to this many times --max-request-size at most (the request that brought it)
ZIP_EXPANSION = 20
#: a manifest is a few hundred bytes; anything past this is not one
_MAX_MANIFEST = 1 << 20


def dump(info, master_pwd, db_name, format='custom'):
    """Base64 text of a backup of ``db_name``.

    ``format='custom'`` (or ``'dump'``, the default, as OpenERP 7 answered): ``pg_dump
    --format=custom --no-owner``. ``format='zip'``, what Odoo 9 and later clients ask for: a zip
    holding ``dump.sql`` (``pg_dump --format=plain --no-owner``), ``manifest.json`` and a
    ``filestore/`` folder (see :func:`_add_filestore`).
    """
    check_master(info, master_pwd)
    check_name(db_name)
    if format not in DUMP_FORMATS:
        raise UserError(
            'Unsupported dump format %r: use "zip" (Odoo\'s backup) or "custom" (pg_dump -Fc).' % (format,)
        )
    _require_served(info, db_name)
    tool = find_pg_tool('pg_dump')
    if format == 'zip':
        raw = _dump_zip(tool, db_name)
    else:
        raw = _pg_dump(tool, db_name, 'custom')
    _logger.info('db service: dumped %s as %s (%d bytes)', db_name, format, len(raw))
    return base64.b64encode(raw).decode('ascii')


def _pg_dump(tool, db_name, kind, path=None):
    """The bytes of ``pg_dump --format=<kind> --no-owner`` (written to ``path`` instead when
    given, so a plain dump never has to sit in memory twice)."""
    cmd = [tool, '--format=%s' % kind, '--no-owner']
    if path:
        cmd += ['--file', path]
    proc = subprocess.run(cmd + [db_name], capture_output=True, env=_pg_env(), check=False)
    if proc.returncode != 0:
        raise UserError('Dump of %r failed: %s' % (db_name, proc.stderr.decode('utf-8', 'replace')))
    return proc.stdout


def manifest(db_name):
    """What a zip backup says about itself, in the layout Odoo writes (``odoo_dump`` "1"), so
    tools that read Odoo backups find their keys; the versions are openerp-lite's own."""
    ((server_version,),) = sql_db.admin_query('SHOW server_version_num')
    server_version = int(server_version)
    with sql_db.cursor(db_name, readonly=True) as cr:
        cr.execute(
            "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed' ORDER BY name"
        )
        modules = {name: version for name, version in cr.fetchall()}
    return {
        'odoo_dump': '1',
        'db_name': db_name,
        'version': release.version,
        'version_info': list(release.version_info),
        'major_version': release.major_version,
        'pg_version': '%d.%d' % divmod(server_version, 10000),
        'modules': modules,
    }


def _dump_zip(tool, db_name):
    with tempfile.TemporaryDirectory(prefix='oel-dump-') as folder:
        sql_path = os.path.join(folder, 'dump.sql')
        _pg_dump(tool, db_name, 'plain', sql_path)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.write(sql_path, 'dump.sql')
            archive.writestr('manifest.json', json.dumps(manifest(db_name), indent=4))
            folder_entry = zipfile.ZipInfo('filestore/')
            folder_entry.external_attr = (0o40755 << 16) | 0x10  # a directory, for unzip
            archive.writestr(folder_entry, b'')
            _add_filestore(archive, db_name)
    return buffer.getvalue()


def _add_filestore(archive, db_name):
    """Put the files of ``db_name``'s filestore under ``filestore/`` in ``archive``.

    openerp-lite keeps no files outside PostgreSQL (binary fields are columns), so there is
    nothing to add: this is where attachments stored on disk would go, and restoring them would
    be the matching step in :func:`_restore_zip` (which today ignores ``filestore/`` members)."""
    return None


def _decode_dump(data):
    """``(kind, bytes)`` of a backup: ``'custom'`` (pg_dump -Fc) or ``'zip'``, told apart by
    their first bytes; raw bytes (an XML-RPC binary) or base64 text."""
    if isinstance(data, (bytes, bytearray)) and (
        bytes(data[:5]) == CUSTOM_MAGIC or bytes(data[:4]) == ZIP_MAGIC
    ):
        raw = bytes(data)
    else:
        if not isinstance(data, (str, bytes, bytearray)):
            require_str(data, 'Dump data')
        try:
            raw = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError) as error:
            raise UserError('The dump is not valid base64: %s' % error)
    if raw[:5] == CUSTOM_MAGIC:
        return 'custom', raw
    if raw[:4] == ZIP_MAGIC:
        return 'zip', raw
    raise UserError(
        'The data is neither a PostgreSQL custom-format dump (pg_dump -Fc) nor a zip '
        'backup (dump.sql and manifest.json).'
    )


def _unsafe_member(name):
    """True for a member name that would land outside the folder it is unpacked in."""
    if not name or '\x00' in name:
        return True
    normal = name.replace('\\', '/')
    if normal.startswith('/') or re.match(r'^[A-Za-z]:', normal):
        return True
    return '..' in normal.split('/')


def _open_zip(raw, limit):
    """The checked archive of a zip backup: every member name relative and inside it, the whole
    at most ``limit`` bytes unpacked, no encrypted member, and a ``dump.sql``. Refused with a
    UserError before anything is created."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise UserError('The backup is not a readable zip file: %s' % error)
    total = 0
    for member in members:
        if _unsafe_member(member.filename):
            raise UserError(
                'The backup holds a file named %r, outside the archive: refused.' % member.filename
            )
        if member.flag_bits & 0x1:
            raise UserError('The backup holds an encrypted file (%s): refused.' % member.filename)
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UserError(
                'The backup holds %s, compressed in a way this server does not read '
                '(use deflate).' % member.filename
            )
        total += member.file_size
        if total > limit:
            raise UserError(
                'The backup unpacks to more than %d bytes (%d times '
                '--max-request-size): refused.' % (limit, ZIP_EXPANSION)
            )
    names = {member.filename for member in members}
    if 'dump.sql' not in names:
        raise UserError(
            'The zip holds no dump.sql: it is not a backup (expected dump.sql and '
            'manifest.json, as db.dump(..., "zip") writes).'
        )
    if 'manifest.json' in names:
        info = archive.getinfo('manifest.json')
        try:
            if info.file_size > _MAX_MANIFEST:
                raise ValueError('too large')
            if not isinstance(json.loads(archive.read(info)), dict):
                raise ValueError('not a JSON object')
        except (ValueError, zipfile.BadZipFile, UnicodeDecodeError) as error:
            raise UserError('The manifest.json of the backup is unreadable: %s' % error)
    return archive


class _Bounded(io.RawIOBase):
    """A reader that fails past ``limit`` bytes, whatever the zip headers said."""

    def __init__(self, stream, limit):
        self._stream, self._left = stream, limit

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise UserError('The dump.sql of the backup is larger than its zip says: refused.')
        buffer[: len(data)] = data
        return len(data)


def _restore_zip(archive, db_name, limit):
    """Run the archive's dump.sql in the new database ``db_name`` (:func:`_run_dump_sql`)."""
    try:
        with archive.open('dump.sql') as member:
            return _run_dump_sql(db_name, io.BufferedReader(_Bounded(member, limit), 1 << 16))
    except zipfile.BadZipFile as error:
        raise UserError('The dump.sql of the backup is corrupt: %s' % error)


def _run_dump_sql(db_name, stream):
    """Run the plain SQL dump ``stream`` in database ``db_name`` (``tools.sql_script``: its SQL and
    COPY data, never a psql command) as one transaction, ended by ``RESET ALL``.

    A dump sets session parameters (``search_path`` to nothing, ``check_function_bodies``...).
    Through a transaction-mode pooler (PgBouncer) a session setting outlives its client on the
    server session, and the next client of that session would inherit it: one transaction keeps
    the whole dump on one server session, and ``RESET ALL`` before ``COMMIT`` leaves it as it was.
    """
    conn = sql_db.admin_connection(db_name)
    try:
        with conn.cursor() as cr:
            cr.execute('BEGIN')
        lines = sql_script.run(conn, stream)
        with conn.cursor() as cr:
            cr.execute('RESET ALL; COMMIT')
    finally:
        conn.close()
    return lines


def _restore_custom(tool, raw, db_name):
    """Restore the custom-format dump ``raw`` into ``db_name``: ``pg_restore`` turns it into SQL,
    run by :func:`_run_dump_sql` (so that it too leaves no session setting behind)."""
    with (
        tempfile.NamedTemporaryFile(prefix='oel-restore-', suffix='.dump') as handle,
        tempfile.TemporaryFile() as errors,
    ):
        handle.write(raw)
        handle.flush()
        proc = subprocess.Popen(
            [tool, '--no-owner', '--file', '-', handle.name],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=_pg_env(),
        )
        try:
            _run_dump_sql(db_name, proc.stdout)
            # pg_restore wrote everything: its status says whether the dump was whole
            proc.stdout.read()
        finally:
            proc.stdout.close()
            returncode = proc.wait()
        if returncode != 0:
            errors.seek(0)
            raise UserError(
                'Restore into %r failed: %s' % (db_name, errors.read().decode('utf-8', 'replace'))
            )


def _give_new_identity(db_name):
    """What ``copy=True`` means: the restored database is another one than its origin, so it
    gets a new ``database.uuid`` (a service that tells instances apart by it must not take the
    copy for the original) and none of the origin's web sessions (an id is ``<secret>.<db>``: a
    secret stolen from the original would otherwise open a session on the copy)."""
    new_uuid = str(uuid.uuid4())
    with sql_db.cursor(db_name) as cr:
        cr.execute(
            'UPDATE ir_config_parameter SET value = %s, write_date = (now() at time zone '
            "'UTC') WHERE key = 'database.uuid'",
            (new_uuid,),
        )
        if not cr.rowcount:
            cr.execute(
                'INSERT INTO ir_config_parameter (key, value, create_date, write_date) '
                "VALUES ('database.uuid', %s, now() at time zone 'UTC', "
                "now() at time zone 'UTC')",
                (new_uuid,),
            )
        cr.execute("SELECT to_regclass('web_session') IS NOT NULL")
        if cr.fetchone()[0]:
            cr.execute('DELETE FROM web_session')
    sql_db.close_db(db_name)
    return new_uuid


def restore(info, master_pwd, db_name, data, copy=False):
    """Create ``db_name`` from a base64 backup, custom-format or zip (told by its first bytes);
    refuses an existing name, and anything that is not a backup of an openerp-lite database,
    leaving no database behind. ``copy=True``: the new database is a copy, with an identity of
    its own (:func:`_give_new_identity`); ``copy=False`` restores the same database, identity
    included (a move, or a recovery)."""
    check_master(info, master_pwd)
    check_name(db_name)
    kind, raw = _decode_dump(data)
    limit = ZIP_EXPANSION * int(info.options.max_request_size or 0) or ZIP_EXPANSION << 25
    archive = _open_zip(raw, limit) if kind == 'zip' else None
    _require_absent(info, db_name)
    tool = find_pg_tool('pg_restore') if kind == 'custom' else None
    _create_empty(db_name, 'template0')
    try:
        if kind == 'zip':
            _restore_zip(archive, db_name, limit)
        else:
            _restore_custom(tool, raw, db_name)
        if not _mark_if_initialised(db_name):
            raise UserError(
                'The dump restored into %r is not an openerp-lite database (base is '
                'not installed in it).' % db_name
            )
        if copy:
            _give_new_identity(db_name)
    except BaseException:
        _drop(db_name)
        raise
    _logger.info(
        'db service: restored %s from a %s backup (%d bytes)%s',
        db_name,
        kind,
        len(raw),
        ' as a copy' if copy else '',
    )
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
