"""The ``db`` service over real HTTP, on the system PostgreSQL and on the embedded one.

Until the ORM lands, ``create_database`` leaves an empty database: these tests assert only what
holds either way (the database exists, is listed, can be copied, renamed, dumped and dropped).
"""

import base64
import configparser
import xmlrpc.client

import psycopg2
import pytest

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


def _exists(pgkind, name):
    conn = pgsupport.admin_connect(pgkind)
    try:
        with conn.cursor() as cr:
            cr.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
            return cr.fetchone() is not None
    finally:
        conn.close()


def _sql(pgkind, dbname, query, params=None):
    conn = psycopg2.connect(dbname=dbname, **pgkind)
    try:
        with conn, conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


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
    _sql(pgkind, source, 'CREATE TABLE dump_probe (id serial PRIMARY KEY, name text, qty numeric)')
    _sql(pgkind, source, 'INSERT INTO dump_probe (name, qty) VALUES (%s, %s), (%s, %s)',
         ('alpha', 1.5, 'bêta', 42))
    dumped = db.dump(pwd, source)
    assert base64.b64decode(dumped)[:5] == b'PGDMP'

    assert db.restore(pwd, restored, dumped) is True
    query = 'SELECT id, name, qty FROM dump_probe ORDER BY id'
    assert _sql(pgkind, restored, query) == _sql(pgkind, source, query)
    assert restored in db.list()

    # restoring over an existing database is refused and leaves it alone
    with pytest.raises(xmlrpc.client.Fault) as info:
        db.restore(pwd, source, dumped)
    assert 'already exists' in info.value.faultString
    assert len(_sql(pgkind, source, query)) == 2


def test_restore_of_garbage_is_refused_and_leaves_nothing(dbserver, pgkind, names):
    name = names()
    with pytest.raises(xmlrpc.client.Fault) as info:
        dbserver.xmlrpc('db').restore(dbserver.admin_passwd, name,
                                      base64.b64encode(b'not a dump').decode())
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
