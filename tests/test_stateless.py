"""Stateless mode: once a call that changed shared state has returned, any later call on any
process sees the change. Two real server processes on different ports share one database; each
change is made on A and checked on B with the very next call."""

import xmlrpc.client

import pytest

from openerp_lite import sql_db
from openerp_lite.modules import module as modules_module
from openerp_lite.orm.environment import SUPERUSER_ID, Environment
from openerp_lite.registry import Registry, create_database_schema, read_signals
from tests.support import pg as pgsupport
from tests.support.server import start_server

ADMIN = 'admin'


@pytest.fixture(scope='module')
def servers(pg):
    first = start_server(pg, ['--addons-path', 'tests/addons'])
    second = start_server(pg, ['--addons-path', 'tests/addons'])
    name = pgsupport.new_db_name('oelt_sl')
    first.xmlrpc('db').create_database(first.admin_passwd, name, False, 'en_US', ADMIN)
    yield first, second, name
    first.stop()
    second.stop()
    pgsupport.drop_database(pg, name)


class Client:
    def __init__(self, server, db, uid=SUPERUSER_ID, password=ADMIN):
        self.proxy = server.xmlrpc('object')
        self.db, self.uid, self.password = db, uid, password

    def __call__(self, model, method, *args, **kwargs):
        return self.proxy.execute_kw(self.db, self.uid, self.password, model, method, list(args), kwargs)

    def as_user(self, uid, password):
        clone = Client.__new__(Client)
        clone.proxy, clone.db, clone.uid, clone.password = self.proxy, self.db, uid, password
        return clone


def _module_action(client, name, action):
    client('ir.module.module', 'update_list')
    ids = client('ir.module.module', 'search', [('name', '=', name)])
    assert ids, name
    client('ir.module.module', action, ids)


@pytest.fixture(scope='module')
def clients(servers):
    first, second, db = servers
    a, b = Client(first, db), Client(second, db)
    _module_action(a, 'test_stateless', 'button_immediate_install')
    group_user = a('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    uid = a(
        'res.users',
        'create',
        {
            'name': 'Stateless User',
            'login': 'sl_user',
            'password': 'pw1',
            'groups_id': [(6, 0, [group_user])],
        },
    )
    return a, b, a.as_user(uid, 'pw1'), b.as_user(uid, 'pw1'), uid


def _fault(call, *args, **kwargs):
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(*args, **kwargs)
    return info.value


def test_module_installed_on_a_is_served_by_b_then_gone_after_uninstall(clients):
    a, b, _ua, _ub, _uid = clients
    assert "doesn't exist" in _fault(b, 'test.stateless.extra', 'search', []).faultString
    _module_action(a, 'test_stateless_extra', 'button_immediate_install')
    new_id = b('test.stateless.extra', 'create', {'name': 'made on B'})
    assert b('test.stateless.extra', 'read', [new_id], ['name'])[0]['name'] == 'made on B'
    assert b('ir.model', 'search_count', [('model', '=', 'test.stateless.extra')]) == 1
    _module_action(a, 'test_stateless_extra', 'button_immediate_uninstall')
    fault = _fault(b, 'test.stateless.extra', 'search', [])
    assert "doesn't exist" in fault.faultString
    assert b('ir.model', 'search_count', [('model', '=', 'test.stateless.extra')]) == 0


def test_access_right_granted_on_a_is_enforced_on_b(clients):
    a, _b, _ua, user_b, _uid = clients
    fault = _fault(user_b, 'test.stateless.item', 'create', {'name': 'refused'})
    assert fault.faultCode == 4
    acl = a('ir.model.access', 'search', [('name', '=', 'item user')])
    a('ir.model.access', 'write', acl, {'perm_create': True})
    try:
        assert user_b('test.stateless.item', 'create', {'name': 'allowed now'})
    finally:
        a('ir.model.access', 'write', acl, {'perm_create': False})
    assert _fault(user_b, 'test.stateless.item', 'create', {'name': 'refused again'}).faultCode == 4


def test_record_rule_added_on_a_filters_on_b(clients):
    a, _b, _ua, user_b, uid = clients
    mine = a('test.stateless.item', 'create', {'name': 'mine', 'owner_id': uid})
    theirs = a('test.stateless.item', 'create', {'name': 'theirs', 'owner_id': SUPERUSER_ID})
    assert {mine, theirs} <= set(user_b('test.stateless.item', 'search', []))
    model_id = a('ir.model', 'search', [('model', '=', 'test.stateless.item')])[0]
    group_user = a('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    rule = a(
        'ir.rule',
        'create',
        {
            'name': 'own items',
            'model_id': model_id,
            'domain_force': "[('owner_id', '=', user.id)]",
            'groups': [(6, 0, [group_user])],
        },
    )
    try:
        visible = set(user_b('test.stateless.item', 'search', []))
        assert mine in visible and theirs not in visible
    finally:
        a('ir.rule', 'unlink', [rule])
    assert theirs in set(user_b('test.stateless.item', 'search', []))


def test_group_removed_on_a_is_refused_on_b(clients):
    a, _b, _ua, user_b, uid = clients
    item = a('test.stateless.item', 'create', {'name': 'seen by members of Employee'})
    assert user_b('test.stateless.item', 'search', [('id', '=', item)]) == [item]
    group_user = a('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    a('res.users', 'write', [uid], {'groups_id': [(3, group_user)]})
    try:
        assert _fault(user_b, 'test.stateless.item', 'search', []).faultCode == 4
    finally:
        a('res.users', 'write', [uid], {'groups_id': [(4, group_user)]})
    # the group given back on A is honoured on B at once
    assert user_b('test.stateless.item', 'search', [('id', '=', item)]) == [item]


def test_password_changed_on_a_refuses_the_old_one_on_b(clients):
    a, b, _ua, user_b, uid = clients
    assert user_b('res.users', 'context_get')['uid'] == uid
    a('res.users', 'write', [uid], {'password': 'pw2'})
    assert _fault(user_b, 'res.users', 'context_get').faultCode == 3
    assert b.as_user(uid, 'pw2')('res.users', 'context_get')['uid'] == uid
    a('res.users', 'write', [uid], {'password': 'pw1'})
    assert user_b('res.users', 'context_get')['uid'] == uid


def test_archived_user_is_refused_on_b(clients):
    a, _b, _ua, user_b, uid = clients
    user_b('res.users', 'context_get')
    a('res.users', 'write', [uid], {'active': False})
    try:
        assert _fault(user_b, 'res.users', 'context_get').faultCode == 3
    finally:
        a('res.users', 'write', [uid], {'active': True})


def test_config_parameter_set_on_a_is_read_on_b(clients):
    a, b, _ua, _ub, _uid = clients
    a('ir.config_parameter', 'set_param', 'stateless.key', 'first')
    assert b('ir.config_parameter', 'get_param', 'stateless.key') == 'first'
    a('ir.config_parameter', 'set_param', 'stateless.key', 'second')
    assert b('ir.config_parameter', 'get_param', 'stateless.key') == 'second'


def test_decimal_precision_changed_on_a_rounds_on_b(clients):
    a, b, _ua, _ub, _uid = clients
    first = b('test.stateless.item', 'create', {'name': 'p2', 'value': 1.23456})
    assert b('test.stateless.item', 'read', [first], ['value'])[0]['value'] == 1.23
    precision = a('decimal.precision', 'search', [('name', '=', 'Stateless Precision')])
    a('decimal.precision', 'write', precision, {'digits': 4})
    try:
        second = b('test.stateless.item', 'create', {'name': 'p4', 'value': 1.23456})
        assert b('test.stateless.item', 'read', [second], ['value'])[0]['value'] == 1.2346
        assert b('test.stateless.item', 'fields_get', ['value'])['value']['digits'] == [16, 4]
    finally:
        a('decimal.precision', 'write', precision, {'digits': 2})


def test_wizard_created_on_a_is_finished_on_b(clients):
    a, _b, user_a, user_b, uid = clients
    item = a('test.stateless.item', 'create', {'name': 'wizard target', 'owner_id': uid})
    wizard = user_a('test.stateless.wizard', 'create', {'item_ids': [(6, 0, [item])], 'note': 'done on B'})
    assert user_b('test.stateless.wizard', 'action_apply', [wizard]) is True
    assert a('test.stateless.item', 'read', [item], ['note'])[0]['note'] == 'done on B'


def test_wizard_rows_are_private_to_their_creator(clients):
    a, _b, user_a, _ub, _uid = clients
    wizard = user_a('test.stateless.wizard', 'create', {'note': 'private'})
    other = a(
        'res.users',
        'create',
        {
            'name': 'Other',
            'login': 'sl_other',
            'password': 'pw',
            'groups_id': [(6, 0, [a('ir.model.data', 'xmlid_to_res_id', 'base.group_user')])],
        },
    )
    stranger = a.as_user(other, 'pw')
    assert stranger('test.stateless.wizard', 'search', [('id', '=', wizard)]) == []
    assert _fault(stranger, 'test.stateless.wizard', 'read', [wizard], ['note']).faultCode == 4


# -- in-process: cache kinds and the transient vacuum ---------------------------------------------


@pytest.fixture(scope='module')
def local_db(pg):
    name = pgsupport.new_db_name('oelt_slocal')
    pgsupport.create_database(pg, name)
    modules_module.initialize_addons_path(['tests/addons'])
    create_database_schema(name)
    Registry.new(name, install=['test_stateless'])
    yield name
    Registry.delete(name)
    sql_db.close_db(name)
    pgsupport.drop_database(pg, name)


def _env(cr, db):
    return Environment(cr, SUPERUSER_ID, {}, Registry.get(db))


def test_clearing_one_cache_kind_keeps_the_others_warm(local_db):
    registry = Registry.get(local_db)
    with sql_db.cursor(local_db) as cr:
        env = _env(cr, local_db)
        demo = env['res.users'].browse(SUPERUSER_ID)
        env['ir.config_parameter'].get_param('web.base.url')
        env['ir.model.data']._xmlid_to_res_id('base.group_user')
        demo._effective_group_ids(SUPERUSER_ID)
    before = registry.cache_stats()
    assert before['xmlid']['size'] and before['groups']['size'] and before['config']['size']
    with sql_db.cursor(local_db) as cr:
        registry.invalidate_cache('config', cr)
    after_clear = registry.cache_stats()
    assert after_clear['config']['size'] == 0
    assert after_clear['xmlid']['size'] == before['xmlid']['size']
    with sql_db.cursor(local_db) as cr:
        registry = registry.check_signals(cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        env['ir.model.data']._xmlid_to_res_id('base.group_user')
    assert registry.cache_stats()['xmlid']['hits'] > before['xmlid']['hits']


def test_signal_from_another_process_clears_only_its_kind(local_db):
    registry = Registry.get(local_db)
    with sql_db.cursor(local_db) as cr:
        registry = registry.check_signals(cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        env['ir.model.data']._xmlid_to_res_id('base.group_user')
        env['ir.config_parameter'].get_param('some.key')
    with sql_db.cursor(local_db) as cr:
        # what another process does after changing a parameter
        cr.execute("UPDATE openerp_lite_signal SET version = version + 1 WHERE kind = 'config'")
    with sql_db.cursor(local_db) as cr:
        assert registry.check_signals(cr) is registry
    stats = registry.cache_stats()
    assert stats['config']['size'] == 0 and stats['xmlid']['size'] > 0


def test_vacuum_removes_old_wizards_keeps_recent_ones_and_holds_the_count(local_db):
    registry = Registry.get(local_db)
    with sql_db.cursor(local_db) as cr:
        env = _env(cr, local_db)
        wizards = env['test.stateless.wizard'].create([{'note': 'w%d' % i} for i in range(6)])
        old = wizards[:3]
        cr.execute(
            "UPDATE test_stateless_wizard SET create_date = create_date - interval '3 hours', "
            "write_date = write_date - interval '3 hours' WHERE id = ANY(%s)",
            (old.ids,),
        )
        env.invalidate_all()
        registry.transient_age_limit, registry.transient_count_limit = 1.0, 0
        env['test.stateless.wizard']._transient_vacuum(force=True)
        remaining = env['test.stateless.wizard'].search([]).ids
        assert not set(old.ids) & set(remaining)
        assert set(wizards[3:].ids) <= set(remaining)
        # the count limit never removes rows touched in the last minutes...
        registry.transient_count_limit = 1
        env['test.stateless.wizard']._transient_vacuum(force=True)
        assert set(wizards[3:].ids) <= set(env['test.stateless.wizard'].search([]).ids)
        # ...but does remove the older ones beyond it
        cr.execute(
            "UPDATE test_stateless_wizard SET create_date = create_date - interval '10 minutes', "
            "write_date = write_date - interval '10 minutes'"
        )
        env['test.stateless.wizard']._transient_vacuum(force=True)
        assert len(env['test.stateless.wizard'].search([])) == 1
        registry.transient_count_limit = 0


# -- races between threads of one process (a threaded server) -----------------------------------


def _get_param(db, key, cr=None):
    if cr is not None:
        return _env(cr, db)['ir.config_parameter'].get_param(key)
    with sql_db.cursor(db) as cr:
        Registry.get(db).check_signals(cr)
        return _env(cr, db)['ir.config_parameter'].get_param(key)


def _set_param(db, key, value):
    with sql_db.cursor(db) as cr:
        Registry.get(db).check_signals(cr)
        _env(cr, db)['ir.config_parameter'].set_param(key, value)


def test_a_value_read_by_the_transaction_that_changed_it_never_reaches_the_cache(local_db):
    _set_param(local_db, 'race.uncommitted', 'old')
    writer = sql_db.cursor(local_db)
    try:
        Registry.get(local_db).check_signals(writer)
        _env(writer, local_db)['ir.config_parameter'].set_param('race.uncommitted', 'new')
        assert _get_param(local_db, 'race.uncommitted', writer) == 'new'
        # another thread, meanwhile: only committed values
        assert _get_param(local_db, 'race.uncommitted') == 'old'
        writer.rollback()
    finally:
        writer.close()
    assert _get_param(local_db, 'race.uncommitted') == 'old'


def test_a_read_from_a_snapshot_older_than_a_committed_change_is_not_cached(local_db):
    _set_param(local_db, 'race.snapshot', 'old')
    slow = sql_db.cursor(local_db)
    try:
        Registry.get(local_db).check_signals(slow)  # its snapshot starts here
        _set_param(local_db, 'race.snapshot', 'new')  # committed and signalled by another thread
        assert _get_param(local_db, 'race.snapshot', slow) == 'old'
        slow.rollback()
    finally:
        slow.close()
    assert _get_param(local_db, 'race.snapshot') == 'new'


def test_a_second_transaction_on_one_cursor_signals_its_changes_too(local_db):
    with sql_db.cursor(local_db) as cr:
        before = read_signals(cr)['config']
    with sql_db.cursor(local_db) as cr:
        Registry.get(local_db).check_signals(cr)
        _env(cr, local_db)['ir.config_parameter'].set_param('race.twice', 'one')
        cr.commit()
        _env(cr, local_db)['ir.config_parameter'].set_param('race.twice', 'two')
    with sql_db.cursor(local_db) as cr:
        assert read_signals(cr)['config'] == before + 2


def test_threads_noticing_two_quick_registry_changes_reload_once(local_db, caplog):
    stale = Registry.get(local_db)
    bump = "UPDATE openerp_lite_signal SET version = version + 1 WHERE kind = 'registry'"
    with sql_db.cursor(local_db) as cr:
        cr.execute(bump)
    first = sql_db.cursor(local_db)
    try:
        read_signals(first)  # this thread's snapshot sees the first change only
        with sql_db.cursor(local_db) as cr:
            cr.execute(bump)
        caplog.set_level('INFO', logger='openerp_lite.registry')
        with sql_db.cursor(local_db) as second:
            newest = stale.check_signals(second)
        assert newest is not stale
        # the slower thread must use the newer registry, not build an older one over it
        assert stale.check_signals(first) is newest
        first.rollback()
    finally:
        first.close()
    assert Registry.get(local_db) is newest
    assert sum('reloading' in r.getMessage() for r in caplog.records) == 1
