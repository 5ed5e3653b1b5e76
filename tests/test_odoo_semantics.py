"""Model calls behaving as Odoo clients expect, over /xmlrpc/2, JSON-RPC and the legacy /xmlrpc:
reads that skip deleted ids (but never hide a record rule), writes and deletes that name missing
ids, search without its domain, ids sent as digit strings, read_group on booleans, OpenERP 7's
ir.sequence.get, the company logo route, and sale lines in another unit of the product's
category."""

import base64
import itertools
import json
import urllib.parse

import pytest

from openerp_lite.http import binary
from tests.support import pg as pgsupport
from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db, make_user

REC = 'test.orm.record'
_names = itertools.count()


def uniq(prefix='sem'):
    return '%s%d' % (prefix, next(_names))


@pytest.fixture(scope='module')
def world(orm_server):
    """A database with base (demo data), test_orm and sale; a plain user in base.group_user."""
    name = create_orm_db(orm_server)
    admin = RpcClient(orm_server, 'xmlrpc2', name, 1, 'admin')
    sale = admin.call('ir.module.module', 'search', [('name', '=', 'sale')])
    admin.call('ir.module.module', 'button_immediate_install', sale)
    uid = make_user(admin, 'sem_user', ['base.group_user'])
    yield {'db': name, 'admin': admin, 'user_uid': uid}
    drop_db(orm_server, name)


@pytest.fixture(params=ROUTES)
def rpc(request, orm_server, world):
    return RpcClient(orm_server, request.param, world['db'], 1, 'admin')


@pytest.fixture
def user(rpc, world):
    return rpc.as_user(world['user_uid'], 'sem_user')


def _gone(admin):
    """The id of a record that existed and was deleted."""
    rid = admin.call(REC, 'create', {'name': uniq('gone')})
    admin.call(REC, 'unlink', [rid])
    return rid


# -- read, write, unlink of ids that do not exist -----------------------------------------------


def test_read_leaves_out_ids_that_no_longer_exist(rpc, world):
    kept = rpc.call(REC, 'create', {'name': uniq()})
    gone = _gone(world['admin'])
    rows = rpc.call(REC, 'read', [gone, kept], fields=['name'])
    assert [row['id'] for row in rows] == [kept]
    assert rpc.call(REC, 'read', [gone], fields=['name']) == []
    # a bare id that is gone reads as OpenERP 7 answered it: False, no fault
    assert rpc.call(REC, 'read', gone, fields=['name']) is False
    assert rpc.call(REC, 'read', kept, fields=['name'])['id'] == kept


def test_read_of_records_hidden_by_rules_is_still_refused(user, world):
    own = user.call(REC, 'create', {'name': uniq('own')})
    foreign = world['admin'].call(REC, 'create', {'name': uniq('foreign')})  # the admin's
    gone = _gone(world['admin'])
    assert [row['id'] for row in user.call(REC, 'read', [own, gone], fields=['name'])] == [own]
    for ids in ([foreign], [own, foreign], [foreign, gone]):
        with pytest.raises(RpcFault) as info:
            user.call(REC, 'read', ids, fields=['name'])
        assert info.value.category == 'access', ids
        assert 'record rules' in info.value.message


def test_write_and_unlink_of_missing_ids_name_them(rpc, user, world):
    kept = rpc.call(REC, 'create', {'name': uniq(), 'amount': 1})
    gone = _gone(world['admin'])
    for client in (rpc, user):  # the superuser, and a user whose rules are checked
        mine = client.call(REC, 'create', {'name': uniq(), 'amount': 1})
        for ids in ([gone], [mine, gone]):
            for method, args in (('write', ({'amount': 7},)), ('unlink', ())):
                with pytest.raises(RpcFault) as info:
                    client.call(REC, method, ids, *args)
                assert info.value.category == 'warning', (method, ids)
                assert 'does not exist' in info.value.message and str(gone) in info.value.message
        # the refused calls changed nothing
        assert client.call(REC, 'read', [mine], fields=['amount'])[0]['amount'] == 1.0
    assert rpc.call(REC, 'read', [kept], fields=['amount'])[0]['amount'] == 1.0


# -- search without a domain ----------------------------------------------------------------------


def test_search_and_search_count_need_their_domain(rpc):
    for method in ('search', 'search_count'):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, method)
        assert info.value.category == 'error', method
        assert "%s() missing 1 required positional argument: 'domain'" % method in info.value.message
        if rpc.route != 'legacy':  # keyword arguments only: still no domain
            with pytest.raises(RpcFault, match='required positional argument'):
                rpc.call(REC, method, context={'lang': 'en_US'})
    with pytest.raises(RpcFault, match='required positional argument'):
        rpc.call(REC, 'search', **({} if rpc.route == 'legacy' else {'limit': 1}))
    # an empty (or OpenERP 7's False) domain is a domain: every record
    total = rpc.call(REC, 'search_count', [])
    assert rpc.call(REC, 'search_count', False) == total
    assert len(rpc.call(REC, 'search', [])) == total
    # search_read's domain stays optional, as in Odoo
    assert len(rpc.call(REC, 'search_read', fields=['name'])) == total


# -- ids as strings of digits ----------------------------------------------------------------------


def test_ids_sent_as_digit_strings_are_ids(rpc):
    first = rpc.call(REC, 'create', {'name': uniq()})
    second = rpc.call(REC, 'create', {'name': uniq()})
    rows = rpc.call(REC, 'read', [str(first), str(second)], fields=['name'])
    assert [row['id'] for row in rows] == [first, second]
    assert rpc.call(REC, 'read', str(first), fields=['name'])['id'] == first
    assert rpc.call(REC, 'write', [str(first), second], {'amount': 3}) is True
    assert rpc.call(REC, 'read', [first], fields=['amount'])[0]['amount'] == 3.0
    assert rpc.call(REC, 'name_get', [str(second)])[0][0] == second
    assert rpc.call(REC, 'unlink', str(second)) is True
    assert rpc.call(REC, 'exists', [first, second]) == [first]
    for bad in ('abc', '1.5', '-1', ' 1', '', '1' * 30, ['1', 'x'], [True], [1.5], [None]):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'read', bad, fields=['name'])
        assert info.value.category == 'warning', bad
        assert 'Invalid record ids' in info.value.message, bad


# -- read_group on a boolean ----------------------------------------------------------------------


def test_read_group_on_a_boolean_makes_one_false_group(rpc, world):
    tag = uniq('grp')
    values = [True, True, False, False, False, None, None]
    ids = world['admin'].call(
        REC, 'create', [{'name': '%s-%d' % (tag, i), 'flag': bool(v)} for i, v in enumerate(values)]
    )
    unset = [rid for rid, value in zip(ids, values) if value is None]
    pgsupport.sql(
        pgsupport.params(), world['db'], 'UPDATE test_orm_record SET flag = NULL WHERE id = ANY(%s)', (unset,)
    )
    domain = [('name', 'like', tag + '-')]
    groups = rpc.call(REC, 'read_group', domain, ['flag'], ['flag'])
    assert [(g['flag'], g['flag_count']) for g in groups] == [(False, 5), (True, 2)]
    assert sum(g['flag_count'] for g in groups) == len(values)
    for group in groups:
        assert rpc.call(REC, 'search_count', group['__domain']) == group['flag_count']
    # under another group, the booleans still fold into one False
    both = rpc.call(REC, 'read_group', domain, ['flag'], ['state', 'flag'], lazy=False)
    assert [(g['state'], g['flag'], g['__count']) for g in both] == [('draft', False, 5), ('draft', True, 2)]
    for group in both:
        assert rpc.call(REC, 'search_count', group['__domain']) == group['__count']


# -- ir.sequence.get --------------------------------------------------------------------------------


def test_sequence_get_is_next_by_code_for_openerp_7_clients(rpc, user, world):
    code = uniq('sem.seq.')
    world['admin'].call('ir.sequence', 'create', {'name': code, 'code': code, 'prefix': 'SEM/', 'padding': 3})
    first = rpc.call('ir.sequence', 'get', code)
    second = rpc.call('ir.sequence', 'next_by_code', code)
    assert first.startswith('SEM/') and len(first) == 7
    assert int(second[4:]) == int(first[4:]) + 1
    assert rpc.call('ir.sequence', 'get', uniq('no.such.code.')) is False
    # the same right as next_by_code: write on sequences, which a plain user lacks
    for method in ('get', 'next_by_code'):
        with pytest.raises(RpcFault) as info:
            user.call('ir.sequence', method, code)
        assert info.value.category == 'access', method


# -- the company logo ------------------------------------------------------------------------------

LOGO = binary._png(3, 2, (200, 10, 10, 255))
OTHER_LOGO = b'\xff\xd8\xff\xe0' + b'\x00' * 28  # a JPEG's first bytes are enough here


def _get(server, query='', method='GET', cookie=None):
    path = binary.PATH + ('?' + urllib.parse.urlencode(query) if query else '')
    return server.request(method, path, headers={'Cookie': cookie} if cookie else {})


def _session_cookie(server, db, login, password):
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'db': db, 'login': login, 'password': password},
        }
    ).encode()
    _status, headers, data = server.request(
        'POST', '/web/session/authenticate', body, {'Content-Type': 'application/json'}
    )
    assert json.loads(data)['result']['uid'], data
    return headers['Set-Cookie'].split(';')[0]


@pytest.fixture(scope='module')
def logos(world):
    """The main company gets LOGO; a second company, OTHER_LOGO, with a user of its own."""
    admin = world['admin']
    admin.call('res.company', 'write', [1], {'logo': base64.b64encode(LOGO).decode()})
    partner = admin.call('res.partner', 'create', {'name': uniq('Second Co ')})
    company = admin.call(
        'res.company',
        'create',
        {'name': uniq('Second Co '), 'partner_id': partner, 'logo': base64.b64encode(OTHER_LOGO).decode()},
    )
    uid = make_user(admin, 'sem_other_co', ['base.group_user'])
    admin.call('res.users', 'write', [uid], {'company_id': company})
    return {'company': company, 'login': 'sem_other_co'}


def test_company_logo_of_a_named_database(orm_server, world, logos):
    status, headers, body = _get(orm_server, {'dbname': world['db']})
    assert status == 200 and body == LOGO
    assert headers['Content-Type'] == 'image/png'
    assert headers['X-Content-Type-Options'] == 'nosniff'
    # a HEAD gets the headers alone
    status, headers, body = _get(orm_server, {'dbname': world['db']}, 'HEAD')
    assert status == 200 and body == b'' and headers['Content-Length'] == str(len(LOGO))
    # only GET and HEAD
    status, headers, _body = _get(orm_server, {'dbname': world['db']}, 'POST')
    assert status == 405 and headers['Allow'] == 'GET, HEAD'


def test_company_logo_follows_the_session_user(orm_server, world, logos):
    cookie = _session_cookie(orm_server, world['db'], logos['login'], logos['login'])
    status, headers, body = _get(orm_server, cookie=cookie)
    assert status == 200 and body == OTHER_LOGO and headers['Content-Type'] == 'image/jpeg'
    assert _get(orm_server, {'dbname': world['db']}, cookie=cookie)[2] == OTHER_LOGO
    # a forged or unknown session counts as none
    assert _get(orm_server, {'dbname': world['db']}, cookie='session_id=forged.%s' % world['db'])[2] == LOGO


def test_company_logo_placeholder_never_a_404(orm_server, world, logos):
    placeholder = binary.PLACEHOLDER
    assert placeholder.startswith(b'\x89PNG\r\n\x1a\n')
    # several databases served and none named: which logo would be a guess
    assert len(orm_server.xmlrpc('db').list()) > 1
    status, headers, body = _get(orm_server)
    assert (status, headers['Content-Type'], body) == (200, 'image/png', placeholder)
    # a database that does not exist, one that is not openerp-lite's (it even has a logo
    # table) and a malformed name all get the placeholder, and nothing is read from them
    foreign = pgsupport.new_db_name('oelsemforeign')
    pgsupport.create_database(pgsupport.params(), foreign)
    try:
        pgsupport.sql(
            pgsupport.params(),
            foreign,
            'CREATE TABLE res_company (id int, logo bytea); '
            'CREATE TABLE res_users (id int, company_id int); '
            "INSERT INTO res_company VALUES (1, '\\x89504e47'); "
            'INSERT INTO res_users VALUES (1, 1)',
        )
        for name in (foreign, uniq('oelsem_absent_'), 'x"; DROP TABLE res_users; --', ''):
            status, headers, body = _get(orm_server, {'dbname': name})
            assert (status, headers['Content-Type'], body) == (200, 'image/png', placeholder), name
    finally:
        pgsupport.drop_database(pgsupport.params(), foreign)
    # a company without a logo
    world['admin'].call('res.company', 'write', [logos['company']], {'logo': False})
    cookie = _session_cookie(orm_server, world['db'], logos['login'], logos['login'])
    assert _get(orm_server, cookie=cookie)[2] == placeholder
    world['admin'].call(
        'res.company', 'write', [logos['company']], {'logo': base64.b64encode(OTHER_LOGO).decode()}
    )


def test_company_logo_of_the_only_database_served(start_server_module, world, logos):
    from tests.support.orm import TEST_ADDONS

    alone = start_server_module(
        ['--addons-path', TEST_ADDONS, '--db-filter', '^%s$' % world['db'], '--no-database-list']
    )
    status, headers, body = _get(alone)
    assert status == 200 and body == LOGO and headers['Content-Type'] == 'image/png'


# -- sale lines in another unit of the product's category ----------------------------------------


def test_sale_line_in_dozens_converts_the_unit_price(rpc, world):
    admin = world['admin']

    def ref(xmlid):
        return admin.call('ir.model.data', 'xmlid_to_res_id', xmlid, True)

    desk, dozen, kilo = (
        ref('product.product_desk'),
        ref('product.product_uom_dozen'),
        ref('product.product_uom_kgm'),
    )
    list_price = admin.call('product.product', 'read', [desk], fields=['list_price'])[0]['list_price']
    unit = admin.call('product.product', 'read', [desk], fields=['uom_id'], load='_classic_write')[0][
        'uom_id'
    ]
    categories = {
        row['id']: row['category_id']
        for row in admin.call(
            'product.uom', 'read', [unit, dozen], fields=['category_id'], load='_classic_write'
        )
    }
    assert unit != dozen and categories[unit] == categories[dozen]  # units, sold by the dozen
    order = rpc.call(
        'sale.order',
        'create',
        {
            'partner_id': ref('base.res_partner_demo'),
            'order_line': [(0, 0, {'product_id': desk, 'product_uom': dozen, 'product_uom_qty': 2})],
        },
    )
    line_ids = rpc.call('sale.order', 'read', [order], fields=['order_line'])[0]['order_line']
    (line,) = rpc.call(
        'sale.order.line', 'read', line_ids, fields=['product_uom', 'price_unit', 'price_subtotal']
    )
    assert line['product_uom'][0] == dozen
    assert line['price_unit'] == pytest.approx(12 * list_price)
    assert line['price_subtotal'] == pytest.approx(24 * list_price)
    assert rpc.call('sale.order', 'read', [order], fields=['amount_total'])[0][
        'amount_total'
    ] == pytest.approx(24 * list_price)
    # a unit of another category is refused
    with pytest.raises(RpcFault) as info:
        rpc.call('sale.order.line', 'create', {'order_id': order, 'product_id': desk, 'product_uom': kilo})
    assert info.value.category == 'warning' and 'is not one of them' in info.value.message
    with pytest.raises(RpcFault):
        rpc.call('sale.order.line', 'write', line_ids, {'product_uom': kilo})
