"""Odoo's external-API parity through every pinned client library and plain ``xmlrpc.client``:
custom models created over RPC, users that are partners, attachments, languages and translated
fields, zip backups, and Odoo's read semantics, each driven through the library's own calling
API, unchanged, against one real server.

erppeek and odoo-client-lib over XML-RPC and JSON-RPC, odooly in web mode and over /jsonrpc,
OdooRPC over /jsonrpc, and ``xmlrpc.client`` on /xmlrpc/2.
"""

import base64
import hashlib
import io
import json
import urllib.error
import urllib.request
import uuid
import xmlrpc.client
import zipfile

import pytest

from tests.support import pg as pgsupport
from tests.support.forms import post_form

erppeek = pytest.importorskip('erppeek')
odooly = pytest.importorskip('odooly')
odoolib = pytest.importorskip('odoolib')
odoorpc = pytest.importorskip('odoorpc')

CLIENTS = (
    'erppeek-xmlrpc',
    'erppeek-jsonrpc',
    'odoolib-xmlrpc',
    'odoolib-jsonrpc',
    'odooly-web',
    'odooly-jsonrpc',
    'odoorpc-jsonrpc',
    'xmlrpc.client',
)
PNG = base64.b64encode(
    bytes.fromhex(
        '89504e470d0a1a0a0000000d4948445200000001000000010806000000'
        '1f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082'
    )
).decode()


class Api:
    """``call(model, method, *args, **kwargs)`` and ``db_service()`` through one library."""

    def __init__(self, server, db, kind):
        self.server, self.db, self.kind = server, db, kind
        library, _, transport = kind.partition('-')
        if library == 'erppeek':
            self.client = erppeek.Client(
                server.url + ('/jsonrpc' if transport == 'jsonrpc' else ''), db, 'admin', 'admin'
            )
            self._call = lambda model, method, args, kwargs: self.client.execute_kw(
                model, method, args, kwargs
            )
            self.db_service = lambda: self.client.db
        elif library == 'odoolib':
            self.client = odoolib.get_connection(
                hostname='127.0.0.1',
                port=server.port,
                protocol=transport,
                database=db,
                login='admin',
                password='admin',
            )
            self._call = lambda model, method, args, kwargs: getattr(self.client.get_model(model), method)(
                *args, **kwargs
            )
            self.db_service = lambda: self.client.get_service('db')
        elif library == 'odooly':
            self.client = odooly.Client(
                server.url + ('/jsonrpc' if transport == 'jsonrpc' else ''), db, 'admin', 'admin'
            )
            self._call = self._odooly_call
            self.db_service = None
        elif library == 'odoorpc':
            self.client = odoorpc.ODOO('127.0.0.1', port=server.port)
            self.client.login(db, 'admin', 'admin')
            self._call = lambda model, method, args, kwargs: self.client.execute_kw(
                model, method, args, kwargs
            )
            self.db_service = None
        else:
            proxy = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object', allow_none=True)
            self._call = lambda model, method, args, kwargs: proxy.execute_kw(
                db, 1, 'admin', model, method, args, kwargs
            )
            db_proxy = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/db', allow_none=True)
            self.db_service = lambda: db_proxy

    def call(self, model, method, *args, **kwargs):
        return self._call(model, method, list(args), kwargs)

    def _odooly_call(self, model, method, args, kwargs):
        # odooly sends its environment's context with every call: another one is another env
        env = self.client.env
        context = kwargs.pop('context', None)
        if context is not None:
            env = env(context=dict(env.context, **context))
        return env.execute(model, method, *args, **kwargs)

    @property
    def sends_what_it_is_given(self):
        """False for the libraries that shape ids and arguments themselves (odoo-client-lib
        reorders what read returns by the ids it sent, odooly sorts ids and adds a search's
        empty domain): Odoo's own answers are then the library's to present."""
        return not self.kind.startswith(('odoolib', 'odooly'))


@pytest.fixture(scope='module')
def db(server):
    """A database with product installed, French active (for the translation scenarios)."""
    name = pgsupport.new_db_name('oelpar')
    server.xmlrpc('db').create_database(server.admin_passwd, name, False, 'en_US', 'admin')
    admin = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object', allow_none=True)
    module = admin.execute_kw(name, 1, 'admin', 'ir.module.module', 'search', [[('name', '=', 'product')]])
    admin.execute_kw(name, 1, 'admin', 'ir.module.module', 'button_immediate_install', [module])
    yield name
    server.xmlrpc('db').drop(server.admin_passwd, name)


@pytest.fixture(params=CLIENTS)
def api(request, server, db):
    return Api(server, db, request.param)


def tag(api):
    return '%s_%s' % (api.kind.replace('-', '_').replace('.', '_'), uuid.uuid4().hex[:6])


def test_a_custom_model_created_over_rpc(api):
    name = 'x_parity_%s' % tag(api)
    model_id = api.call('ir.model', 'create', {'name': 'Parity', 'model': name, 'state': 'manual'})
    api.call(
        'ir.model.fields',
        'create',
        {'model_id': model_id, 'name': 'x_foo', 'ttype': 'char', 'state': 'manual'},
    )
    record = api.call(name, 'create', {'x_name': 'made by %s' % api.kind, 'x_foo': 'bar'})
    [row] = api.call(name, 'read', [record], ['x_name', 'x_foo'])
    assert row['x_name'] == 'made by %s' % api.kind and row['x_foo'] == 'bar'
    assert 'x_foo' in api.call(name, 'fields_get')
    api.call('ir.model', 'unlink', [model_id])
    assert api.call('ir.model', 'search', [('model', '=', name)]) == []


def test_a_user_carries_its_partners_fields(api):
    login = 'parity_%s' % tag(api)
    title = api.call('ir.model.data', 'xmlid_to_res_id', 'base.res_partner_title_mister')
    uid = api.call(
        'res.users',
        'create',
        {
            'name': 'Mr %s' % login,
            'login': login,
            'email': '%s@example.com' % login,
            'phone': '+1 555',
            'title': title,
            'tz': 'Europe/Brussels',
            'image_1920': PNG,
        },
    )
    [user] = api.call(
        'res.users',
        'read',
        [uid],
        ['email', 'phone', 'title', 'tz', 'image_1920', 'partner_id', 'company_ids', 'share', 'state'],
    )
    assert user['email'] == '%s@example.com' % login and user['tz'] == 'Europe/Brussels'
    assert user['title'][0] == title and user['image_1920'] == PNG
    assert user['company_ids'] and user['share'] is False and user['state'] == 'new'
    [partner] = api.call('res.partner', 'read', [user['partner_id'][0]], ['email', 'image_1920'])
    assert partner == {'id': user['partner_id'][0], 'email': user['email'], 'image_1920': PNG}
    partner_fields = api.call('res.partner', 'fields_get')
    assert {
        'image_1920',
        'title',
        'category_id',
        'state_id',
        'vat',
        'credit_limit',
        'date',
        'company_type',
        'type',
        'tz',
    } <= set(partner_fields)


def test_a_file_stored_as_an_attachment(api):
    partner = api.call('res.partner', 'create', {'name': 'Attached %s' % tag(api)})
    content = ('report of %s\n' % api.kind).encode()
    attachment = api.call(
        'ir.attachment',
        'create',
        {
            'name': 'report.txt',
            'datas': base64.b64encode(content).decode(),
            'res_model': 'res.partner',
            'res_id': partner,
        },
    )
    [row] = api.call(
        'ir.attachment',
        'read',
        [attachment],
        ['datas', 'file_size', 'mimetype', 'checksum', 'res_model', 'res_id'],
    )
    assert base64.b64decode(row['datas']) == content and row['file_size'] == len(content)
    assert row['mimetype'] == 'text/plain' and row['checksum'] == hashlib.sha1(content).hexdigest()
    assert api.call(
        'ir.attachment', 'search', [('res_model', '=', 'res.partner'), ('res_id', '=', partner)]
    ) == [attachment]


def test_a_language_installed_and_a_name_translated(api):
    wizard = api.call('base.language.install', 'create', {'lang': 'fr_FR'})
    api.call('base.language.install', 'lang_install', [wizard])
    assert 'fr_FR' in dict(api.call('res.lang', 'get_installed'))
    product = api.call('product.product', 'create', {'name': 'Chair %s' % api.kind})
    api.call(
        'product.product', 'write', [product], {'name': 'Chaise %s' % api.kind}, context={'lang': 'fr_FR'}
    )
    french = api.call('product.product', 'read', [product], ['name'], context={'lang': 'fr_FR'})
    english = api.call('product.product', 'read', [product], ['name'], context={'lang': 'en_US'})
    assert french[0]['name'] == 'Chaise %s' % api.kind and english[0]['name'] == 'Chair %s' % api.kind
    assert api.call(
        'product.product', 'search', [('name', '=', 'Chaise %s' % api.kind)], context={'lang': 'fr_FR'}
    ) == [product]


def test_a_zip_backup(api, server, db):
    if api.kind.startswith('odooly'):
        # odooly manages databases through the database manager forms; its backup() decodes the
        # zip it receives as text, which fails on any server: the forms are tested with curl's
        # requests below, and odooly's copy and drop here
        copy = pgsupport.new_db_name('oelpar')
        api.client.database.duplicate(master_pwd=server.admin_passwd, name=db, new_name=copy)
        assert copy in server.xmlrpc('db').list()
        api.client.database.drop(master_pwd=server.admin_passwd, name=copy)
        assert copy not in server.xmlrpc('db').list()
        return
    if api.kind.startswith('odoorpc'):
        raw = api.client.db.dump(server.admin_passwd, db).read()  # a zip by default
    else:
        dump = api.db_service().dump(server.admin_passwd, db, 'zip')
        raw = dump if isinstance(dump, bytes) else base64.b64decode(dump)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert {'dump.sql', 'manifest.json'} <= set(archive.namelist())
    assert json.loads(archive.read('manifest.json'))['db_name'] == db


def test_odoos_read_semantics(api):
    partners = [api.call('res.partner', 'create', {'name': 'Sem %s %d' % (api.kind, n)}) for n in range(2)]
    api.call('res.partner', 'unlink', [partners[1]])
    assert [row['id'] for row in api.call('res.partner', 'read', partners, ['name']) if row] == [partners[0]]
    if api.sends_what_it_is_given:
        assert api.call('res.partner', 'read', [str(partners[0])], ['name'])[0]['id'] == partners[0]
        with pytest.raises(Exception, match='domain'):
            api.call('res.partner', 'search')
    code = 'parity.%s' % tag(api)
    api.call('ir.sequence', 'create', {'name': code, 'code': code, 'prefix': 'P', 'padding': 3})
    assert api.call('ir.sequence', 'get', code) == 'P001'
    groups = api.call('res.partner', 'read_group', [('id', 'in', partners)], ['is_company'], ['is_company'])
    assert len(groups) == 1 and groups[0]['is_company'] is False


def test_the_company_logo_route(server, db):
    with urllib.request.urlopen(
        '%s/web/binary/company_logo?dbname=%s' % (server.url, db), timeout=30
    ) as reply:
        assert reply.status == 200 and reply.headers['Content-Type'].startswith('image/')


# -- the database manager forms (curl, odooly) -----------------------------------------------------


def test_a_backup_and_restore_through_the_database_manager_forms(server, db):
    status, headers, body = post_form(
        server,
        '/web/database/backup',
        {'master_pwd': server.admin_passwd, 'name': db, 'backup_format': 'zip'},
    )
    assert status == 200 and headers['Content-Type'] == 'application/zip'
    assert 'attachment; filename="%s_' % db in headers['Content-Disposition']
    assert 'dump.sql' in zipfile.ZipFile(io.BytesIO(body)).namelist()
    copy = pgsupport.new_db_name('oelpar')
    try:
        status, headers, reply = post_form(
            server,
            '/web/database/restore',
            {'master_pwd': server.admin_passwd, 'name': copy, 'copy': 'true'},
            {'backup_file': ('backup.zip', body)},
        )
        assert status == 200 and json.loads(reply)['result'] is True
        restored = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object', allow_none=True)
        assert (
            restored.execute_kw(copy, 1, 'admin', 'res.users', 'read', [[1], ['login']])[0]['login']
            == 'admin'
        )
    finally:
        post_form(server, '/web/database/drop', {'master_pwd': server.admin_passwd, 'name': copy})
    assert copy not in server.xmlrpc('db').list()


@pytest.mark.parametrize(
    'fields, files, status, message',
    [
        ({'master_pwd': 'wrong', 'name': '%(db)s'}, None, 403, 'Access denied'),
        ({'name': '%(db)s'}, None, 400, 'master_pwd'),
        ({'master_pwd': '%(master)s', 'name': '%(db)s', 'backup_format': 'tar'}, None, 400, 'backup_format'),
    ],
)
def test_a_refused_backup_form_says_why_in_json(server, db, fields, files, status, message):
    fields = {k: v % {'db': db, 'master': server.admin_passwd} for k, v in fields.items()}
    got, headers, body = post_form(server, '/web/database/backup', fields, files)
    assert got == status and headers['Content-Type'].startswith('application/json')
    assert message in json.loads(body)['error']['data']['message']


def test_a_restore_form_without_a_file_or_with_a_broken_one_creates_nothing(server):
    name = pgsupport.new_db_name('oelpar')
    got, _headers, body = post_form(
        server, '/web/database/restore', {'master_pwd': server.admin_passwd, 'name': name}
    )
    assert got == 400 and 'backup_file' in json.loads(body)['error']['data']['message']
    got, _headers, body = post_form(
        server,
        '/web/database/restore',
        {'master_pwd': server.admin_passwd, 'name': name},
        {'backup_file': ('x.zip', b'PK\x03\x04 broken')},
    )
    assert got == 400 and json.loads(body)['error']
    assert name not in server.xmlrpc('db').list()
