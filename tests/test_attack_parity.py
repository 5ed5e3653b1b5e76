"""The surfaces of Odoo parity (custom models and fields, users that are partners, attachments,
languages and translations, zip backups and the database manager forms) tried as an attacker
would: an ordinary internal user, a user in no group at all, and a client with no login. Each
test is a call such a user can make over real XML-RPC, JSON-RPC or HTTP against a real server,
and asserts what the user gets: a refusal naming the problem, and nothing changed or disclosed.
"""

import base64
import io
import json
import uuid
import zipfile

import pytest

from tests.support import pg as pgsupport
from tests.support.forms import post_form
from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db, make_user


@pytest.fixture(scope='module')
def world(orm_server):
    db = create_orm_db(orm_server, demo=False)
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    uids = {
        'alice': make_user(admin, 'alice', ['base.group_user']),
        'bob': make_user(admin, 'bob', ['base.group_user']),
        'nobody': make_user(admin, 'nobody', []),
    }
    system = admin.call('ir.model.data', 'xmlid_to_res_id', 'base.group_system')
    # a picture only the administrators may see, kept (as Odoo keeps it) in an attachment
    admin.call(
        'ir.model.fields',
        'create',
        {
            'name': 'x_secret_scan',
            'model': 'res.partner',
            'ttype': 'binary',
            'state': 'manual',
            'groups': [(6, 0, [system])],
        },
    )
    yield {'db': db, 'admin': admin, 'uids': uids}
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def route(request):
    return request.param


def as_user(orm_server, world, login, route='xmlrpc2'):
    return RpcClient(orm_server, route, world['db'], world['uids'][login], login)


def sql(world, query, params=()):
    return pgsupport.sql(pgsupport.params(), world['db'], query, params)


def b64(data):
    return base64.b64encode(data).decode()


def refused(call, *args, **kwargs):
    with pytest.raises(RpcFault) as caught:
        call(*args, **kwargs)
    return caught.value


# -- attachments: what an attachment holds follows the record, at every door of the ORM -----------


@pytest.fixture(scope='module')
def private_file(world):
    """An attachment of the administrator's, linked to no record: nobody else's to read."""
    return world['admin'].call(
        'ir.attachment',
        'create',
        {'name': 'payroll-%s.csv' % uuid.uuid4().hex[:6], 'datas': b64(b'salaries')},
    )


def test_copying_another_users_attachment_is_refused_and_makes_nothing(
    orm_server, world, route, private_file
):
    alice = as_user(orm_server, world, 'alice', route)
    before = sql(world, 'SELECT count(*) FROM ir_attachment')
    fault = refused(alice.call, 'ir.attachment', 'copy', [private_file])
    assert fault.category == 'access' and 'another user' in fault.message
    assert sql(world, 'SELECT count(*) FROM ir_attachment') == before


def test_name_get_of_another_users_attachment_is_refused(orm_server, world, route, private_file):
    alice = as_user(orm_server, world, 'alice', route)
    fault = refused(alice.call, 'ir.attachment', 'name_get', [private_file])
    assert fault.category == 'access'
    assert 'payroll' not in fault.message


def test_read_group_on_attachments_counts_only_what_a_search_finds(orm_server, world, route, private_file):
    alice = as_user(orm_server, world, 'alice', route)
    mine_name = 'mine-%s.txt' % route
    own = alice.call('ir.attachment', 'create', {'name': mine_name, 'datas': b64(b'mine')})
    groups = alice.call('ir.attachment', 'read_group', [], ['file_size'], ['name'])
    names = {group['name'] for group in groups}
    assert mine_name in names
    assert not any(name.startswith('payroll') for name in names)
    checksums = alice.call('ir.attachment', 'read_group', [], ['file_size'], ['checksum'])
    assert sum(group['checksum_count'] for group in checksums) == alice.call(
        'ir.attachment', 'search_count', []
    )
    # each group's domain is the client's, and finds what the group counted
    [mine] = [group for group in groups if group['name'] == mine_name]
    assert alice.call('ir.attachment', 'search', mine['__domain']) == [own]


def test_a_dotted_domain_through_attachments_does_not_reveal_them(orm_server, world, private_file):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice')
    name = admin.call('ir.attachment', 'read', [private_file], ['name'])[0]['name']
    if not admin.call('ir.model.fields', 'search', [('model', '=', 'res.partner'), ('name', '=', 'x_files')]):
        admin.call(
            'ir.model.fields',
            'create',
            {
                'name': 'x_files',
                'model': 'res.partner',
                'ttype': 'many2many',
                'relation': 'ir.attachment',
                'state': 'manual',
            },
        )
    partner = admin.call('res.partner', 'create', {'name': 'Shared', 'x_files': [(6, 0, [private_file])]})
    assert alice.call('res.partner', 'search', [('x_files.name', '=', name)]) == []
    assert alice.call('res.partner', 'read', [partner], ['x_files'])[0]['x_files'] == []
    assert admin.call('res.partner', 'read', [partner], ['x_files'])[0]['x_files'] == [private_file]


def test_the_attachment_of_a_field_restricted_to_a_group_stays_theirs(orm_server, world, route):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice', route)
    partner = admin.call('res.partner', 'create', {'name': 'Scanned', 'x_secret_scan': b64(b'passport')})
    [attachment] = admin.call(
        'ir.attachment', 'search', [('res_field', '=', 'x_secret_scan'), ('res_id', '=', partner)]
    )
    # the partner is readable, the field is not, and neither is its attachment
    assert alice.call('res.partner', 'read', [partner], ['name'])[0]['name'] == 'Scanned'
    found = alice.call(
        'ir.attachment', 'search_read', [('res_field', '=', 'x_secret_scan')], ['datas', 'res_id']
    )
    assert found == []
    fault = refused(alice.call, 'ir.attachment', 'read', [attachment], ['datas'])
    assert fault.category == 'access' and 'x_secret_scan' in fault.message
    assert refused(alice.call, 'ir.attachment', 'copy', [attachment]).category == 'access'


def test_a_clerk_cannot_set_a_restricted_field_by_forging_its_attachment(orm_server, world, route):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice', route)
    partner = alice.call('res.partner', 'create', {'name': 'Forged %s' % route})
    forged = {'res_model': 'res.partner', 'res_id': partner, 'res_field': 'x_secret_scan'}
    fault = refused(alice.call, 'ir.attachment', 'create', dict(forged, name='scan', datas=b64(b'forged')))
    assert fault.category == 'access' and 'x_secret_scan' in fault.message
    plain = alice.call(
        'ir.attachment',
        'create',
        {'name': 'note', 'res_model': 'res.partner', 'res_id': partner, 'datas': b64(b'forged')},
    )
    fault = refused(alice.call, 'ir.attachment', 'write', [plain], {'res_field': 'x_secret_scan'})
    assert fault.category == 'access'
    assert admin.call('res.partner', 'read', [partner], ['x_secret_scan'])[0]['x_secret_scan'] is False


def test_a_user_in_no_group_reaches_no_attachment(orm_server, world, private_file):
    nobody = as_user(orm_server, world, 'nobody')
    for method, args in (
        ('search', [[]]),
        ('read', [[private_file], ['datas']]),
        ('read_group', [[], ['name'], ['name']]),
        ('copy', [[private_file]]),
        ('create', [{'name': 'x', 'datas': b64(b'x')}]),
    ):
        assert refused(nobody.call, 'ir.attachment', method, *args).category == 'access', method


#: arguments a caller might send, by the declared name of a parameter (see ``orm.rpc``)
SAMPLE_ARGUMENTS = {
    'domain': lambda target: [('id', '=', target)],
    'args': lambda target: [('id', '=', target)],
    'fields': lambda target: ['name', 'datas', 'checksum'],
    'groupby': lambda target: ['name'],
    'vals': lambda target: {'name': 'taken', 'public': True},
    'vals_list': lambda target: {'name': 'taken', 'res_model': False},
    'default': lambda target: {'public': True},
    'operation': lambda target: 'read',
    'field_name': lambda target: 'name',
    'translations': lambda target: {'en_US': 'taken'},
    'fields_list': lambda target: ['name'],
    'name': lambda target: 'payroll',
}


def declared_methods(db, model):
    """``{method: RpcMethod}`` of ``model`` in ``db``, read from the code the server runs."""
    from openerp_lite import sql_db
    from openerp_lite.modules import module as modules_module
    from openerp_lite.registry import Registry
    from tests.support.orm import TEST_ADDONS

    modules_module.initialize_addons_path([TEST_ADDONS])
    registry = Registry.get(db)
    try:
        return dict(registry.models[model]._rpc_methods)
    finally:
        Registry.delete(db)
        sql_db.close_db(db)


def test_every_declared_attachment_method_keeps_another_users_file(orm_server, world, private_file):
    """Each method ir.attachment declares, called by a clerk who holds every declared right on
    the model, on the administrator's private file: refused, or answered without its name or
    content, and the file unchanged."""
    alice = as_user(orm_server, world, 'alice')
    [secret] = sql(world, 'SELECT name, datas, public FROM ir_attachment WHERE id = %s', (private_file,))
    methods = declared_methods(world['db'], 'ir.attachment')
    assert {'read', 'write', 'copy', 'name_get', 'read_group', 'search_read'} <= set(methods)
    for name, declaration in sorted(methods.items()):
        args = [[private_file]] if declaration.records else []
        kwargs = {
            param: SAMPLE_ARGUMENTS[param](private_file)
            for param in declaration.params or ()
            if param in SAMPLE_ARGUMENTS
        }
        try:
            answer = alice.call('ir.attachment', name, *args, **kwargs)
        except RpcFault as fault:
            assert fault.category in ('access', 'warning'), (name, fault)
            assert secret[0] not in fault.message, name
            continue
        assert secret[0] not in repr(answer) and 'c2FsYXJpZXM' not in repr(answer), (name, answer)
    assert sql(world, 'SELECT name, datas, public FROM ir_attachment WHERE id = %s', (private_file,)) == [
        secret
    ]
    # what create and name_create made is alice's own, and holds nothing of the secret
    assert not sql(
        world,
        'SELECT 1 FROM ir_attachment WHERE datas = %s AND create_uid = %s',
        (secret[1], world['uids']['alice']),
    )


# -- users are partners: another user's identity is theirs ----------------------------------------


def test_a_clerk_cannot_take_over_a_colleagues_email_through_the_partner(orm_server, world, route):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice', route)
    bob = world['uids']['bob']
    [before] = admin.call('res.users', 'read', [bob], ['partner_id', 'email', 'name'])
    partner = before['partner_id'][0]
    for vals in ({'email': 'alice@evil.example.com'}, {'name': 'Renamed'}, {'image_1920': b64(b'GIF89a')}):
        fault = refused(alice.call, 'res.partner', 'write', [partner], vals)
        assert fault.category == 'access' and 'other users' in fault.message
    assert refused(alice.call, 'res.partner', 'unlink', [partner]).category == 'access'
    # nor through the contacts of a company of hers
    company = alice.call('res.partner', 'create', {'name': 'Front %s' % route, 'is_company': True})
    for command in ((4, partner), (1, partner, {'email': 'alice@evil.example.com'}), (2, partner)):
        fault = refused(alice.call, 'res.partner', 'write', [company], {'child_ids': [command]})
        assert fault.category == 'access'
    assert admin.call('res.users', 'read', [bob], ['partner_id', 'email', 'name']) == [before]
    assert admin.call('res.partner', 'read', [partner], ['parent_id'])[0]['parent_id'] is False


def test_a_clerk_still_changes_their_own_partner_and_plain_contacts(orm_server, world):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice')
    uid = world['uids']['alice']
    own = admin.call('res.users', 'read', [uid], ['partner_id'])[0]['partner_id'][0]
    assert alice.call('res.partner', 'write', [own], {'phone': '+32 2 555'}) is True
    contact = alice.call('res.partner', 'create', {'name': 'Supplier contact'})
    assert alice.call('res.partner', 'write', [contact], {'email': 's@example.com'}) is True
    assert admin.call('res.users', 'read', [uid], ['phone'])[0]['phone'] == '+32 2 555'


def test_the_admins_of_users_still_change_a_users_partner(orm_server, world):
    admin = world['admin']
    bob = world['uids']['bob']
    partner = admin.call('res.users', 'read', [bob], ['partner_id'])[0]['partner_id'][0]
    assert admin.call('res.partner', 'write', [partner], {'mobile': '+32 470'}) is True
    assert admin.call('res.users', 'read', [bob], ['mobile'])[0]['mobile'] == '+32 470'


# -- custom fields: what an administrator declares must load, and cannot break reads --------------


@pytest.mark.parametrize(
    'domain',
    ["__import__('os').system('id')", "[('name', '=', uid)]", '[1, 2]', "{'a': 1}", '[' * 200],
)
def test_a_custom_relation_takes_a_literal_domain_only(orm_server, world, domain):
    admin = world['admin']
    fault = refused(
        admin.call,
        'ir.model.fields',
        'create',
        {
            'name': 'x_bad_domain',
            'model': 'res.partner',
            'ttype': 'many2many',
            'relation': 'res.partner.category',
            'domain': domain,
            'state': 'manual',
        },
    )
    assert fault.category == 'warning' and 'domain' in fault.message
    assert not sql(world, "SELECT 1 FROM ir_model_fields WHERE name = 'x_bad_domain'")


def test_a_custom_relation_with_a_literal_domain_reads_through_it(orm_server, world):
    admin, alice = world['admin'], as_user(orm_server, world, 'alice')
    wanted = admin.call('res.partner.category', 'create', {'name': 'Wanted'})
    other = admin.call('res.partner.category', 'create', {'name': 'Other'})
    field = admin.call(
        'ir.model.fields',
        'create',
        {
            'name': 'x_wanted_tags',
            'model': 'res.partner',
            'ttype': 'many2many',
            'relation': 'res.partner.category',
            'domain': "[('name', '=', 'Wanted')]",
            'state': 'manual',
        },
    )
    partner = admin.call(
        'res.partner', 'create', {'name': 'Tagged', 'x_wanted_tags': [(6, 0, [wanted, other])]}
    )
    # the whole partner still reads, for everyone, and the relation shows what its domain allows
    [record] = alice.call('res.partner', 'read', [partner])
    assert record['x_wanted_tags'] == [wanted]
    fault = refused(admin.call, 'ir.model.fields', 'write', [field], {'domain': 'not a domain'})
    assert 'domain' in fault.message
    assert alice.call('res.partner', 'read', [partner], ['x_wanted_tags'])[0]['x_wanted_tags'] == [wanted]


@pytest.mark.parametrize('size', [-5, 2**31 - 1])
def test_a_custom_char_size_out_of_range_is_refused_with_a_clear_error(orm_server, world, size):
    fault = refused(
        world['admin'].call,
        'ir.model.fields',
        'create',
        {'name': 'x_sized', 'model': 'res.partner', 'ttype': 'char', 'size': size, 'state': 'manual'},
    )
    assert fault.category == 'warning' and 'size must be' in fault.message
    assert 'x_sized' not in world['admin'].call('res.partner', 'fields_get_keys')


# -- the database manager forms and the logo, with no login, against a filtered server ------------


@pytest.fixture(scope='module')
def filtered_server(start_server_module, world):
    """A server whose --db-filter lets only names starting with ``oelatkok_`` through: the
    world's database exists in the cluster but is not one of its."""
    from tests.support.orm import TEST_ADDONS

    return start_server_module(['--addons-path', TEST_ADDONS, '--db-filter', '^oelatkok_'])


@pytest.fixture(scope='module')
def guessed_server(start_server_module):
    """A server for the wrong master passwords: they slow its master password down (the
    back-off), so the other servers' stay usable."""
    return start_server_module(['--db-filter', '^oelatkok_'])


@pytest.fixture(scope='module')
def hidden_list_server(start_server_module):
    """A server started with --no-database-list."""
    return start_server_module(['--no-database-list', '--db-filter', '^oelatkok_'])


def _backup_zip(sql_text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('dump.sql', sql_text)
        archive.writestr('manifest.json', json.dumps({'odoo_dump': '1'}))
    return buffer.getvalue()


def _databases(world):
    return {row[0] for row in sql(world, 'SELECT datname FROM pg_database')}


@pytest.mark.parametrize('password', [None, '', 'wrong'])
@pytest.mark.parametrize('route', ['backup', 'restore', 'create', 'duplicate', 'drop', 'change_password'])
def test_every_database_form_without_the_master_password_is_refused_in_json(
    guessed_server, world, route, password
):
    fields = {'name': 'oelatkok_new', 'new_name': 'oelatkok_copy', 'password': 'x', 'master_pwd_new': 'y'}
    if route in ('backup', 'duplicate', 'drop'):
        fields['name'] = world['db']
    if password is not None:
        fields['master_pwd'] = password
    files = {'backup_file': ('b.zip', _backup_zip('SELECT 1;\n'))} if route == 'restore' else None
    status, headers, body = post_form(guessed_server, '/web/database/' + route, fields, files)
    assert status in (400, 403) and headers['Content-Type'].startswith('application/json')
    error = json.loads(body)['error']
    assert 'master_pwd' in error['data']['message'] or error['data']['name'].endswith('AccessDenied')
    # the cluster is shared: only the names of this test are looked at
    databases = _databases(world)
    assert world['db'] in databases and not {'oelatkok_new', 'oelatkok_copy'} & databases


@pytest.mark.parametrize('route', ['backup', 'duplicate', 'drop'])
def test_the_forms_never_reach_a_database_outside_the_filter(filtered_server, world, route):
    fields = {'master_pwd': filtered_server.admin_passwd, 'name': world['db'], 'new_name': 'oelatkok_copy'}
    status, headers, body = post_form(filtered_server, '/web/database/' + route, fields)
    assert headers['Content-Type'].startswith('application/json'), (status, body[:200])
    reply = json.loads(body)
    assert reply.get('result') is False or 'does not exist' in reply['error']['data']['message']
    assert world['db'] in _databases(world) and 'oelatkok_copy' not in _databases(world)


@pytest.mark.parametrize('route', ['backup', 'restore', 'create', 'duplicate', 'drop', 'change_password'])
def test_with_the_database_list_hidden_the_forms_are_off_even_with_the_master_password(
    hidden_list_server, world, route
):
    hidden = hidden_list_server
    fields = {
        'master_pwd': hidden.admin_passwd,
        'name': 'oelatkok_hidden',
        'new_name': 'oelatkok_hidden_copy',
        'password': 'x',
        'master_pwd_new': 'y',
    }
    files = {'backup_file': ('b.zip', _backup_zip('SELECT 1;\n'))} if route == 'restore' else None
    status, headers, body = post_form(hidden, '/web/database/' + route, fields, files)
    assert status == 403 and headers['Content-Type'].startswith('application/json')
    assert 'database manager is disabled' in json.loads(body)['error']['data']['message']
    assert not {'oelatkok_hidden', 'oelatkok_hidden_copy'} & _databases(world)


def test_a_restore_form_cannot_name_a_database_outside_the_filter(filtered_server, world):
    fields = {'master_pwd': filtered_server.admin_passwd, 'name': 'oelatk_elsewhere'}
    files = {'backup_file': ('b.zip', _backup_zip('SELECT 1;\n'))}
    status, _headers, body = post_form(filtered_server, '/web/database/restore', fields, files)
    assert status == 400 and '--db-filter' in json.loads(body)['error']['data']['message']
    assert 'oelatk_elsewhere' not in _databases(world)


def test_the_logo_of_a_database_outside_the_filter_is_the_placeholder(orm_server, filtered_server, world):
    from openerp_lite.http import binary

    logo = binary._png(2, 2, (1, 2, 3, 255))
    world['admin'].call('res.company', 'write', [1], {'logo': b64(logo)})
    path = '/web/binary/company_logo?dbname=' + world['db']
    assert orm_server.request('GET', path)[2] == logo
    status, headers, body = filtered_server.request('GET', path)
    assert status == 200 and body == binary.PLACEHOLDER and headers['Content-Type'] == 'image/png'
