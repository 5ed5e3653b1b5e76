"""Access control over real HTTP: model rights from ir.model.access CSV and record rules
(ir.rule) for non-admin users, through search, read, read_group and dotted domains alike."""

import pytest

from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db, make_user

REC = 'test.orm.record'
LINE = 'test.orm.line'
TAG = 'test.orm.tag'


@pytest.fixture(scope='module')
def world(orm_server):
    """A database with two internal users (alice, bob), a reader, and records of each."""
    db = create_orm_db(orm_server)
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    uids = {
        'alice': make_user(admin, 'alice', ['base.group_user']),
        'bob': make_user(admin, 'bob', ['base.group_user']),
        'reader': make_user(admin, 'reader', ['test_orm.group_reader']),
    }
    records = {}
    for owner in ('alice', 'bob'):
        records[owner] = admin.call(
            REC,
            'create',
            [
                {
                    'name': '%s-%d' % (owner, i),
                    'user_id': uids[owner],
                    'amount': 10 * (i + 1),
                    'line_ids': [(0, 0, {'name': '%s-line-%d' % (owner, i), 'amount': i + 1})],
                }
                for i in range(3)
            ],
        )
    records['admin'] = admin.call(REC, 'create', [{'name': 'admin-0', 'amount': 1000}])
    yield {'db': db, 'uids': uids, 'records': records, 'admin': admin}
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def route(request):
    return request.param


def client(orm_server, world, route, login):
    return RpcClient(orm_server, route, world['db'], world['uids'][login], login)


def refused(call, *args, **kwargs):
    with pytest.raises(RpcFault) as info:
        call(*args, **kwargs)
    return info.value


def test_new_users_log_in(orm_server, world):
    common = orm_server.xmlrpc('common')
    assert common.authenticate(world['db'], 'alice', 'alice', {}) == world['uids']['alice']
    assert common.authenticate(world['db'], 'alice', 'wrong', {}) is False
    with pytest.raises(RpcFault) as info:
        RpcClient(orm_server, 'xmlrpc2', world['db'], world['uids']['alice'], 'wrong').call(REC, 'search', [])
    assert info.value.category == 'denied'


def test_csv_rights_refuse_create_write_unlink(orm_server, world, route):
    reader = client(orm_server, world, route, 'reader')
    alice = client(orm_server, world, route, 'alice')
    some = world['records']['alice'][0]
    for fault in (
        refused(reader.call, REC, 'create', {'name': 'nope'}),
        refused(reader.call, REC, 'write', [some], {'name': 'nope'}),
        refused(reader.call, REC, 'unlink', [some]),
        refused(alice.call, TAG, 'create', {'name': 'nope'}),
        refused(alice.call, 'test.orm.counter', 'unlink', [1]),
        refused(alice.call, 'res.users', 'write', [world['uids']['alice']], {'name': 'x'}),
    ):
        assert fault.category == 'access', fault
        if route == 'legacy':
            assert fault.raw.faultCode.startswith('warning -- ')
        elif route == 'xmlrpc2':
            assert fault.raw.faultCode == 4
        else:
            assert fault.raw['data']['name'] == 'openerp_lite.exceptions.AccessError'
    assert reader.call(REC, 'check_access_rights', 'write', raise_exception=False) is False
    assert reader.call(REC, 'check_access_rights', 'read') is True
    assert refused(reader.call, REC, 'check_access_rights', 'unlink').category == 'access'
    assert alice.call(TAG, 'search_count', []) >= 2  # read is allowed
    # reading computed fields needs no write right
    row = reader.call(REC, 'read', [some])[0]
    assert (row['line_count'], row['total'], row['display_name']) == (1, 1.0, 'alice-0')
    # nothing was changed by the refused calls
    admin = world['admin']
    assert admin.call(REC, 'search_count', [('name', '=', 'nope')]) == 0
    assert admin.call(REC, 'read', [some], fields=['name'])[0]['name'] == 'alice-0'


def test_record_rules_limit_search_and_read(orm_server, world, route):
    alice = client(orm_server, world, route, 'alice')
    mine, theirs = world['records']['alice'], world['records']['bob']
    assert sorted(alice.call(REC, 'search', [])) == sorted(mine)
    assert alice.call(REC, 'search_count', []) == 3
    assert sorted(r['id'] for r in alice.call(REC, 'search_read', [], fields=['name'])) == sorted(mine)
    assert alice.call(REC, 'search', [('id', 'in', theirs)]) == []
    assert alice.call(REC, 'name_search', 'bob') == []
    assert refused(alice.call, REC, 'read', [theirs[0]], fields=['name']).category == 'access'
    assert refused(alice.call, REC, 'read', [mine[0], theirs[0]], fields=['name']).category == 'access'
    assert [row['name'] for row in alice.call(REC, 'read', mine, fields=['name'])] == [
        'alice-0',
        'alice-1',
        'alice-2',
    ]
    # lines follow their own rule (through record_id.user_id)
    assert sorted(r['name'] for r in alice.call(LINE, 'search_read', [], fields=['name'])) == [
        'alice-line-0',
        'alice-line-1',
        'alice-line-2',
    ]
    # the reader group has no rule: it sees everything, read-only
    reader = client(orm_server, world, route, 'reader')
    assert reader.call(REC, 'search_count', []) >= 7


def test_record_rules_refuse_write_and_unlink_of_other_rows(orm_server, world, route):
    alice = client(orm_server, world, route, 'alice')
    theirs = world['records']['bob']
    assert refused(alice.call, REC, 'write', [theirs[0]], {'name': 'stolen'}).category == 'access'
    assert refused(alice.call, REC, 'unlink', [theirs[1]]).category == 'access'
    assert (
        refused(alice.call, REC, 'create', {'name': 'for bob', 'user_id': world['uids']['bob']}).category
        == 'access'
    )
    admin = world['admin']
    assert admin.call(REC, 'read', theirs[:2], fields=['name']) == [
        {'id': theirs[0], 'name': 'bob-0'},
        {'id': theirs[1], 'name': 'bob-1'},
    ]
    assert admin.call(REC, 'search_count', [('name', '=', 'for bob')]) == 0
    own = alice.call(REC, 'create', {'name': 'alice-own-%s' % route})
    assert alice.call(REC, 'write', [own], {'amount': 1}) is True
    assert alice.call(REC, 'unlink', [own]) is True


def test_record_rules_apply_to_read_group(orm_server, world, route):
    alice = client(orm_server, world, route, 'alice')
    groups = alice.call(REC, 'read_group', [], ['amount:sum'], ['user_id'])
    assert [(g['user_id'][0], g['user_id_count'], g['amount']) for g in groups] == [
        (world['uids']['alice'], 3, 60)
    ]
    assert alice.call(REC, 'read_group', [('name', 'like', 'bob')], ['amount'], ['state']) == []


def test_record_rules_apply_through_dotted_domains(orm_server, world, route):
    alice = client(orm_server, world, route, 'alice')
    assert alice.call(REC, 'search', [('user_id.login', '=', 'bob')]) == []
    assert sorted(alice.call(REC, 'search', [('user_id.login', '=', 'alice')])) == sorted(
        world['records']['alice']
    )
    assert alice.call(REC, 'search', [('line_ids.name', '=', 'bob-line-0')]) == []
    assert alice.call(LINE, 'search', [('record_id.name', '=', 'bob-0')]) == []
    assert alice.call(LINE, 'search_count', [('record_id.name', 'like', 'alice')]) == 3
    # a partner cannot be found through a test record the user may not see
    admin = world['admin']
    partner = admin.call('res.partner', 'create', {'name': 'Partner of bob'})
    admin.call(REC, 'write', [world['records']['bob'][2]], {'partner_id': partner})
    assert alice.call('res.partner', 'search', [('test_record_ids.name', '=', 'bob-2')]) == []
    assert admin.call('res.partner', 'search', [('test_record_ids.name', '=', 'bob-2')]) == [partner]


def test_x2many_read_shows_only_visible_lines(orm_server, world, route):
    """A many2one to a hidden record still reads as [id, name]; the record itself stays hidden,
    and the user cannot make such a link herself (a relation only points to what its author can
    read)."""
    admin = world['admin']
    alice = client(orm_server, world, route, 'alice')
    hidden = world['records']['bob'][0]
    assert (
        refused(alice.call, REC, 'create', {'name': 'child-of-bob-%s' % route, 'parent_id': hidden}).category
        == 'access'
    )
    own = alice.call(REC, 'create', {'name': 'child-of-bob-%s' % route})
    assert refused(alice.call, REC, 'write', [own], {'parent_id': hidden}).category == 'access'
    admin.call(REC, 'write', [own], {'parent_id': hidden})
    row = alice.call(REC, 'read', [own], fields=['parent_id'])[0]
    assert row['parent_id'] == [hidden, 'bob-0']
    assert refused(alice.call, REC, 'read', [hidden], fields=['name']).category == 'access'
    # writing the record again (its other fields) keeps the link the administrator made
    alice.call(REC, 'write', [own], {'description': 'still mine'})
    admin.call(REC, 'unlink', [own])


def test_field_groups_hide_password_hashes(orm_server, world, route):
    alice = client(orm_server, world, route, 'alice')
    fields = alice.call('res.users', 'fields_get')
    assert 'password_hash' not in fields
    fault = refused(alice.call, 'res.users', 'read', [world['uids']['alice']], fields=['password_hash'])
    assert fault.category in ('access', 'warning')
    row = alice.call('res.users', 'read', [world['uids']['alice']])[0]
    assert 'password_hash' not in row and row.get('password') in ('', False, None)
