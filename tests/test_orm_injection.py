"""SQL injection attempts through every caller-supplied name: each is a clean fault (a user error
or access error, not a server error) and the database is unchanged afterwards."""

import psycopg2
import pytest

from tests.support import pg as pgsupport
from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db

REC = 'test.orm.record'
TABLES = ('res_partner', 'test_orm_record', 'test_orm_line', 'res_users')


@pytest.fixture(scope='module')
def injdb(orm_server):
    db = create_orm_db(orm_server)
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    admin.call(REC, 'create', [{'name': 'inj-%d' % i, 'amount': i} for i in range(5)])
    yield db
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def rpc(request, orm_server, injdb):
    return RpcClient(orm_server, request.param, injdb, 1, 'admin')


def _snapshot(db):
    conn = psycopg2.connect(dbname=db, **pgsupport.params())
    try:
        with conn.cursor() as cr:
            counts = {}
            for table in TABLES:
                cr.execute('SELECT to_regclass(%s) IS NOT NULL', (table,))
                counts[table] = (
                    cr.fetchone()[0]
                    and cr.execute('SELECT count(*), max(write_date) FROM "%s"' % table)
                    or cr.fetchone()
                )
            return counts
    finally:
        conn.close()


@pytest.fixture
def unchanged(injdb):
    """Asserts at the end of the test that no table was dropped or modified."""
    before = _snapshot(injdb)
    yield
    assert _snapshot(injdb) == before


ORDERS = [
    'name; DROP TABLE res_partner',
    'id desc, (select 1)',
    '(SELECT 1)',
    'name desc; DELETE FROM test_orm_record',
    '"name; drop table res_partner" desc',
    "name'--",
    'amount asc nulls first, id; --',
    'pg_sleep(5)',
    'name collate "C"',
]


@pytest.mark.parametrize('order', ORDERS)
def test_order_injection_is_refused(rpc, unchanged, order):
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'search', [], order=order)
    assert info.value.category in ('warning', 'access'), info.value.message
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'search_read', [], fields=['name'], order=order)
    assert info.value.category in ('warning', 'access'), info.value.message


BAD_DOMAINS = [
    [('name; DROP TABLE res_partner; --', '=', 'x')],
    [('name"="name" OR 1=1 --', '=', 'x')],
    [('id) OR (1=1', '=', 1)],
    [('partner_id.name"; DELETE FROM res_partner; --', '=', 'x')],
    [('partner_id.no_such_field', '=', 'x')],
    [('name', "= 'x' OR 1=1 --", 'x')],
    [('name', 'ilike; DROP TABLE res_partner', 'x')],
    [('name', 'similar to', 'x')],
    [('name', '~', '.*')],
    [('amount', '>', {'$gt': 1})],
    [('name', 'in', [['nested']])],
    ['&', ('name', '=', 'x')],
    [('name', '=', 'x'), 'DROP TABLE res_partner'],
    ['DROP', ('name', '=', 'x')],
    [('name', '=')],
    'name = 1',
]


@pytest.mark.parametrize('domain', BAD_DOMAINS, ids=range(len(BAD_DOMAINS)))
def test_domain_injection_is_refused(rpc, unchanged, domain):
    for method, kwargs in (('search', {}), ('search_count', {}), ('search_read', {'fields': ['name']})):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, method, domain, **kwargs)
        assert info.value.category in ('warning', 'access'), (method, info.value.message)


BAD_FIELDS = [
    ['name', 'id; DROP TABLE res_partner'],
    ['name"', 'amount'],
    ['(SELECT password_hash FROM res_users)'],
    ['name', 7],
]


@pytest.mark.parametrize('fields', BAD_FIELDS, ids=range(len(BAD_FIELDS)))
def test_fields_list_injection_is_refused(rpc, unchanged, fields):
    ids = rpc.call(REC, 'search', [], limit=2)
    for method, args, kwargs in (
        ('read', [ids], {'fields': fields}),
        ('search_read', [[]], {'fields': fields}),
        ('fields_get', [fields], {}),
    ):
        try:
            result = rpc.call(REC, method, *args, **kwargs)
        except RpcFault as fault:
            assert fault.category in ('warning', 'access'), (method, fault.message)
        else:
            # fields_get only filters by name: nothing unknown comes back
            assert method == 'fields_get' and set(result) <= {'name', 'amount'}, result


@pytest.mark.parametrize(
    'spec',
    [
        {'fields': ['amount:sum); DROP TABLE res_partner; --'], 'groupby': ['state']},
        {'fields': ['amount:pg_sleep'], 'groupby': ['state']},
        {'fields': ['x:sum(amount; DROP TABLE res_partner)'], 'groupby': ['state']},
        {'fields': ['amount'], 'groupby': ['state; DROP TABLE res_partner']},
        {'fields': ['amount'], 'groupby': ['date:month); --']},
        {'fields': ['amount'], 'groupby': ['"state"']},
        {'fields': ['amount'], 'groupby': ['state'], 'orderby': 'amount; DROP TABLE res_partner'},
        {'fields': ['amount'], 'groupby': ['state'], 'orderby': '(select 1)'},
    ],
    ids=range(8),
)
def test_read_group_injection_is_refused(rpc, unchanged, spec):
    spec = dict(spec)
    with pytest.raises(RpcFault) as info:
        rpc.call(REC, 'read_group', [], spec.pop('fields'), spec.pop('groupby'), **spec)
    assert info.value.category in ('warning', 'access'), info.value.message


def test_limit_and_offset_must_be_integers(rpc, unchanged):
    for kwargs in (
        {'limit': '1; DROP TABLE res_partner'},
        {'offset': '0 UNION SELECT 1'},
        {'limit': -1},
        {'limit': 1.5},
    ):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'search', [], **kwargs)
        assert info.value.category in ('warning', 'access'), (kwargs, info.value.message)


def test_context_keys_and_values_reach_no_sql(rpc, unchanged):
    evil = "'; DROP TABLE res_partner; --"
    context = {
        evil: evil,
        'lang': evil,
        'tz': evil,
        'active_test; DROP TABLE res_partner': True,
        'default_name; DROP TABLE res_partner': 'x',
    }
    assert rpc.call(REC, 'search_count', [], context=context) == 5
    assert rpc.call(REC, 'default_get', ['name'], context=context) == {}
    for bad in (['not', 'a', 'dict'], 'a string'):
        with pytest.raises(RpcFault) as info:
            rpc.call(REC, 'search_count', [], context=bad)
        assert info.value.category in ('warning', 'error'), info.value.message


def test_hostile_values_are_stored_verbatim(rpc):
    evil = "inj'); DROP TABLE res_partner; --"
    rid = rpc.call(REC, 'create', {'name': evil[:32]})
    assert rpc.call(REC, 'search', [('name', '=', evil[:32])]) == [rid]
    assert rpc.call(REC, 'search', [('name', 'ilike', "%'; drop")]) == []
    assert rpc.call(REC, 'read', [rid], fields=['name'])[0]['name'] == evil[:32]
    rpc.call(REC, 'unlink', [rid])
    assert _snapshot(rpc.db)['res_partner'] is not None
