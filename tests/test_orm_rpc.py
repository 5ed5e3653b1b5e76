"""Every ORM method of the wire API over real HTTP: /xmlrpc/2 execute_kw, JSON-RPC execute_kw
and legacy /xmlrpc/object execute (OpenERP 7 positional forms), on the test_orm addon."""

import base64
import itertools
import xmlrpc.client

import pytest

from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db

_names = itertools.count()

REC = 'test.orm.record'
LINE = 'test.orm.line'
TAG = 'test.orm.tag'


def uniq(prefix='r'):
    return '%s%d' % (prefix, next(_names))


@pytest.fixture(scope='module')
def orm_db(orm_server):
    name = create_orm_db(orm_server)
    yield name
    drop_db(orm_server, name)


@pytest.fixture(params=ROUTES)
def rpc(request, orm_server, orm_db):
    return RpcClient(orm_server, request.param, orm_db, 1, 'admin')


@pytest.fixture
def admin(orm_server, orm_db):
    return RpcClient(orm_server, 'xmlrpc2', orm_db, 1, 'admin')


# -- create / read / write / unlink ------------------------------------------------------------


def test_create_one_dict_gives_an_id_and_a_list_gives_ids(rpc):
    one = rpc.call(REC, 'create', {'name': uniq()})
    assert isinstance(one, int)
    many = rpc.call(REC, 'create', [{'name': uniq()}, {'name': uniq()}])
    assert isinstance(many, list) and len(many) == 2 and one not in many
    assert sorted(rpc.call(REC, 'exists', [one] + many)) == sorted([one] + many)


def test_read_gives_many2one_pairs_x2many_ids_and_false_for_empty(rpc, admin):
    partner = admin.call('res.partner', 'create', {'name': uniq('p'), 'email': 'p@example.com'})
    tag = admin.call(TAG, 'create', {'name': uniq('t')})
    rid = rpc.call(
        REC,
        'create',
        {
            'name': uniq(),
            'partner_id': partner,
            'tag_ids': [(6, 0, [tag])],
            'line_ids': [(0, 0, {'name': 'l', 'amount': 1.5})],
        },
    )
    (row,) = rpc.call(
        REC,
        'read',
        [rid],
        fields=['partner_id', 'tag_ids', 'line_ids', 'date', 'description', 'parent_id', 'partner_email'],
    )
    assert row['id'] == rid
    assert row['partner_id'] == [partner, admin.call('res.partner', 'name_get', [partner])[0][1]]
    assert row['tag_ids'] == [tag]
    assert len(row['line_ids']) == 1
    assert row['date'] is False and row['description'] is False and row['parent_id'] is False
    assert row['partner_email'] == 'p@example.com'
    (raw,) = rpc.call(REC, 'read', [rid], fields=['partner_id', 'user_id'], load='_classic_write')
    assert raw['partner_id'] == partner and raw['user_id'] == 1


def test_read_without_fields_gives_every_field_and_a_single_id_gives_a_dict(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq()})
    rows = rpc.call(REC, 'read', [rid])
    assert {
        'name',
        'amount',
        'line_ids',
        'tag_ids',
        'total',
        'line_count',
        'create_date',
        'write_uid',
        'active',
    } <= set(rows[0])
    if rpc.route != 'jsonrpc':  # a bare id, as OpenERP 7 clients send it
        single = rpc.call(REC, 'read', rid, fields=['name'])
        assert single['id'] == rid


def test_scalar_field_types_round_trip(rpc):
    payload = b'\x00\x01binary\xff'
    rid = rpc.call(
        REC,
        'create',
        {
            'name': uniq(),
            'code': None or uniq('c')[:8],
            'description': 'long\ntext',
            'body': '<p>hi</p>',
            'amount': 1.23456,
            'weight': 2.123456789,
            'price': 9.999,
            'flag': True,
            'date': '2024-02-29',
            'moment': '2024-03-01 12:34:56',
            'state': 'open',
            'data': base64.b64encode(payload).decode(),
            'sequence': 7,
        },
    )
    (row,) = rpc.call(
        REC,
        'read',
        [rid],
        fields=[
            'description',
            'body',
            'amount',
            'weight',
            'price',
            'flag',
            'date',
            'moment',
            'state',
            'data',
            'sequence',
        ],
    )
    assert row['description'] == 'long\ntext' and row['body'] == '<p>hi</p>'
    assert row['amount'] == 1.235  # digits=(12, 3)
    assert row['weight'] == 2.1235  # digits from the decimal.precision record (4)
    assert row['price'] == 10.0  # monetary: 2 digits
    assert row['flag'] is True and row['sequence'] == 7
    assert row['date'] == '2024-02-29' and row['moment'] == '2024-03-01 12:34:56'
    assert row['state'] == 'open'
    assert base64.b64decode(row['data']) == payload


def test_char_size_truncates(rpc):
    rid = rpc.call(REC, 'create', {'name': 'x' * 50})
    assert rpc.call(REC, 'read', [rid], fields=['name'])[0]['name'] == 'x' * 32


def test_write_and_unlink(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq(), 'amount': 1})
    assert rpc.call(REC, 'write', [rid], {'amount': 5, 'state': 'done', 'flag': True}) is True
    (row,) = rpc.call(REC, 'read', [rid], fields=['amount', 'state', 'flag'])
    assert (row['amount'], row['state'], row['flag']) == (5.0, 'done', True)
    assert rpc.call(REC, 'write', [rid], {'flag': False, 'date': False}) is True
    assert rpc.call(REC, 'read', [rid], fields=['flag'])[0]['flag'] is False
    assert rpc.call(REC, 'unlink', [rid]) is True
    assert rpc.call(REC, 'exists', [rid]) == []
    # a deleted record is left out of a read (as Odoo does), but writing it is an error
    assert rpc.call(REC, 'read', [rid], fields=['name']) == []
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'write', [rid], {'flag': True})
    assert info.value.category == 'warning'


# -- search and friends ------------------------------------------------------------------------


@pytest.fixture(scope='module')
def series(orm_server, orm_db):
    """Ten records named s-<tag>-0..9 with amounts 0..9; returns (tag, ids)."""
    admin = RpcClient(orm_server, 'xmlrpc2', orm_db, 1, 'admin')
    tag = uniq('series')
    ids = admin.call(
        REC,
        'create',
        [
            {
                'name': '%s-%d' % (tag, i),
                'amount': i,
                'sequence': 10 - i,
                'date': '2024-%02d-15' % (1 + i % 3),
            }
            for i in range(10)
        ],
    )
    return tag, ids


def test_search_with_offset_limit_order_and_count(rpc, series):
    tag, ids = series
    domain = [('name', 'like', tag + '-')]
    assert rpc.call(REC, 'search', domain) == list(reversed(ids))  # _order: sequence, id
    assert rpc.call(REC, 'search', domain, order='amount asc') == ids
    assert rpc.call(REC, 'search', domain, order='amount desc', offset=2, limit=3) == list(reversed(ids))[2:5]
    assert rpc.call(REC, 'search', domain, count=True) == 10
    assert rpc.call(REC, 'search_count', domain) == 10
    assert rpc.call(REC, 'search_count', domain + [('amount', '>=', 7)]) == 3
    assert rpc.call(REC, 'search', ['|', ('amount', '=', 1), ('amount', '=', 8)] + domain, order='id') == [
        ids[1],
        ids[8],
    ]


def test_search_read(rpc, series):
    tag, ids = series
    rows = rpc.call(
        REC,
        'search_read',
        [('name', 'like', tag + '-')],
        fields=['name', 'amount'],
        offset=1,
        limit=2,
        order='amount',
    )
    assert rows == [
        {'id': ids[1], 'name': tag + '-1', 'amount': 1.0},
        {'id': ids[2], 'name': tag + '-2', 'amount': 2.0},
    ]
    assert rpc.call(REC, 'search_read', [('name', '=', 'no such record')], fields=['name']) == []


def test_read_group_sum_by_field_and_by_month(rpc, series, admin):
    tag, ids = series
    domain = [('name', 'like', tag + '-')]
    groups = rpc.call(REC, 'read_group', domain, ['amount:sum'], ['date:month'])
    assert [(g['date:month'], g['date_count'], g['amount']) for g in groups] == [
        ('January 2024', 4, 0 + 3 + 6 + 9),
        ('February 2024', 3, 1 + 4 + 7),
        ('March 2024', 3, 2 + 5 + 8),
    ]
    for group in groups:
        assert rpc.call(REC, 'search_count', group['__domain']) == group['date_count']
    partner = admin.call('res.partner', 'create', {'name': uniq('gp')})
    admin.call(REC, 'write', ids[:4], {'partner_id': partner})
    groups = rpc.call(REC, 'read_group', domain, ['amount'], ['partner_id'])
    by_partner = {tuple(g['partner_id']) if g['partner_id'] else False: g for g in groups}
    assert by_partner[(partner, admin.call('res.partner', 'name_get', [partner])[0][1])]['amount'] == 6
    assert by_partner[False]['partner_id_count'] == 6
    eager = rpc.call(REC, 'read_group', domain, ['amount:sum'], ['partner_id', 'state'], lazy=False)
    assert sum(g['__count'] for g in eager) == 10 and all('state' in g for g in eager)


def test_name_get_name_search_name_create(rpc):
    stem = uniq('nm')
    rid = rpc.call(REC, 'create', {'name': stem + '-alpha'})
    other = rpc.call(REC, 'create', {'name': stem + '-beta'})
    assert rpc.call(REC, 'name_get', [rid, other]) == [[rid, stem + '-alpha'], [other, stem + '-beta']]
    found = rpc.call(REC, 'name_search', stem)
    assert sorted(map(tuple, found)) == [(rid, stem + '-alpha'), (other, stem + '-beta')]
    assert rpc.call(REC, 'name_search', stem, args=[('id', '!=', rid)]) == [[other, stem + '-beta']]
    assert len(rpc.call(REC, 'name_search', stem, limit=1)) == 1
    assert rpc.call(REC, 'name_search', stem + '-ALPHA', operator='=') == []
    new_id, label = rpc.call(REC, 'name_create', stem + '-gamma')
    assert label == stem + '-gamma'
    assert rpc.call(REC, 'read', [new_id], fields=['state'])[0]['state'] == 'draft'


def test_fields_get_with_attributes(rpc):
    desc = rpc.call(
        REC,
        'fields_get',
        attributes=['type', 'string', 'required', 'relation', 'selection', 'digits', 'size'],
    )
    assert desc['name'] == {'type': 'char', 'string': 'Name', 'required': True, 'size': 32}
    assert desc['partner_id']['relation'] == 'res.partner'
    assert desc['line_ids']['type'] == 'one2many' and desc['tag_ids']['type'] == 'many2many'
    assert desc['state']['selection'] == [['draft', 'Draft'], ['open', 'Open'], ['done', 'Done']]
    assert desc['weight']['digits'] == [16, 4]
    assert set(desc['amount']) == {'type', 'string', 'required', 'digits'}
    some = rpc.call(REC, 'fields_get', ['name', 'total'])
    assert set(some) == {'name', 'total'}
    assert some['total']['store'] is True and some['total']['readonly'] is True


def test_default_get_from_defaults_callables_and_context(rpc):
    names = ['state', 'sequence', 'reference', 'user_id', 'active', 'name', 'locked_note']
    assert rpc.call(REC, 'default_get', names) == {
        'state': 'draft',
        'sequence': 10,
        'reference': 'REF-1',
        'user_id': 1,
        'active': True,
        'locked_note': 'fixed',
    }
    with_context = rpc.call(REC, 'default_get', names, context={'default_name': 'ctx', 'default_sequence': 3})
    assert with_context['name'] == 'ctx' and with_context['sequence'] == 3
    rid = rpc.call(REC, 'create', {'amount': 1}, context={'default_name': uniq('dflt')})
    assert rpc.call(REC, 'read', [rid], fields=['name'])[0]['name'].startswith('dflt')


def test_copy_skips_copy_false_fields_and_takes_defaults(rpc):
    rid = rpc.call(
        REC,
        'create',
        {
            'name': uniq(),
            'code': uniq('k')[:8],
            'amount': 3,
            'line_ids': [(0, 0, {'name': 'l1', 'amount': 2})],
        },
    )
    new = rpc.call(REC, 'copy', rid, {'name': 'the copy'})
    assert isinstance(new, int) and new != rid
    (row,) = rpc.call(REC, 'read', [new], fields=['name', 'code', 'amount', 'line_ids', 'total'])
    assert row['name'] == 'the copy' and row['code'] is False and row['amount'] == 3
    assert row['line_ids'] == [] and row['total'] == 0


def test_exists_and_check_access_rights(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq()})
    assert rpc.call(REC, 'exists', [rid, 999999]) == [rid]
    assert rpc.call(REC, 'check_access_rights', 'unlink') is True
    assert rpc.call(REC, 'check_access_rights', 'read', raise_exception=False) is True


# -- relational commands -----------------------------------------------------------------------


def _lines(rpc, rid):
    return {
        row['name']: row
        for row in rpc.call(LINE, 'search_read', [('record_id', '=', rid)], fields=['name', 'amount'])
    }


def test_one2many_commands(rpc):
    rid = rpc.call(
        REC,
        'create',
        {
            'name': uniq(),
            'line_ids': [(0, 0, {'name': 'a', 'amount': 1}), (0, 0, {'name': 'b', 'amount': 2})],
        },
    )
    lines = _lines(rpc, rid)
    assert set(lines) == {'a', 'b'}
    assert rpc.call(REC, 'read', [rid], fields=['total'])[0]['total'] == 3
    rpc.call(
        REC,
        'write',
        [rid],
        {
            'line_ids': [
                (1, lines['a']['id'], {'amount': 10}),
                (2, lines['b']['id']),
                (0, 0, {'name': 'c', 'amount': 5}),
            ]
        },
    )
    lines = _lines(rpc, rid)
    assert set(lines) == {'a', 'c'} and lines['a']['amount'] == 10
    assert rpc.call(REC, 'read', [rid], fields=['total', 'line_count'])[0] == {
        'id': rid,
        'total': 15,
        'line_count': 2,
    }
    # (3, id): the inverse many2one is required with ondelete cascade, so the line goes
    rpc.call(REC, 'write', [rid], {'line_ids': [(3, lines['c']['id'])]})
    assert set(_lines(rpc, rid)) == {'a'}
    assert rpc.call(LINE, 'exists', [lines['c']['id']]) == []
    # (4, id) moves a line of another record here
    other = rpc.call(REC, 'create', {'name': uniq(), 'line_ids': [(0, 0, {'name': 'x', 'amount': 7})]})
    moved = rpc.call(REC, 'read', [other], fields=['line_ids'])[0]['line_ids'][0]
    rpc.call(REC, 'write', [rid], {'line_ids': [(4, moved)]})
    assert set(_lines(rpc, rid)) == {'a', 'x'}
    assert rpc.call(REC, 'read', [rid, other], fields=['total']) == [
        {'id': rid, 'total': 17},
        {'id': other, 'total': 0},
    ]
    # (6, 0, ids) keeps exactly those; (5,) clears
    rpc.call(REC, 'write', [rid], {'line_ids': [(6, 0, [moved])]})
    assert set(_lines(rpc, rid)) == {'x'}
    rpc.call(REC, 'write', [rid], {'line_ids': [(5,)]})
    assert _lines(rpc, rid) == {}
    assert rpc.call(REC, 'read', [rid], fields=['total', 'line_ids'])[0] == {
        'id': rid,
        'total': 0,
        'line_ids': [],
    }


def test_many2many_commands(rpc, admin):
    red, blue, green = (admin.call(TAG, 'create', {'name': uniq(c)}) for c in ('red', 'blue', 'green'))

    def tags(rid):
        return sorted(rpc.call(REC, 'read', [rid], fields=['tag_ids'])[0]['tag_ids'])

    rid = rpc.call(REC, 'create', {'name': uniq(), 'tag_ids': [(6, 0, [red, blue])]})
    assert tags(rid) == sorted([red, blue])
    rpc.call(REC, 'write', [rid], {'tag_ids': [(3, red)]})
    assert tags(rid) == [blue]
    assert rpc.call(TAG, 'exists', [red]) == [red]  # (3, id) unlinks, never deletes
    rpc.call(REC, 'write', [rid], {'tag_ids': [(4, green), (4, green)]})
    assert tags(rid) == sorted([blue, green])
    rpc.call(REC, 'write', [rid], {'tag_ids': [(1, green, {'color': 9})]})
    assert rpc.call(TAG, 'read', [green], fields=['color'])[0]['color'] == 9
    rpc.call(REC, 'write', [rid], {'tag_ids': [(0, 0, {'name': uniq('new')})]})
    assert len(tags(rid)) == 3
    rpc.call(REC, 'write', [rid], {'tag_ids': [(2, green)]})
    assert rpc.call(TAG, 'exists', [green]) == []  # (2, id) deletes the tag
    assert green not in tags(rid)
    rpc.call(REC, 'write', [rid], {'tag_ids': [(5,)]})
    assert tags(rid) == []
    rpc.call(REC, 'write', [rid], {'tag_ids': [red, blue]})  # a bare id list means (6, 0, ids)
    assert tags(rid) == sorted([red, blue])
    assert rpc.call(REC, 'search', [('tag_ids', 'in', [red]), ('id', '=', rid)]) == [rid]


def test_bad_commands_are_clean_faults(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq()})
    for value in ([(7, 0, 0)], [(0, 0, 'not a dict')], 'text', [(6, 0, 5)], [(4, 'x')], [(4, 999999)]):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'write', [rid], {'tag_ids': value})
        assert info.value.category == 'warning', (value, info.value.message)


# -- context -----------------------------------------------------------------------------------


def test_active_test_false_shows_archived_records(rpc):
    stem = uniq('arch')
    live = rpc.call(REC, 'create', {'name': stem + '-live'})
    gone = rpc.call(REC, 'create', {'name': stem + '-gone', 'active': False})
    assert rpc.call(REC, 'search', [('name', 'like', stem)]) == [live]
    assert rpc.call(REC, 'search', [('name', 'like', stem)], context={'active_test': False}) == [live, gone]
    assert rpc.call(REC, 'search', [('name', 'like', stem), ('active', '=', False)]) == [gone]
    assert rpc.call(REC, 'search_count', [('name', 'like', stem)], context={'active_test': False}) == 2
    # reading an archived record by id works
    assert rpc.call(REC, 'read', [gone], fields=['active'])[0]['active'] is False


def test_context_reaches_the_method(rpc):
    echoed = rpc.call(REC, 'context_echo', ['lang', 'tz'], context={'lang': 'fr_FR', 'tz': 'Europe/Brussels'})
    assert echoed == {'lang': 'fr_FR', 'tz': 'Europe/Brussels'}


# -- computed, related, constraints, ondelete ----------------------------------------------------


def test_stored_compute_follows_line_changes_and_is_searchable(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq(), 'line_ids': [(0, 0, {'name': 'a', 'amount': 4})]})
    line = rpc.call(REC, 'read', [rid], fields=['line_ids'])[0]['line_ids'][0]
    rpc.call(LINE, 'write', [line], {'amount': 40.5})
    assert rpc.call(REC, 'read', [rid], fields=['total'])[0]['total'] == 40.5
    rpc.call(LINE, 'create', {'name': 'b', 'amount': 1.5, 'record_id': rid})
    assert rpc.call(REC, 'search', [('total', '=', 42), ('id', '=', rid)]) == [rid]
    rpc.call(LINE, 'unlink', [line])
    assert rpc.call(REC, 'read', [rid], fields=['total', 'line_count'])[0] == {
        'id': rid,
        'total': 1.5,
        'line_count': 1,
    }


def test_related_field_follows_the_partner(rpc, admin):
    partner = admin.call('res.partner', 'create', {'name': uniq('rel'), 'email': 'a@example.com'})
    rid = rpc.call(REC, 'create', {'name': uniq(), 'partner_id': partner})
    admin.call('res.partner', 'write', [partner], {'email': 'b@example.com'})
    assert rpc.call(REC, 'read', [rid], fields=['partner_email'])[0]['partner_email'] == 'b@example.com'
    assert rpc.call(REC, 'search', [('partner_email', '=', 'b@example.com'), ('id', '=', rid)]) == [rid]


def test_constraints_give_clean_faults(rpc):
    code = uniq('u')[:8]
    rpc.call(REC, 'create', {'name': uniq(), 'code': code})
    cases = [
        ({'name': uniq(), 'code': code}, 'code of a test record must be unique'),
        ({'name': uniq(), 'amount': -1}, 'cannot be negative'),
        ({'amount': 1}, 'required'),
        ({'name': uniq(), 'state': 'bogus'}, 'Wrong value'),
        ({'name': uniq(), 'no_such_field': 1}, 'no_such_field'),
        ({'name': uniq(), 'date': 'not a date'}, 'date'),
    ]
    for vals, text in cases:
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'create', vals)
        assert info.value.category == 'warning', vals
        assert text in info.value.message, (vals, info.value.message)
    rid = rpc.call(REC, 'create', {'name': uniq()})
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'write', [rid], {'amount': -5})
    assert 'cannot be negative' in info.value.message
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'write', [rid], {'name': False})
    assert info.value.category == 'warning'
    assert rpc.call(REC, 'read', [rid], fields=['amount'])[0]['amount'] == 0


def test_ondelete_set_null_cascade_and_restrict(rpc, admin):
    partner = admin.call('res.partner', 'create', {'name': uniq('od')})
    parent = rpc.call(REC, 'create', {'name': uniq(), 'partner_id': partner})
    child = rpc.call(REC, 'create', {'name': uniq(), 'parent_id': parent})
    admin.call('res.partner', 'unlink', [partner])
    assert rpc.call(REC, 'read', [parent], fields=['partner_id'])[0]['partner_id'] is False
    rpc.call(REC, 'unlink', [parent])
    assert rpc.call(REC, 'exists', [child]) == []
    currency = admin.call('res.currency', 'create', {'name': uniq('Q')[-3:].upper() + 'X'[:0], 'symbol': 'q'})
    rpc.call(REC, 'create', {'name': uniq(), 'currency_id': currency})
    with pytest.raises(RpcFault) as info:
        admin.call('res.currency', 'unlink', [currency])
    assert info.value.category == 'warning'
    assert admin.call('res.currency', 'exists', [currency]) == [currency]


def test_extension_of_res_partner_adds_a_field_and_overrides_copy(rpc):
    partner = rpc.call('res.partner', 'create', {'name': uniq('ext'), 'test_level': 2})
    copied = rpc.call('res.partner', 'copy', partner)
    assert rpc.call('res.partner', 'read', [copied], fields=['test_level'])[0]['test_level'] == 3
    assert rpc.call('res.partner', 'fields_get', ['test_level'], attributes=['type']) == {
        'test_level': {'type': 'integer'}
    }
    rid = rpc.call(REC, 'create', {'name': uniq(), 'partner_id': partner})
    assert rpc.call('res.partner', 'read', [partner], fields=['test_record_ids'])[0]['test_record_ids'] == [
        rid
    ]


# -- exposure ----------------------------------------------------------------------------------


def test_public_methods_private_methods_and_unknown_names(rpc):
    rid = rpc.call(REC, 'create', {'name': uniq()})
    for kind in ('user', 'validation'):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'fail_with', [rid], kind)
        assert info.value.category == 'warning'
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, '_check_amount', [rid])
    assert info.value.category == 'access'
    for model, method in ((REC, 'no_such_method'), ('no.such.model', 'search'), (REC, '_compute_related')):
        with pytest.raises(RpcFault) as info:
            rpc.call(model, method, [])
        assert info.value.category in ('error', 'warning', 'access')
    # a method returning None answers True
    counter = rpc.call('test.orm.counter', 'create', {'name': uniq('c')})
    assert rpc.call('test.orm.counter', 'increment', [counter]) == [1]


# -- the canonical external-API walkthrough ------------------------------------------------------


def _walkthrough(server, route, db):
    """The documented external-API session; the created id is replaced by 'NEW'."""
    if route == 'jsonrpc':
        uid = server.jsonrpc('common', 'authenticate', db, 'admin', 'admin', {})
    elif route == 'xmlrpc2':
        uid = server.xmlrpc('common').authenticate(db, 'admin', 'admin', {})
    else:
        uid = server.xmlrpc('common', route='').login(db, 'admin', 'admin')
    rpc = RpcClient(server, route, db, uid, 'admin')
    out = [uid]
    out.append(rpc.call('res.partner', 'check_access_rights', 'read', raise_exception=False))
    out.append(rpc.call('res.partner', 'search', [['is_company', '=', True]]))
    out.append(rpc.call('res.partner', 'search', [['is_company', '=', True]], offset=1, limit=2))
    out.append(rpc.call('res.partner', 'search_count', [['is_company', '=', True]]))
    ids = rpc.call('res.partner', 'search', [['is_company', '=', True]], limit=1)
    [record] = rpc.call('res.partner', 'read', ids)
    out.append(sorted(record))
    out.append(rpc.call('res.partner', 'read', ids, fields=['name', 'country_id', 'comment']))
    fields = rpc.call('res.partner', 'fields_get', attributes=['string', 'help', 'type'])
    out.append({name: fields[name] for name in ('name', 'country_id', 'child_ids', 'is_company')})
    out.append(
        rpc.call(
            'res.partner',
            'search_read',
            [['is_company', '=', True]],
            fields=['name', 'country_id', 'comment'],
            limit=5,
        )
    )
    new = rpc.call('res.partner', 'create', {'name': 'New Partner %s' % route})
    out.append(rpc.call('res.partner', 'write', [new], {'name': 'Newer partner %s' % route}))
    out.append(
        [
            [rid == new and 'NEW', name.replace(route, 'R')]
            for rid, name in rpc.call('res.partner', 'name_get', [new])
        ]
    )
    out.append(rpc.call('res.partner', 'unlink', [new]))
    out.append(rpc.call('res.partner', 'search', [['id', '=', new]]))
    return out


def test_canonical_walkthrough_gives_the_same_answers_on_every_route(orm_server, orm_db):
    transcripts = {route: _walkthrough(orm_server, route, orm_db) for route in ROUTES}
    expected = transcripts['xmlrpc2']
    assert expected[0] == 1 and expected[1] is True
    assert len(expected[2]) >= 3 and expected[3] == expected[2][1:3]
    assert expected[4] == len(expected[2])
    assert 'name' in expected[5] and 'country_id' in expected[5]
    assert expected[-4:] == [True, [['NEW', 'Newer partner R']], True, []]
    assert transcripts['jsonrpc'] == expected
    assert transcripts['legacy'] == expected


def test_legacy_execute_positional_forms(orm_server, orm_db, series):
    tag, ids = series
    proxy = orm_server.xmlrpc('object', route='')
    args = (orm_db, 1, 'admin', REC)
    domain = [('name', 'like', tag + '-')]
    assert proxy.execute(*args, 'search', domain, 0, 2, 'amount') == ids[:2]
    assert proxy.execute(*args, 'search', domain, 0, None, None, {}, True) == 10
    assert proxy.execute(*args, 'read', ids[:1], ['name'], {'lang': 'en_US'}) == [
        {'id': ids[0], 'name': tag + '-0'}
    ]
    assert proxy.execute(*args, 'read', ids[0], ['name'])['name'] == tag + '-0'
    with pytest.raises(xmlrpc.client.Fault) as info:
        proxy.execute(*args, 'unlink', [999999])
    assert info.value.faultCode.startswith('warning -- ')


def test_wrong_arguments_to_an_addon_method_are_a_clean_client_error(rpc):
    """A call whose arguments do not fit the method is refused before it runs, without a
    server traceback."""
    counter = rpc.call('test.orm.counter', 'create', {'name': uniq('c')})
    with pytest.raises(RpcFault) as info:
        rpc.call('test.orm.counter', 'increment', [counter], 'one', 'two', 'three')
    assert 'Invalid arguments for test.orm.counter.increment' in info.value.message
    assert 'Traceback' not in info.value.message


def test_one_method_computing_two_stored_fields_keeps_both_up_to_date(rpc):
    rid = rpc.call(
        REC,
        'create',
        {
            'name': uniq(),
            'line_ids': [(0, 0, {'name': 'a', 'amount': 2.0}), (0, 0, {'name': 'b', 'amount': 5.0})],
        },
    )
    row = rpc.call(REC, 'read', [rid], ['line_max', 'line_min', 'line_ids'])[0]
    assert (row['line_max'], row['line_min']) == (5.0, 2.0)
    rpc.call(LINE, 'write', [row['line_ids'][0]], {'amount': 9.0})
    row = rpc.call(REC, 'read', [rid], ['line_max', 'line_min'])[0]
    assert (row['line_max'], row['line_min']) == (9.0, 5.0)
    assert rpc.call(REC, 'search', [('line_max', '=', 9.0), ('id', '=', rid)]) == [rid]


def test_external_id_lookups_the_client_libraries_use(rpc):
    assert rpc.call('ir.model.data', 'xmlid_to_res_model_res_id', 'base.main_company') == ['res.company', 1]
    assert rpc.call('ir.model.data', 'check_object_reference', 'base', 'main_company') == ['res.company', 1]
    assert rpc.call('ir.model.data', 'xmlid_to_res_model_res_id', 'base.no_such_id') == [False, False]
    with pytest.raises(RpcFault) as info:
        rpc.call('ir.model.data', 'check_object_reference', 'base', 'no_such_id')
    assert 'base.no_such_id' in info.value.message
    assert rpc.call('ir.model.access', 'check', 'res.partner', 'read') is True
    assert 'name' in rpc.call('res.partner', 'fields_get_keys')
    assert rpc.call('res.users', 'context_get')['uid'] == 1
