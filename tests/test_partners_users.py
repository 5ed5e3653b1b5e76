"""Users are partners, partners carry Odoo's core fields, and files are attachments: over the
three routes against a real server, as an integrator's script would use them."""

import base64
import hashlib

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db, make_user

#: a 1x1 transparent PNG
PNG = base64.b64encode(
    bytes.fromhex(
        '89504e470d0a1a0a0000000d4948445200000001000000010806000000'
        '1f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082'
    )
).decode()
REC = 'test.orm.record'


@pytest.fixture(scope='module')
def world(orm_server):
    db = create_orm_db(orm_server)
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    uids = {login: make_user(admin, login, ['base.group_user']) for login in ('alice', 'bob')}
    yield {'db': db, 'admin': admin, 'uids': uids}
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def route(request):
    return request.param


def as_admin(orm_server, world, route):
    return RpcClient(orm_server, route, world['db'], 1, 'admin')


def as_user(orm_server, world, route, login):
    return RpcClient(orm_server, route, world['db'], world['uids'][login], login)


# -- users are partners ----------------------------------------------------------------------------


def test_a_user_reads_and_writes_its_partners_fields(orm_server, world, route):
    api = as_admin(orm_server, world, route)
    title = api.call('ir.model.data', 'xmlid_to_res_id', 'base.res_partner_title_doctor')
    uid = api.call(
        'res.users',
        'create',
        {
            'name': 'Dr Route %s' % route,
            'login': 'route_%s' % route,
            'password': 'pw-%s' % route,
            'email': 'route@%s.example.com' % route,
            'phone': '+32 2 123',
            'title': title,
            'image_1920': PNG,
            'tz': 'Europe/Brussels',
            'lang': 'en_US',
        },
    )
    [user] = api.call(
        'res.users',
        'read',
        [uid],
        fields=[
            'name',
            'email',
            'phone',
            'title',
            'image_1920',
            'tz',
            'lang',
            'partner_id',
            'company_id',
            'company_ids',
            'share',
            'state',
        ],
    )
    assert user['email'] == 'route@%s.example.com' % route and user['phone'] == '+32 2 123'
    assert user['title'][0] == title and user['image_1920'] == PNG
    assert user['tz'] == 'Europe/Brussels' and user['lang'] == 'en_US'
    assert user['company_ids'] == [user['company_id'][0]]
    assert user['share'] is False and user['state'] == 'new'
    partner = user['partner_id'][0]
    [values] = api.call('res.partner', 'read', [partner], fields=['name', 'email', 'image_1920'])
    assert values['name'] == 'Dr Route %s' % route and values['email'] == user['email']
    assert values['image_1920'] == PNG
    # writes go both ways
    api.call('res.users', 'write', [uid], {'email': 'new@%s.example.com' % route})
    assert (
        api.call('res.partner', 'read', [partner], fields=['email'])[0]['email']
        == 'new@%s.example.com' % route
    )
    api.call('res.partner', 'write', [partner], {'phone': '+32 9 999'})
    assert api.call('res.users', 'read', [uid], fields=['phone'])[0]['phone'] == '+32 9 999'
    # searching and sorting by a partner field, through the user
    assert api.call('res.users', 'search', [('email', '=', 'new@%s.example.com' % route)]) == [uid]
    names = [u['name'] for u in api.call('res.users', 'search_read', [], fields=['name'], order='name desc')]
    assert names == sorted(names, reverse=True)
    # a login makes the user confirmed
    assert orm_server.xmlrpc('common').login(world['db'], 'route_%s' % route, 'pw-%s' % route) == uid
    assert api.call('res.users', 'read', [uid], fields=['state'])[0]['state'] == 'active'
    fields = api.call('res.users', 'fields_get', attributes=['type'])
    for name in (
        'email',
        'phone',
        'image_1920',
        'title',
        'company_ids',
        'tz',
        'lang',
        'share',
        'state',
        'street',
        'category_id',
    ):
        assert name in fields, name


def test_a_copied_user_gets_a_partner_of_its_own(orm_server, world):
    api = as_admin(orm_server, world, 'xmlrpc2')
    uid = api.call('res.users', 'create', {'name': 'Original', 'login': 'original', 'email': 'o@x.example'})
    copy = api.call('res.users', 'copy', uid, {'login': 'copied'})
    original, copied = api.call('res.users', 'read', [uid, copy], fields=['partner_id', 'email', 'name'])
    assert original['partner_id'] != copied['partner_id']
    assert copied['email'] == 'o@x.example'


def test_partners_have_the_core_fields_of_an_odoo_partner(orm_server, world, route):
    api = as_admin(orm_server, world, route)
    ref = lambda xmlid: api.call('ir.model.data', 'xmlid_to_res_id', xmlid)  # noqa: E731
    tag = api.call('res.partner.category', 'create', {'name': 'VIP %s' % route})
    partner = api.call(
        'res.partner',
        'create',
        {
            'name': 'Acme %s' % route,
            'company_type': 'company',
            'vat': 'BE0477472701',
            'credit_limit': 5000.0,
            'date': '2026-12-01',
            'type': 'invoice',
            'tz': 'UTC',
            'state_id': ref('base.state_us_ca'),
            'country_id': ref('base.us'),
            'title': ref('base.res_partner_title_prof'),
            'category_id': [(6, 0, [tag])],
        },
    )
    [row] = api.call(
        'res.partner',
        'read',
        [partner],
        fields=[
            'is_company',
            'company_type',
            'vat',
            'credit_limit',
            'date',
            'type',
            'tz',
            'state_id',
            'title',
            'category_id',
        ],
    )
    assert row['is_company'] is True and row['company_type'] == 'company'
    assert (row['vat'], row['credit_limit'], row['date'], row['type'], row['tz']) == (
        'BE0477472701',
        5000.0,
        '2026-12-01',
        'invoice',
        'UTC',
    )
    assert row['state_id'][1] == 'California' and row['category_id'] == [tag]
    api.call('res.partner', 'write', [partner], {'company_type': 'person'})
    assert api.call('res.partner', 'read', [partner], fields=['is_company'])[0]['is_company'] is False
    assert api.call('res.country.state', 'search_count', [('country_id.code', '=', 'BE')]) >= 4


# -- attachments ---------------------------------------------------------------------------------


def test_an_attachment_stores_a_file_for_a_record(orm_server, world, route):
    api = as_admin(orm_server, world, route)
    partner = api.call('res.partner', 'create', {'name': 'With a file %s' % route})
    content = b'%PDF-1.4 a tiny file'
    att = api.call(
        'ir.attachment',
        'create',
        {
            'name': 'contract.pdf',
            'datas': base64.b64encode(content).decode(),
            'res_model': 'res.partner',
            'res_id': partner,
        },
    )
    [row] = api.call(
        'ir.attachment',
        'read',
        [att],
        fields=['name', 'datas', 'raw', 'file_size', 'mimetype', 'checksum', 'res_model', 'res_id'],
    )
    assert base64.b64decode(row['datas']) == content and row['raw'] == row['datas']
    assert row['file_size'] == len(content) and row['mimetype'] == 'application/pdf'
    assert row['checksum'] == hashlib.sha1(content).hexdigest()
    assert api.call(
        'ir.attachment', 'search', [('res_model', '=', 'res.partner'), ('res_id', '=', partner)]
    ) == [att]
    named = api.call(
        'ir.attachment', 'create', {'name': 'notes.txt', 'datas': base64.b64encode(b'plain words').decode()}
    )
    assert api.call('ir.attachment', 'read', [named], fields=['mimetype'])[0]['mimetype'] == 'text/plain'


def test_attachments_follow_the_access_of_their_record(orm_server, world, route):
    admin = as_admin(orm_server, world, route)
    bob_record = admin.call(REC, 'create', {'name': 'bob only %s' % route, 'user_id': world['uids']['bob']})
    att = admin.call(
        'ir.attachment',
        'create',
        {
            'name': 'secret.txt',
            'datas': base64.b64encode(b'bob secret').decode(),
            'res_model': REC,
            'res_id': bob_record,
        },
    )
    alice, bob = as_user(orm_server, world, route, 'alice'), as_user(orm_server, world, route, 'bob')
    assert bob.call('ir.attachment', 'read', [att], fields=['datas'])[0]['datas']
    assert att in bob.call('ir.attachment', 'search', [('res_model', '=', REC)])
    # alice cannot see bob's record: nor its attachment, by any path
    for call in (
        lambda: alice.call('ir.attachment', 'read', [att], fields=['datas']),
        lambda: alice.call('ir.attachment', 'write', [att], {'name': 'mine'}),
        lambda: alice.call('ir.attachment', 'unlink', [att]),
        lambda: alice.call('ir.attachment', 'create', {'name': 'x', 'res_model': REC, 'res_id': bob_record}),
    ):
        with pytest.raises(RpcFault) as info:
            call()
        assert info.value.category == 'access'
    assert att not in alice.call('ir.attachment', 'search', [])
    assert alice.call('ir.attachment', 'search_count', [('id', '=', att)]) == 0
    # an attachment linked to nothing belongs to its creator
    own = alice.call(
        'ir.attachment', 'create', {'name': 'own.txt', 'datas': base64.b64encode(b'mine').decode()}
    )
    assert own in alice.call('ir.attachment', 'search', [])
    assert own not in bob.call('ir.attachment', 'search', [])
    with pytest.raises(RpcFault):
        bob.call('ir.attachment', 'read', [own], fields=['name'])


def test_an_image_field_is_an_attachment_that_goes_with_its_record(orm_server, world):
    api = as_admin(orm_server, world, 'xmlrpc2')
    partner = api.call('res.partner', 'create', {'name': 'Pictured', 'image_1920': PNG})
    rows = pgsupport.sql(
        pgsupport.params(),
        world['db'],
        'SELECT id, mimetype, file_size FROM ir_attachment WHERE res_model = '
        "'res.partner' AND res_field = 'image_1920' AND res_id = %s",
        (partner,),
    )
    assert len(rows) == 1 and rows[0][1] == 'image/png'
    # not listed among ordinary attachments; reached through the field
    assert rows[0][0] not in api.call('ir.attachment', 'search', [])
    assert api.call('res.partner', 'read', [partner], fields=['image_1920'])[0]['image_1920'] == PNG
    api.call('res.partner', 'write', [partner], {'image_1920': False})
    assert api.call('res.partner', 'read', [partner], fields=['image_1920'])[0]['image_1920'] is False
    api.call('res.partner', 'write', [partner], {'image_1920': PNG})
    api.call('res.partner', 'unlink', [partner])
    assert pgsupport.sql(
        pgsupport.params(),
        world['db'],
        "SELECT count(*) FROM ir_attachment WHERE res_model = 'res.partner' AND "
        'res_id = %s AND res_field IS NOT NULL',
        (partner,),
    ) == [(0,)]
