"""The published client libraries, unchanged and with their default settings, against a real server.

erppeek 1.7.2 (XML-RPC and JSON-RPC), odoo-client-lib 2.0.1 (XML-RPC and JSON-RPC), odooly 2.6.7 (web
mode and /jsonrpc) and OdooRPC 0.10.1 (login over /jsonrpc at series 10, over
/web/session/authenticate below 10). Each is driven through its public API only, sending what
that library sends on its own. Plus the web-session routes themselves:
cookie flags, sessions shared between two server processes, expired/forged/destroyed ids.
"""

import json
import time
import urllib.request
import uuid
import zipfile
from http.cookiejar import CookieJar

import pytest

from tests.support import pg as pgsupport

odoolib_tools = pytest.importorskip('odoolib.tools')
AuthenticationError = odoolib_tools.AuthenticationError

erppeek = pytest.importorskip('erppeek')
odooly = pytest.importorskip('odooly')
odoolib = pytest.importorskip('odoolib')
odoorpc = pytest.importorskip('odoorpc')

UNKNOWN = 'no.such.model'


def _create_db(server):
    name = pgsupport.new_db_name('oelcli')
    server.xmlrpc('db').create_database(server.admin_passwd, name, False, 'en_US', 'admin')
    return name


@pytest.fixture(scope='module')
def db(server):
    """A fresh database with base (admin/admin, uid 1), dropped after the module."""
    name = _create_db(server)
    yield name
    server.xmlrpc('db').drop(server.admin_passwd, name)


def _company_and_contact(create, name):
    company = create({'name': name, 'is_company': True})
    contact = create({'name': 'Client Contact', 'parent_id': company})
    return company, contact


@pytest.fixture
def co():
    """A company name no other test uses (a failed run may leave its records behind)."""
    return 'Client Co %s' % uuid.uuid4().hex[:8]


# -- erppeek -------------------------------------------------------------------------------------


@pytest.mark.parametrize('suffix', ['', '/jsonrpc'], ids=['xmlrpc', 'jsonrpc'])
def test_erppeek_full_tour(server, db, suffix, co):
    url = server.url + suffix
    with pytest.raises(erppeek.Error, match='Invalid username or password'):
        erppeek.Client(url, db, 'admin', 'wrong')
    client = erppeek.Client(url, db, 'admin', 'admin')
    assert client.server_version.startswith('10.0')
    assert db in client.db.list()
    company, contact = _company_and_contact(lambda vals: client.create('res.partner', vals), co)
    assert client.search('res.partner', [('id', '=', contact)]) == [contact]
    row = client.read('res.partner', contact, ['name', 'parent_id'])
    assert row['parent_id'] == [company, co]
    classic = client.execute_kw('res.partner', 'read', [[contact], ['parent_id']], {'load': '_classic_write'})
    assert classic[0]['parent_id'] == company
    assert client.write('res.partner', [contact], {'city': 'Gent'}) is True
    rows = client.execute('res.partner', 'search_read', [('id', '=', contact)], ['city'])
    assert rows == [{'id': contact, 'city': 'Gent'}]
    assert client.execute('res.partner', 'fields_get')['parent_id']['relation'] == 'res.partner'
    assert client.execute('res.partner', 'name_get', [company]) == [[company, co]]
    assert client.execute_kw('res.partner', 'search', [[('name', '=', co)]], {'limit': 1}) == [company]
    # the Model/Record layer: ir.model lookup, fields_get_keys, many2one as a Record, name_get
    partner_model = client.model('res.partner')
    record = partner_model.get(contact)
    assert record.name == 'Client Contact'
    assert record.parent_id.id == company and str(record.parent_id) == co
    assert client.access('res.partner', 'write') is True
    assert client.unlink('res.partner', [contact, company]) is True
    with pytest.raises((erppeek.ServerError, erppeek.Error, Exception)) as caught:
        client.execute(UNKNOWN, 'search', [])
    assert "doesn't exist" in str(caught.value) or "doesn't exist" in repr(caught.value.args)


# -- odoo-client-lib -----------------------------------------------------------------------------


@pytest.mark.parametrize('protocol', ['xmlrpc', 'jsonrpc'])
def test_odoolib_full_tour(server, db, protocol, co):
    bad = odoolib.get_connection(
        hostname='127.0.0.1',
        port=server.port,
        protocol=protocol,
        database=db,
        login='admin',
        password='wrong',
    )
    with pytest.raises(AuthenticationError):
        bad.check_login()
    conn = odoolib.get_connection(
        hostname='127.0.0.1',
        port=server.port,
        protocol=protocol,
        database=db,
        login='admin',
        password='admin',
    )
    conn.check_login()
    assert conn.user_id == 1
    assert conn.get_user_context()['lang'] == 'en_US'
    version = conn.get_service('common').version()
    assert version['server_version'].startswith('10.0')
    assert db in conn.get_service('db').list()
    partners = conn.get_model('res.partner')
    company, contact = _company_and_contact(partners.create, co)
    assert partners.search([('id', '=', contact)]) == [contact]
    row = partners.read(contact, ['name', 'parent_id'])  # a bare int id gives a dict
    assert row['parent_id'] == [company, co]
    classic = partners.read([contact], ['parent_id'], load='_classic_write')
    assert classic[0]['parent_id'] == company
    assert partners.write([contact], {'city': 'Gent'}) is True
    assert partners.search_read([('id', '=', contact)], ['city']) == [{'id': contact, 'city': 'Gent'}]
    assert partners.fields_get()['parent_id']['type'] == 'many2one'
    assert partners.name_get([company]) == [[company, co]]
    assert partners.search([('name', '=', co)], limit=1) == [company]
    assert partners.search_count([('id', 'in', [company, contact])]) == 2
    assert partners.unlink([contact, company]) is True
    with pytest.raises(Exception) as caught:
        conn.get_model(UNKNOWN).search([])
    assert "doesn't exist" in str(caught.value)


# -- odooly --------------------------------------------------------------------------------------


@pytest.mark.parametrize('suffix', ['', '/jsonrpc'], ids=['web', 'jsonrpc'])
def test_odooly_full_tour(server, db, suffix, co):
    url = server.url + suffix
    with pytest.raises(odooly.Error, match='Invalid username or password'):
        odooly.Client(url, db, 'demo-nobody-%s' % suffix.strip('/'), 'wrong')
    client = odooly.Client(url, db, 'admin', 'admin')
    assert client.version_info == 10.0
    assert db in client.database.list()
    env = client.env
    assert env.uid == 1 and env.context['lang'] == 'en_US'
    Partner = env['res.partner']
    company = Partner.create({'name': co, 'is_company': True})
    contact = Partner.create({'name': 'Client Contact', 'parent_id': company.id})
    assert Partner.search([('id', '=', contact.id)]).ids == [contact.id]
    assert contact.parent_id.id == company.id  # many2one as a record
    assert str(contact.parent_id) == co
    rows = Partner.read([contact.id], ['parent_id'])
    assert rows[0]['parent_id'] == [company.id, co]
    classic = env.execute('res.partner', 'read', [contact.id], ['parent_id'], load='_classic_write')
    assert classic[0]['parent_id'] == company.id
    contact.write({'city': 'Gent'})
    assert contact.city == 'Gent'
    assert Partner.search_read([('id', '=', contact.id)], ['city']) == [{'id': contact.id, 'city': 'Gent'}]
    assert Partner.fields_get()['parent_id']['relation'] == 'res.partner'
    assert env.execute('res.partner', 'name_get', [company.id]) == [[company.id, co]]
    assert Partner.search([('name', '=', co)], limit=1).ids == [company.id]
    (contact + company).unlink()
    assert not Partner.search([('id', 'in', [contact.id, company.id])])
    with pytest.raises(odooly.ServerError) as caught:
        env.execute(UNKNOWN, 'search', [])
    assert "doesn't exist" in caught.value.args[0]['data']['message']


# -- OdooRPC -------------------------------------------------------------------------------------


def _odoorpc_tour(server, db, co):
    odoo = odoorpc.ODOO('127.0.0.1', port=server.port)
    assert db in odoo.db.list()
    with pytest.raises(odoorpc.error.RPCError, match='Wrong login ID or password'):
        odoo.login(db, 'admin', 'wrong')
    odoo.login(db, 'admin', 'admin')
    assert odoo.env.uid == 1 and odoo.env.user.name == 'Administrator'
    assert odoo.env.user.company_id.id == 1  # many2one through load='_classic_write'
    assert 'res.partner' in odoo.env
    Partner = odoo.env['res.partner']
    company = Partner.create({'name': co, 'is_company': True})
    contact = Partner.create({'name': 'Client Contact', 'parent_id': company})
    assert Partner.search([('id', '=', contact)]) == [contact]
    assert Partner.read([contact], ['parent_id'])[0]['parent_id'] == [company, co]
    record = Partner.browse(contact)
    assert record.parent_id.id == company and record.parent_id.name == co
    record.city = 'Gent'
    assert Partner.search_read([('id', '=', contact)], ['city']) == [{'id': contact, 'city': 'Gent'}]
    assert Partner.fields_get()['parent_id']['relation'] == 'res.partner'
    assert Partner.name_get([company]) == [[company, co]]
    assert odoo.execute_kw('res.partner', 'search', [[('name', '=', co)]], {'limit': 1}) == [company]
    assert odoo.env.ref('base.main_company').id == 1
    assert Partner.unlink([contact, company]) is True
    with pytest.raises(odoorpc.error.RPCError, match="doesn't exist"):
        odoo.execute(UNKNOWN, 'search', [])
    assert odoo.logout() is True
    return odoo


def test_odoorpc_full_tour_series_10_logs_in_over_jsonrpc(server, db, co):
    odoo = _odoorpc_tour(server, db, co)
    assert odoo.version.startswith('10.0')


def test_odoorpc_full_tour_series_9_logs_in_through_web_session(start_server, co):
    server9 = start_server(['--server-serie', '9.0'])
    name = _create_db(server9)
    try:
        odoo = _odoorpc_tour(server9, name, co)
        assert odoo.version.startswith('9.0')
    finally:
        server9.xmlrpc('db').drop(server9.admin_passwd, name)


def test_odoorpc_dumps_and_restores_an_odoo_zip_backup(server, db):
    """OdooRPC asks series 9 and later for a zip (its default format) and sends it back as is."""
    odoo = odoorpc.ODOO('127.0.0.1', port=server.port)
    backup = odoo.db.dump(server.admin_passwd, db)
    archive = zipfile.ZipFile(backup)
    assert {'dump.sql', 'manifest.json'} <= set(archive.namelist())
    assert json.loads(archive.read('manifest.json'))['db_name'] == db
    backup.seek(0)
    copy = pgsupport.new_db_name('oelcli')
    try:
        odoo.db.restore(server.admin_passwd, copy, backup, copy=True)
        assert copy in odoo.db.list()
        odoo.login(copy, 'admin', 'admin')
        assert odoo.env.user.name == 'Administrator'
        odoo.logout()
    finally:
        server.xmlrpc('db').drop(server.admin_passwd, copy)


# -- the web-session routes themselves -----------------------------------------------------------


class WebClient:
    """A JSON-RPC client with a cookie jar, like a browser or odooly."""

    def __init__(self, server, jar=None):
        self.url = server.url
        self.jar = jar if jar is not None else CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def post(self, path, params=None, headers=None):
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'params': params or {}, 'id': 7})
        request = urllib.request.Request(
            self.url + path, body.encode(), dict({'Content-Type': 'application/json'}, **(headers or {}))
        )
        with self.opener.open(request, timeout=30) as response:
            assert response.headers['Content-Type'].startswith('application/json')
            self.last_headers = response.headers
            return json.load(response)

    def result(self, path, params=None):
        reply = self.post(path, params)
        assert 'error' not in reply, reply
        return reply['result']


def _sid(server, db):
    return WebClient(server).result(
        '/web/session/authenticate', {'db': db, 'login': 'admin', 'password': 'admin'}
    )['session_id']


def _call_with_sid(server, sid, method='search', args=([],)):
    client = WebClient(server)
    return client.post(
        '/web/dataset/call_kw/res.users/%s' % method,
        {'model': 'res.users', 'method': method, 'args': list(args), 'kwargs': {}, 'session_id': sid},
    )


def test_authenticate_sets_an_httponly_samesite_cookie_and_answers_session_info(server, db):
    client = WebClient(server)
    info = client.result('/web/session/authenticate', {'db': db, 'login': 'admin', 'password': 'admin'})
    assert info['uid'] == 1 and info['db'] == db and info['username'] == 'admin'
    assert info['user_context']['lang'] == 'en_US' and info['server_version'] == '10.0'
    cookie = client.last_headers['Set-Cookie']
    assert cookie.startswith('session_id=%s;' % info['session_id'])
    assert 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
    assert client.result('/web/session/get_session_info')['uid'] == 1
    assert (
        client.result(
            '/web/dataset/call_kw', {'model': 'res.users', 'method': 'context_get', 'args': [], 'kwargs': {}}
        )['uid']
        == 1
    )
    client.result('/web/session/destroy')
    reply = client.post('/web/session/get_session_info')
    assert reply['error']['code'] == 100 and reply['error']['message'] == 'Odoo Session Expired'


def test_bad_credentials_answer_uid_false_and_no_cookie(server, db):
    client = WebClient(server)
    info = client.result('/web/session/authenticate', {'db': db, 'login': 'admin', 'password': 'x'})
    assert info['uid'] is False
    assert 'Set-Cookie' not in client.last_headers


def test_session_opened_on_one_process_works_on_another_and_logout_ends_it_everywhere(
    server, start_server, db
):
    other = start_server()
    sid = _sid(server, db)
    reply = _call_with_sid(other, sid)
    assert reply['result'] == [1], reply
    destroyer = WebClient(other)
    destroyer.post('/web/session/destroy', {'session_id': sid})
    assert _call_with_sid(server, sid)['error']['code'] == 100


def test_sessions_are_stored_hashed_without_password(server, db, pg):
    sid = _sid(server, db)
    params = {k: v for k, v in pg.items() if v is not None}
    rows = pgsupport.sql(params, db, 'SELECT sid_hash, credential, context FROM web_session')
    secret = sid.split('.')[0].encode()
    assert rows and all(secret not in bytes(h) and b'admin' not in bytes(c) for h, c, _ in rows)


@pytest.mark.parametrize('sid', ['forged', 'A' * 43 + '.nosuchdb_x', 'B' * 43 + '.%s'])
def test_forged_session_ids_are_refused_with_the_session_error(server, db, sid):
    reply = _call_with_sid(server, sid.replace('%s', db) if '%s' in sid else sid)
    assert reply['error']['code'] == 100
    assert reply['error']['message'] == 'Odoo Session Expired'
    assert reply['error']['data']['message']


def test_idle_session_expires(start_server, db):
    short = start_server(['--session-timeout', '1'])
    sid = _sid(short, db)
    assert 'result' in _call_with_sid(short, sid)
    time.sleep(2.2)
    assert _call_with_sid(short, sid)['error']['code'] == 100


def test_version_info_and_database_list_routes_and_head_root(server, db):
    client = WebClient(server)
    version = client.result('/web/webclient/version_info')
    assert version['server_version'] == '10.0' and version['server_version_info'][:2] == [10, 0]
    assert db in client.result('/web/database/list')
    status, _, _ = server.request('HEAD', '/')
    assert 200 <= status < 400


def test_a_password_change_ends_the_users_sessions_on_every_process(server, start_server, db):
    """The session credential is bound to the password hash: after a change on one process, the
    session opened before it is refused on another."""
    models = server.xmlrpc('object')
    uid = models.execute_kw(
        db,
        1,
        'admin',
        'res.users',
        'create',
        [
            {
                'name': 'Session User',
                'login': 'session_user_%s' % uuid.uuid4().hex[:6],
                'password': 'first',
                'groups_id': [
                    (
                        6,
                        0,
                        [
                            models.execute_kw(
                                db, 1, 'admin', 'ir.model.data', 'xmlid_to_res_id', ['base.group_user']
                            )
                        ],
                    )
                ],
            }
        ],
    )
    login = models.execute_kw(db, 1, 'admin', 'res.users', 'read', [[uid], ['login']])[0]['login']
    client = WebClient(server)
    sid = client.result('/web/session/authenticate', {'db': db, 'login': login, 'password': 'first'})[
        'session_id'
    ]
    other = start_server()
    assert _call_with_sid(other, sid, 'context_get', ())['result']['uid'] == uid
    models.execute_kw(db, 1, 'admin', 'res.users', 'write', [[uid], {'password': 'second'}])
    assert _call_with_sid(other, sid, 'context_get', ())['error']['code'] == 100
    assert _call_with_sid(server, sid, 'context_get', ())['error']['code'] == 100
