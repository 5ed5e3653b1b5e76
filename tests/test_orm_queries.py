"""Reading or searching N records costs a number of SQL queries that does not depend on N
(many2one display names, x2many fields and computed fields included), in process."""

import pytest

import openerp_lite.addons
from openerp_lite import sql_db
from openerp_lite.modules import module as modules_module
from openerp_lite.orm.environment import Environment
from openerp_lite.registry import Registry, create_database_schema
from tests.support import pg as pgsupport
from tests.support.orm import TEST_ADDONS

REC = 'test.orm.record'
FIELDS = [
    'name',
    'amount',
    'date',
    'state',
    'partner_id',
    'user_id',
    'parent_id',
    'tag_ids',
    'line_ids',
    'total',
    'line_count',
    'partner_email',
    'display_name',
    'create_uid',
]


@pytest.fixture(scope='module')
def qdb(pg):
    saved_path = list(openerp_lite.addons.__path__)
    modules_module.initialize_addons_path([TEST_ADDONS])
    name = pgsupport.new_db_name('oelq')
    pgsupport.create_database(pg, name)
    try:
        create_database_schema(name, demo=False, login='admin', password='admin')
        Registry.new(name, install=['test_orm'], update_list=True)
        with sql_db.cursor(name) as cr:
            env = Environment(cr, 1, {}, Registry.get(name))
            tags = env['test.orm.tag'].create([{'name': 'q-tag-%d' % i} for i in range(3)])
            user = env['res.users'].create(
                {
                    'name': 'Quentin',
                    'login': 'quentin',
                    'password': 'quentin',
                    'groups_id': [(6, 0, [env.ref('base.group_user').id])],
                }
            )
            partners = env['res.partner'].create(
                [{'name': 'q-partner-%03d' % i, 'email': 'q%d@example.com' % i} for i in range(80)]
            )
            env[REC].create(
                [
                    {
                        'name': 'q-%03d' % i,
                        'amount': i,
                        'date': '2024-01-%02d' % (1 + i % 28),
                        'partner_id': partners[i].id,
                        'user_id': user.id,
                        'tag_ids': [(6, 0, tags.ids[: 1 + i % 3])],
                        'line_ids': [
                            (0, 0, {'name': 'q-line-%d-%d' % (i, j), 'amount': j}) for j in range(2)
                        ],
                    }
                    for i in range(80)
                ]
            )
            uid = user.id
        yield name, uid
    finally:
        Registry.delete(name)
        sql_db.close_db(name)
        pgsupport.drop_database(pg, name)
        openerp_lite.addons.__path__[:] = saved_path


def _cost(dbname, uid, action):
    """SQL queries run by ``action(env)`` on a fresh cursor and cache (after one warm-up call
    that fills the per-registry caches of rights, rules and groups)."""
    with sql_db.cursor(dbname) as cr:
        registry = Registry.get(dbname)
        action(Environment(cr, uid, {}, registry))
        cr.orm_transaction.invalidate()
        before = cr.sql_count
        result = action(Environment(cr, uid, {}, registry))
        return cr.sql_count - before, result


@pytest.mark.parametrize('as_user', [False, True], ids=['superuser', 'user'])
def test_read_cost_does_not_grow_with_the_number_of_records(qdb, as_user):
    dbname, user_uid = qdb
    uid = user_uid if as_user else 1

    def read(limit):
        def action(env):
            records = env[REC].search([('name', 'like', 'q-')], limit=limit, order='name')
            return records.read(FIELDS)

        return action

    small, rows8 = _cost(dbname, uid, read(8))
    large, rows80 = _cost(dbname, uid, read(80))
    assert len(rows8) == 8 and len(rows80) == 80
    assert rows80[5]['partner_id'][1] == 'q-partner-005' and len(rows80[5]['line_ids']) == 2
    assert rows80[5]['total'] == 1 and rows80[5]['line_count'] == 2
    assert rows80[5]['partner_email'] == 'q5@example.com'
    assert large == small, (small, large)
    assert small <= 25


@pytest.mark.parametrize('as_user', [False, True], ids=['superuser', 'user'])
def test_search_read_and_search_cost_is_constant(qdb, as_user):
    dbname, user_uid = qdb
    uid = user_uid if as_user else 1

    def search_read(limit):
        return lambda env: env[REC].search_read(
            [('name', 'like', 'q-'), ('partner_id.name', 'like', 'q-')],
            fields=['name', 'partner_id', 'tag_ids', 'user_id'],
            limit=limit,
        )

    small, rows8 = _cost(dbname, uid, search_read(8))
    large, rows80 = _cost(dbname, uid, search_read(80))
    assert (len(rows8), len(rows80)) == (8, 80)
    assert large == small, (small, large)
    count8, _ = _cost(dbname, uid, lambda env: env[REC].search([], limit=8).ids)
    count80, _ = _cost(dbname, uid, lambda env: env[REC].search([], limit=80).ids)
    assert count8 == count80 <= 3


def test_iterating_records_in_python_prefetches(qdb):
    dbname, _uid = qdb

    def walk(limit):
        def action(env):
            return [
                (rec.name, rec.partner_id.name, len(rec.tag_ids), rec.total, rec.line_count)
                for rec in env[REC].search([('name', 'like', 'q-')], limit=limit, order='name')
            ]

        return action

    small, _ = _cost(dbname, 1, walk(8))
    large, values = _cost(dbname, 1, walk(80))
    assert values[3] == ('q-003', 'q-partner-003', 1, 1.0, 2)
    assert large == small, (small, large)
