"""The ``db`` service over real HTTP, on the system PostgreSQL and on the embedded one.

Until the ORM lands, ``create_database`` leaves an empty database: these tests assert only what
holds either way (the database exists, is listed, can be copied, renamed, dumped and dropped).
"""

import base64
import configparser
import io
import json
import uuid
import xmlrpc.client
import zipfile

import pytest

from openerp_lite import release
from tests.support import pg as pgsupport
from tests.support import rpc
from tests.support.server import JsonRpcError, start_server


@pytest.fixture(scope='module', params=['system', 'embedded'])
def pgkind(request):
    if request.param == 'system':
        params = pgsupport.system_params()
        if params is None:
            pytest.skip('no system PostgreSQL answers')
        return params
    return pgsupport.embedded_params()


@pytest.fixture(scope='module')
def dbserver(pgkind):
    running = start_server(pgkind)
    yield running
    running.stop()


@pytest.fixture
def names(pgkind):
    """Fresh database names; whatever exists under them at the end is dropped."""
    made = []

    def new():
        made.append(pgsupport.new_db_name())
        return made[-1]

    yield new
    for name in made:
        pgsupport.drop_database(pgkind, name)


def _exists(pg, name):
    return pgsupport.database_exists(pg, name)


def test_create_list_duplicate_rename_drop_over_xmlrpc(dbserver, pgkind, names):
    db = dbserver.xmlrpc('db')
    pwd = dbserver.admin_passwd
    first, copy, renamed = names(), names(), names()
    assert db.create_database(pwd, first, False, 'en_US') is True
    assert _exists(pgkind, first)
    assert first in db.list()
    assert db.exist(first) is True
    assert db.db_exist(first) is True

    assert db.duplicate_database(pwd, first, copy) is True
    assert {first, copy} <= set(db.list())

    assert db.rename(pwd, copy, renamed) is True
    listed = db.list()
    assert renamed in listed and copy not in listed
    assert db.exist(copy) is False

    assert db.drop(pwd, renamed) is True
    assert db.drop(pwd, first) is True
    assert not _exists(pgkind, first) and not _exists(pgkind, renamed)
    assert db.drop(pwd, first) is False


def test_create_list_drop_over_jsonrpc(dbserver, pgkind, names):
    name = names()
    pwd = dbserver.admin_passwd
    assert dbserver.jsonrpc('db', 'create_database', pwd, name, False, 'en_US', 'admin') is True
    assert name in dbserver.jsonrpc('db', 'list')
    assert dbserver.jsonrpc('db', 'drop', pwd, name) is True
    assert not _exists(pgkind, name)


def test_create_refuses_an_existing_name(dbserver, names):
    name = names()
    db = dbserver.xmlrpc('db')
    db.create_database(dbserver.admin_passwd, name, False, 'en_US')
    with pytest.raises(xmlrpc.client.Fault) as info:
        db.create_database(dbserver.admin_passwd, name, False, 'en_US')
    assert info.value.faultCode == 2
    assert 'already exists' in info.value.faultString


def test_wrong_master_password_changes_nothing(dbserver, pgkind, names):
    # the guesses come from 127.0.0.2, so they slow down nobody else's master password
    guesser = rpc.proxy(dbserver, 'db', legacy=True, source='127.0.0.2')
    legacy = dbserver.xmlrpc('db', route='')
    pwd = dbserver.admin_passwd
    kept, other = names(), names()
    legacy.create_database(pwd, kept, False, 'en_US')
    calls = [
        ('create_database', ('wrong', other, False, 'en_US')),
        ('duplicate_database', ('wrong', kept, other)),
        ('rename', ('wrong', kept, other)),
        ('drop', ('wrong', kept)),
        ('dump', ('wrong', kept)),
        ('change_admin_password', ('wrong', 'new-password')),
    ]
    for method, args in calls:
        with pytest.raises(xmlrpc.client.Fault) as info:
            getattr(guesser, method)(*args)
        assert info.value.faultCode == 'AccessDenied', method
    assert _exists(pgkind, kept)
    assert not _exists(pgkind, other)
    # six failures from 127.0.0.2: the right password is refused from there for a while...
    with pytest.raises(xmlrpc.client.Fault) as info:
        guesser.drop(pwd, kept)
    assert info.value.faultCode == 'AccessDenied'
    assert _exists(pgkind, kept)
    # ...but not from another address, and it did not change
    assert legacy.drop(pwd, kept) is True


def test_invalid_database_names_never_reach_sql(dbserver, pgkind):
    db = dbserver.xmlrpc('db')
    for bad in ('x"; DROP DATABASE postgres; --', '-leading-dash', 'a b', '', 'x' * 64):
        with pytest.raises(xmlrpc.client.Fault) as info:
            db.create_database(dbserver.admin_passwd, bad, False, 'en_US')
        assert info.value.faultCode == 2
        assert db.exist(bad) is False
    assert _exists(pgkind, 'postgres')


def test_list_lang_and_server_version(dbserver):
    db = dbserver.xmlrpc('db')
    languages = db.list_lang()
    assert ['en_US', 'English (US)'] in languages
    assert db.server_version()[0].isdigit()


def test_list_refused_when_list_db_is_off(pgkind):
    hidden = start_server(pgkind, ['--no-database-list'])
    try:
        for route in ('', '2'):
            with pytest.raises(xmlrpc.client.Fault) as info:
                hidden.xmlrpc('db', route).list()
            assert info.value.faultCode in ('AccessDenied', 3)
        # OpenERP's document=True bypass does not exist here
        with pytest.raises(xmlrpc.client.Fault):
            hidden.xmlrpc('db').list(True)
        with pytest.raises(JsonRpcError) as info:
            hidden.jsonrpc('db', 'list')
        assert info.value.error['data']['name'] == 'openerp_lite.exceptions.AccessDenied'
    finally:
        hidden.stop()


def test_dump_then_restore_gives_the_same_data(dbserver, pgkind, names):
    db = dbserver.xmlrpc('db')
    pwd = dbserver.admin_passwd
    source, restored = names(), names()
    db.create_database(pwd, source, False, 'en_US')
    pgsupport.sql(pgkind, source, 'CREATE TABLE dump_probe (id serial PRIMARY KEY, name text, qty numeric)')
    pgsupport.sql(
        pgkind,
        source,
        'INSERT INTO dump_probe (name, qty) VALUES (%s, %s), (%s, %s)',
        ('alpha', 1.5, 'bêta', 42),
    )
    dumped = db.dump(pwd, source)
    assert base64.b64decode(dumped)[:5] == b'PGDMP'

    assert db.restore(pwd, restored, dumped) is True
    query = 'SELECT id, name, qty FROM dump_probe ORDER BY id'
    assert pgsupport.sql(pgkind, restored, query) == pgsupport.sql(pgkind, source, query)
    assert restored in db.list()

    # restoring over an existing database is refused and leaves it alone
    with pytest.raises(xmlrpc.client.Fault) as info:
        db.restore(pwd, source, dumped)
    assert 'already exists' in info.value.faultString
    assert len(pgsupport.sql(pgkind, source, query)) == 2


def test_restore_of_garbage_is_refused_and_leaves_nothing(dbserver, pgkind, names):
    name = names()
    with pytest.raises(xmlrpc.client.Fault) as info:
        dbserver.xmlrpc('db').restore(dbserver.admin_passwd, name, base64.b64encode(b'not a dump').decode())
    assert info.value.faultCode == 2
    assert not _exists(pgkind, name)


def _stored_master_password(config_path):
    parser = configparser.RawConfigParser()
    parser.read(config_path)
    return parser.get('options', 'admin_passwd')


def test_change_admin_password_is_stored_hashed_and_survives_restart(pgkind, tmp_path):
    first = start_server(pgkind, admin_passwd='old-master')
    try:
        db = first.xmlrpc('db')
        assert db.change_admin_password('old-master', 'new-master') is True
        with pytest.raises(xmlrpc.client.Fault):
            db.drop('old-master', 'oelt_absent')
        assert db.drop('new-master', 'oelt_absent') is False
        saved = tmp_path / 'saved.conf'
        saved.write_text(open(first.config_path, encoding='utf-8').read(), encoding='utf-8')
    finally:
        first.stop()
    stored = _stored_master_password(str(saved))
    assert stored.startswith('$pbkdf2-sha512$') and 'new-master' not in stored

    # a server reading that config file (the last -c wins) accepts the new password
    second = start_server(pgkind, ['-c', str(saved)], admin_passwd='unused')
    try:
        assert second.xmlrpc('db').drop('new-master', 'oelt_absent') is False
    finally:
        second.stop()


def test_save_writes_the_master_password_hashed(pgkind):
    running = start_server(pgkind, ['-s'], admin_passwd='plain-master')
    try:
        stored = _stored_master_password(running.config_path)
        assert stored.startswith('$pbkdf2-sha512$')
        assert running.xmlrpc('db').drop('plain-master', 'oelt_absent') is False
    finally:
        running.stop()


def test_db_filter_limits_the_list(pgkind, names):
    kept = pgsupport.new_db_name('oeltkeep')
    foreign = pgsupport.new_db_name('oeltkeep')
    hidden = names()
    for name in (kept, foreign, hidden):
        pgsupport.create_database(pgkind, name)
    # openerp-lite databases carry the catalog mark; the foreign one (someone else's) does not
    for name in (kept, hidden):
        pgsupport.mark_database(pgkind, name)
    running = start_server(pgkind, ['--db-filter', '^oeltkeep_.*'])
    try:
        listed = running.xmlrpc('db').list()
        assert kept in listed and hidden not in listed and foreign not in listed
        assert all(name.startswith('oeltkeep_') for name in listed)
        db = running.xmlrpc('db')
        assert db.exist(kept) is True
        assert db.exist(hidden) is False and db.exist(foreign) is False
    finally:
        running.stop()
        pgsupport.drop_database(pgkind, kept)
        pgsupport.drop_database(pgkind, foreign)


# -- zip backups (Odoo's format) -----------------------------------------------------------------

ZIP_PROBE = 'SELECT id, name, qty FROM dump_probe ORDER BY id'
SOURCE_UUID = '00000000-0000-4000-8000-000000000001'


@pytest.fixture(scope='module')
def zip_source(dbserver, pgkind):
    """A database with a probe table, a known database.uuid and one web session, and its zip
    backup (base64) taken over XML-RPC."""
    name = pgsupport.new_db_name()
    pwd = dbserver.admin_passwd
    db = dbserver.xmlrpc('db')
    db.create_database(pwd, name, False, 'en_US')
    pgsupport.sql(pgkind, name, 'CREATE TABLE dump_probe (id serial PRIMARY KEY, name text, qty numeric)')
    pgsupport.sql(
        pgkind,
        name,
        'INSERT INTO dump_probe (name, qty) VALUES (%s, %s), (%s, %s), (%s, %s)',
        ('alpha', 1.5, 'bêta; \\N', 42, None, None),
    )
    pgsupport.sql(
        pgkind,
        name,
        "INSERT INTO ir_config_parameter (key, value) VALUES ('database.uuid', %s)",
        (SOURCE_UUID,),
    )
    pgsupport.sql(
        pgkind,
        name,
        'INSERT INTO web_session (sid_hash, db, uid, login, credential) '
        "VALUES ('\\x01', %s, 1, 'admin', '\\x02')",
        (name,),
    )
    yield name, db.dump(pwd, name, 'zip')
    pgsupport.drop_database(pgkind, name)


def _zip_of(dumped):
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(dumped)))


def _identity(pgkind, name):
    uuid_rows = pgsupport.sql(
        pgkind, name, "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"
    )
    return [row[0] for row in uuid_rows], pgsupport.sql(pgkind, name, 'SELECT count(*) FROM web_session')[0][
        0
    ]


def test_zip_dump_holds_dump_sql_manifest_and_filestore(dbserver, pgkind, zip_source):
    name, dumped = zip_source
    archive = _zip_of(dumped)
    assert set(archive.namelist()) == {'dump.sql', 'manifest.json', 'filestore/'}
    assert archive.getinfo('filestore/').is_dir()
    sql_text = archive.read('dump.sql').decode()
    assert 'CREATE TABLE public.dump_probe' in sql_text and 'COPY public.dump_probe' in sql_text
    assert 'OWNER TO' not in sql_text  # --no-owner
    manifest = json.loads(archive.read('manifest.json'))
    ((server_version,),) = pgsupport.sql(pgkind, 'postgres', 'SHOW server_version_num')[0:1]
    installed = dict(
        pgsupport.sql(
            pgkind, name, "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'"
        )
    )
    assert manifest == {
        'odoo_dump': '1',
        'db_name': name,
        'version': release.version,
        'version_info': list(release.version_info),
        'major_version': release.major_version,
        'pg_version': '%d.%d' % divmod(int(server_version), 10000),
        'modules': installed,
    }
    assert 'base' in manifest['modules']


def test_zip_restore_gives_the_same_data_on_every_route(dbserver, pgkind, names, zip_source):
    name, dumped = zip_source
    pwd = dbserver.admin_passwd
    over_xmlrpc, over_json, over_legacy = names(), names(), names()
    assert dbserver.xmlrpc('db').restore(pwd, over_xmlrpc, dumped) is True
    assert dbserver.jsonrpc('db', 'restore', pwd, over_json, dumped, False) is True
    assert dbserver.xmlrpc('db', route='').restore(pwd, over_legacy, dumped) is True
    expected = pgsupport.sql(pgkind, name, ZIP_PROBE)
    assert expected[1][1] == 'bêta; \\N' and expected[2][1:] == (None, None)
    listed = dbserver.xmlrpc('db').list()
    for restored in (over_xmlrpc, over_json, over_legacy):
        assert pgsupport.sql(pgkind, restored, ZIP_PROBE) == expected
        assert restored in listed  # marked as openerp-lite's
        # copy=False: the same database, identity and sessions included
        assert _identity(pgkind, restored) == ([SOURCE_UUID], 1)
    # the restored database serves logins like its origin
    uid = dbserver.xmlrpc('common').login(over_xmlrpc, 'admin', 'admin')
    assert uid == 1
    # a custom-format dump is still read, and told apart from a zip by its first bytes
    custom = dbserver.xmlrpc('db').dump(pwd, over_json, 'custom')
    assert base64.b64decode(custom)[:5] == b'PGDMP'
    again = names()
    assert dbserver.jsonrpc('db', 'restore', pwd, again, custom, True) is True
    assert pgsupport.sql(pgkind, again, ZIP_PROBE) == expected
    uuids, sessions = _identity(pgkind, again)
    assert uuids != [SOURCE_UUID] and sessions == 0


def test_zip_restore_as_a_copy_gets_a_new_identity(dbserver, pgkind, names, zip_source):
    _name, dumped = zip_source
    copied = names()
    assert dbserver.xmlrpc('db').restore(dbserver.admin_passwd, copied, dumped, True) is True
    (new_uuid,), sessions = _identity(pgkind, copied)
    assert new_uuid != SOURCE_UUID and str(uuid.UUID(new_uuid)) == new_uuid
    assert uuid.UUID(new_uuid).version == 4
    assert sessions == 0
    # a backup without database.uuid gets one
    pgsupport.sql(pgkind, copied, "DELETE FROM ir_config_parameter WHERE key = 'database.uuid'")
    second = names()
    dumped_again = dbserver.xmlrpc('db').dump(dbserver.admin_passwd, copied, 'zip')
    assert dbserver.xmlrpc('db', route='').restore(dbserver.admin_passwd, second, dumped_again, True) is True
    (created,), _sessions = _identity(pgkind, second)
    assert uuid.UUID(created).version == 4 and created != new_uuid


def _zip(members, stored=False):
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, 'w', method) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buffer.getvalue()


def _claiming_size(raw, size):
    """``raw`` (a zip of one stored member) with its central directory claiming ``size`` bytes
    unpacked: a zip bomb's headers without the work of making one."""
    at = raw.rindex(b'PK\x01\x02')
    return raw[: at + 24] + size.to_bytes(4, 'little') + raw[at + 28 :]


def test_malformed_zips_are_refused_and_leave_nothing(dbserver, pgkind, names, zip_source, tmp_path):
    _name, dumped = zip_source
    real_sql = _zip_of(dumped).read('dump.sql')
    witness = tmp_path / 'shell-ran'
    manifest = json.dumps({'odoo_dump': '1'})
    cases = {
        'garbage after the zip magic': b'PK\x03\x04' + b'\x00' * 64,
        'no dump.sql': _zip({'manifest.json': manifest, 'filestore/x': 'y'}),
        'a member climbing out': _zip({'dump.sql': real_sql, '../evil.sql': 'x'}),
        'an absolute member': _zip({'dump.sql': real_sql, '/tmp/evil.sql': 'x'}),
        'a zip bomb': _claiming_size(_zip({'dump.sql': 'SELECT 1;\n'}, stored=True), 0xFFFFFFF0),
        'a psql shell command': _zip(
            {
                'dump.sql': real_sql.replace(
                    b'\nCREATE TABLE', ('\n\\! touch %s\nCREATE TABLE' % witness).encode(), 1
                ),
                'manifest.json': manifest,
            }
        ),
        'a broken manifest': _zip({'dump.sql': real_sql, 'manifest.json': '{nope'}),
        'not an openerp-lite database': _zip({'dump.sql': 'CREATE TABLE t (x int);\n'}),
        'SQL the server refuses': _zip({'dump.sql': real_sql + b'\nCREATE TABLE;\n'}),
    }
    expected = {
        'garbage after the zip magic': 'not a readable zip',
        'no dump.sql': 'no dump.sql',
        'a member climbing out': 'outside the archive',
        'an absolute member': 'outside the archive',
        'a zip bomb': 'unpacks to more than',
        'a psql shell command': 'psql command',
        'a broken manifest': 'manifest.json',
        'not an openerp-lite database': 'not an openerp-lite database',
        'SQL the server refuses': 'refused by the database',
    }
    for case, raw in cases.items():
        data = base64.b64encode(raw).decode()
        for route in ('xmlrpc2', 'jsonrpc', 'legacy'):
            name = names()
            message = _refused_restore(dbserver, route, name, data)
            assert expected[case] in message, (case, route, message)
            assert not _exists(pgkind, name), (case, route)
    assert not witness.exists()


def _refused_restore(dbserver, route, name, data):
    """The message of the user error a restore of ``data`` into ``name`` gets over ``route``."""
    pwd = dbserver.admin_passwd
    if route == 'jsonrpc':
        with pytest.raises(JsonRpcError) as info:
            dbserver.jsonrpc('db', 'restore', pwd, name, data, True)
        assert info.value.error['data']['name'] == 'openerp_lite.exceptions.UserError'
        return info.value.error['data']['message']
    with pytest.raises(xmlrpc.client.Fault) as info:
        dbserver.xmlrpc('db', route='2' if route == 'xmlrpc2' else '').restore(pwd, name, data)
    if route == 'legacy':
        assert info.value.faultCode.startswith('warning -- '), info.value.faultCode
        return info.value.faultCode
    assert info.value.faultCode == 2
    return info.value.faultString
