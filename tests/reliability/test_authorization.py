"""Authorization by construction, tried as an attacker would: an ordinary internal user, a user
with no group at all, and an anonymous client.

The surface tests follow the declaration, not a list: every method declared callable over RPC on
every model of a database with every addon installed is called as a user who lacks exactly what
the declaration asks for, and every public attribute that is *not* declared is called as the
administrator; each call must be refused and no row may change. Then one test per hole a review
found, over XML-RPC, JSON-RPC and the web session's ``call_kw``.
"""

import itertools

import pytest

from openerp_lite import sql_db
from tests.support import pg as pgsupport
from tests.support.orm import TEST_ADDONS, RpcClient, RpcFault, client_for, make_user

from .support import CLEAN, OK, PASSWORDS, database_digest, proxy, sql

#: every addon of the repository and of the test addons path, but one left to install
MODULES = ['sale', 'bench_tools', 'test_orm', 'test_reliability', 'test_stateless', 'test_misbehave']
NOT_INSTALLED = 'test_stateless_extra'
#: the users of the database: login -> groups (their password is the login twice)
USERS = {
    'nobody': [],
    'internal': ['base.group_user'],
    'salesman': ['sale.group_sale_salesman'],
    'team_a': ['test_reliability.group_team_a'],
    'team_b': ['test_reliability.group_team_b'],
    # whose password the anonymous client guesses (its back-off must not slow down the others)
    'victim': ['base.group_user'],
}
ROUTES = ('xmlrpc2', 'jsonrpc', 'legacy', 'web')
HOLE_ROUTES = ('xmlrpc2', 'jsonrpc', 'web')
#: rows the refused calls of an anonymous client are expected to write: its failures
UNWATCHED = ('auth_failure', 'web_session')


def password_of(login):
    return login * 2 if login not in PASSWORDS else PASSWORDS[login]


@pytest.fixture(scope='module')
def world(pg, rel_server):
    """A database with every addon installed and the users of :data:`USERS`."""
    name = pgsupport.new_db_name('oelauth')
    proxy(rel_server, 'db', timeout=300).create_database(
        rel_server.admin_passwd, name, True, 'en_US', 'admin'
    )
    try:
        admin = RpcClient(rel_server, 'xmlrpc2', name, 1, 'admin')
        admin.call('ir.module.module', 'update_list')
        ids = admin.call('ir.module.module', 'search', [('name', 'in', MODULES)])
        admin.call('ir.module.module', 'button_immediate_install', ids)
        uids = {login: make_user(admin, login, groups, password_of(login)) for login, groups in USERS.items()}
        yield {'name': name, 'uids': uids, 'admin': admin, 'server': rel_server}
    finally:
        pgsupport.drop_database(pg, name)


def as_user(world, login, route='xmlrpc2'):
    return client_for(world['server'], route, world['name'], world['uids'][login], login, password_of(login))


@pytest.fixture(scope='module')
def declared(world):
    """The declared RPC surface of the world's registry, read in this process from the same code
    the server runs: ``{'surface': {model: {method: RpcMethod}}, 'sample': {model: id},
    'rights': {(login, model, mode): bool}, 'classes': {model: final class}}``."""
    from openerp_lite.modules import module as modules_module
    from openerp_lite.orm.environment import Environment
    from openerp_lite.registry import Registry

    modules_module.initialize_addons_path([TEST_ADDONS])
    db = world['name']
    registry = Registry.get(db)
    try:
        surface = {name: dict(cls._rpc_methods) for name, cls in registry.models.items()}
        sample, rights = {}, {}
        with sql_db.cursor(db) as cr:
            for name, cls in registry.models.items():
                if cls._abstract or not cls._auto:
                    continue
                cr.execute('SELECT id FROM "%s" ORDER BY id LIMIT 1' % cls._table)
                row = cr.fetchone()
                sample[name] = row[0] if row else 1
            for login in ('nobody', 'internal'):
                env = Environment(cr, world['uids'][login], {}, registry)
                for name in registry.models:
                    for mode in ('read', 'write', 'create', 'unlink'):
                        rights[login, name, mode] = env[name].check_access_rights(mode, raise_exception=False)
                rights[login, 'groups'] = env['res.users']._user_group_xmlids(env.uid)
        yield {'surface': surface, 'sample': sample, 'rights': rights, 'classes': dict(registry.models)}
    finally:
        Registry.delete(db)
        sql_db.close_db(db)


def _lacking(declared, model, declaration):
    """Who lacks what ``declaration`` asks for: a user login, or None for an anonymous client."""
    rights = declared['rights']
    if declaration.groups:
        for login in ('internal', 'nobody'):
            if not set(declaration.groups) & rights[login, 'groups']:
                return login
        pytest.fail(
            'every user is in one of %s: nobody can be refused %s' % (declaration.groups, declaration.name)
        )
    if declaration.access is None:
        return None
    for login in ('nobody', 'internal'):
        if not rights[login, model, declaration.access]:
            return login
    pytest.fail(
        'every user holds %s on %s: nobody can be refused %s' % (declaration.access, model, declaration.name)
    )


def _args(declared, model, declaration):
    return [[declared['sample'].get(model, 1)]] if declaration.records else []


def test_every_declared_method_refuses_a_caller_without_its_declared_right(pg, world, declared, scenario):
    """The generated surface test: each declared method of each installed model, called as a
    user who lacks the declared access right or group (an anonymous client when it asks only
    for a login), over the four routes in turn. Every call refused, no row changed."""
    surface = declared['surface']
    pairs = sorted((model, name) for model, methods in surface.items() for name in methods)
    row = scenario(
        'declared surface: every method, caller without its right (%d methods, %d '
        'models)' % (len(pairs), len({m for m, _n in pairs}))
    )
    # every client logs in first: a web login records its date, which is not the refused calls'
    clients = {
        (login, route): as_user(world, login, route) for login in ('nobody', 'internal') for route in ROUTES
    }
    for client in clients.values():
        if client.route == 'web':
            assert client.session()
    before = database_digest(pg, world['name'], exclude=UNWATCHED)
    routes = itertools.cycle(ROUTES)
    anonymous = RpcClient(
        world['server'], 'xmlrpc2', world['name'], world['uids']['victim'], 'not-the-password'
    )
    reached = []
    for model, name in pairs:
        declaration = surface[model][name]
        login = _lacking(declared, model, declaration)
        route = next(routes)
        if login is None:
            client, wanted = anonymous, 'denied'
        else:
            client, wanted = clients[login, route], 'access'
        try:
            client.call(model, name, *_args(declared, model, declaration))
        except RpcFault as fault:
            row.count(CLEAN if fault.category == wanted else 'unexpected', expected=(CLEAN,))
            if fault.category != wanted:
                reached.append((model, name, login, route, fault.category, fault.message[:120]))
            continue
        row.count(OK, expected=())
        reached.append((model, name, login, route, 'answered', ''))
    after = database_digest(pg, world['name'], exclude=UNWATCHED)
    changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
    row.duplicated = len(changed)
    row.note(
        '%d calls refused as expected; tables changed: %s'
        % (row.expected_failures, ', '.join(changed) or 'none')
    )
    assert reached == []
    assert changed == []


def test_undeclared_public_attributes_are_refused_even_for_the_administrator(pg, world, declared, scenario):
    """Every public callable attribute of every model class that is not declared: refused with an
    access error naming it, for the superuser too."""
    admin = world['admin']
    calls = []
    for model, cls in sorted(declared['classes'].items()):
        for name in dir(cls):
            if name.startswith('_') or name in declared['surface'][model]:
                continue
            if callable(getattr(cls, name, None)):
                calls.append((model, name))
    row = scenario('undeclared public attributes, as the administrator (%d)' % len(calls))
    before = database_digest(pg, world['name'], exclude=UNWATCHED)
    reached = []
    for model, name in calls:
        for args in ([], [[declared['sample'].get(model, 1)]]):
            try:
                admin.call(model, name, *args)
            except RpcFault as fault:
                named = fault.category == 'access' and name in fault.message
                row.count(CLEAN if named else 'unexpected', expected=(CLEAN,))
                if not named:
                    reached.append((model, name, fault.category, fault.message[:100]))
                continue
            row.count(OK, expected=())
            reached.append((model, name, 'answered'))
    after = database_digest(pg, world['name'], exclude=UNWATCHED)
    assert reached == []
    assert before == after
    assert ('res.partner', 'sudo') in calls and ('res.currency', 'round') in calls


# -- the holes of the review, one by one, over three routes --------------------------------------


def _refused(row, call, category='access'):
    """Count one call that must be refused with ``category``; returns a finding or None."""
    try:
        value = call()
    except RpcFault as fault:
        ok = fault.category == category
        row.count(CLEAN if ok else 'unexpected', expected=(CLEAN,))
        return None if ok else (fault.category, fault.message[:150])
    row.count(OK, expected=())
    return ('answered', repr(value)[:150])


def _module_rows(pg, db):
    return sql(pg, db, 'SELECT name, state, latest_version FROM ir_module_module ORDER BY name')


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_an_internal_user_cannot_install_upgrade_or_uninstall_modules(pg, world, scenario, route):
    row = scenario('modules: internal user installs/upgrades/uninstalls (%s)' % route)
    db, admin = world['name'], world['admin']
    user = as_user(world, 'internal', route)
    sale = admin.call('ir.module.module', 'search', [('name', '=', 'sale')])
    extra = admin.call('ir.module.module', 'search', [('name', '=', NOT_INSTALLED)])
    before = _module_rows(pg, db)
    findings = [
        f
        for f in (
            _refused(row, lambda: user.call('ir.module.module', 'button_immediate_uninstall', sale)),
            _refused(row, lambda: user.call('ir.module.module', 'button_uninstall', sale)),
            _refused(row, lambda: user.call('ir.module.module', 'button_immediate_upgrade', sale)),
            _refused(row, lambda: user.call('ir.module.module', 'button_immediate_install', extra)),
            _refused(row, lambda: user.call('ir.module.module', 'button_install', extra)),
            _refused(row, lambda: user.call('ir.module.module', 'update_list')),
            _refused(row, lambda: user.call('ir.module.module', 'write', sale, {'state': 'to remove'})),
        )
        if f
    ]
    assert findings == []
    assert _module_rows(pg, db) == before
    assert sql(pg, db, "SELECT to_regclass('sale_order') IS NOT NULL")[0][0]
    assert admin.call('sale.order', 'search_count', []) > 0


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_no_read_path_reveals_a_password_hash_or_a_field_of_another_group(pg, world, scenario, route):
    row = scenario('field access: password hashes and groups= fields on every read path (%s)' % route)
    user = as_user(world, 'internal', route)
    users, partners = 'res.users', 'res.partner'
    findings = [
        f
        for f in (
            _refused(
                row, lambda: user.call(users, 'read_group', [], ['login'], ['password_hash']), 'warning'
            ),
            _refused(
                row, lambda: user.call(users, 'read_group', [], ['password_hash:count_distinct'], ['login'])
            ),
            _refused(
                row, lambda: user.call(users, 'read_group', [], ['h:array_agg(password_hash)'], ['login'])
            ),
            _refused(row, lambda: user.call(users, 'search', [], order='password_hash')),
            _refused(
                row, lambda: user.call(users, 'search', [('password_hash', 'like', '$pbkdf2%')]), 'warning'
            ),
            _refused(
                row,
                lambda: user.call(partners, 'search', [('user_ids.password_hash', '!=', False)]),
                'warning',
            ),
            _refused(row, lambda: user.call(users, 'read', [1], ['password_hash'])),
            _refused(row, lambda: user.call(users, 'search_read', [], ['password_hash'])),
        )
        if f
    ]
    assert 'password_hash' not in user.call(users, 'fields_get')
    assert 'password_hash' not in user.call(users, 'fields_get_keys')
    assert all('password_hash' not in r for r in user.call(users, 'search_read', [], []))
    # a groups= field: team B may not read, search, group or sort by team A's bonus
    note = 'test.reliability.note'
    team_b, team_a = as_user(world, 'team_b', route), as_user(world, 'team_a', route)
    findings += [
        f
        for f in (
            _refused(row, lambda: team_b.call(note, 'read_group', [], ['amount'], ['bonus'])),
            _refused(row, lambda: team_b.call(note, 'read_group', [], ['bonus'], ['team'])),
            _refused(row, lambda: team_b.call(note, 'search', [('bonus', '>', 0)])),
            _refused(row, lambda: team_b.call(note, 'search', [], order='bonus desc')),
            _refused(row, lambda: team_b.call(note, 'search_read', [], ['bonus'])),
            _refused(
                row, lambda: team_b.call('test.reliability.folder', 'search', [('note_ids.bonus', '>', 0)])
            ),
        )
        if f
    ]
    assert 'bonus' not in team_b.call(note, 'fields_get')
    assert team_a.call(note, 'read_group', [], ['amount'], ['bonus']) is not None
    assert 'bonus' in team_a.call(note, 'fields_get')
    assert findings == []


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_system_parameters_follow_their_access_rights_on_every_method(pg, world, scenario, route):
    row = scenario('ir.config_parameter: get_param/set_param as an internal user (%s)' % route)
    db, admin = world['name'], world['admin']
    admin.call('ir.config_parameter', 'set_param', 'test.secret', 's3cret')
    user = as_user(world, 'internal', route)
    before = sql(pg, db, 'SELECT key, value FROM ir_config_parameter ORDER BY key')
    findings = [
        f
        for f in (
            _refused(row, lambda: user.call('ir.config_parameter', 'get_param', 'test.secret')),
            _refused(row, lambda: user.call('ir.config_parameter', 'set_param', 'test.secret', 'mine')),
            _refused(row, lambda: user.call('ir.config_parameter', 'set_param', 'new.key', 'x')),
            _refused(row, lambda: user.call('ir.config_parameter', 'set_param', 'test.secret', False)),
            _refused(row, lambda: user.call('ir.config_parameter', 'search_read', [])),
        )
        if f
    ]
    assert findings == []
    assert sql(pg, db, 'SELECT key, value FROM ir_config_parameter ORDER BY key') == before
    assert admin.call('ir.config_parameter', 'get_param', 'test.secret') == 's3cret'


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_taking_a_sequence_number_needs_the_write_right(pg, world, scenario, route):
    row = scenario('ir.sequence: numbers taken by an internal user (%s)' % route)
    admin = world['admin']
    user = as_user(world, 'internal', route)
    seq = admin.call('ir.sequence', 'search', [('code', '=', 'sale.order')])
    before = admin.call('ir.sequence', 'next_by_code', 'sale.order')
    findings = [
        f
        for f in (
            _refused(row, lambda: user.call('ir.sequence', 'next_by_code', 'sale.order')),
            _refused(row, lambda: user.call('ir.sequence', 'next_by_id', seq)),
        )
        if f
    ]
    assert findings == []
    after = admin.call('ir.sequence', 'next_by_code', 'sale.order')
    # no number was taken in between: the two taken by the administrator follow each other
    assert int(after[2:]) == int(before[2:]) + 1, (before, after)


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_context_keys_from_the_wire_do_not_skip_the_order_life_cycle(pg, world, scenario, route):
    row = scenario('sale life cycle: context keys from the client (%s)' % route)
    salesman = as_user(world, 'salesman', route)
    partner = world['admin'].call('res.partner', 'search', [], limit=1)[0]
    order = salesman.call('sale.order', 'create', {'partner_id': partner})
    findings = [
        f
        for f in (
            _refused(
                row,
                lambda: salesman.call(
                    'sale.order', 'write', [order], {'state': 'done'}, context={'sale_state_change': True}
                ),
                'warning',
            ),
            _refused(
                row,
                lambda: salesman.call(
                    'sale.order',
                    'create',
                    {'partner_id': partner, 'state': 'sale'},
                    context={'sale_state_change': True},
                ),
                'warning',
            ),
        )
        if f
    ]
    made = salesman.call(
        'sale.order',
        'create',
        {'partner_id': partner},
        context={'default_state': 'done', 'default_name': 'FORGED'},
    )
    row.count(OK)
    states = {
        r['id']: (r['state'], r['name'])
        for r in salesman.call('sale.order', 'read', [made, order], ['state', 'name'])
    }
    assert findings == []
    assert states[order][0] == 'draft'
    assert states[made][0] == 'draft' and states[made][1] != 'FORGED', states


# -- found by the attacker's review, kept as tests -------------------------------------------------


@pytest.fixture(scope='module')
def orders(world):
    """Orders of two salesmen: ``{'mine': draft of salesman, 'mine_done': done of salesman,
    'theirs': draft of another salesman, 'theirs_done': done of the other}``."""
    admin = world['admin']
    other = make_user(admin, 'salesman2', ['sale.group_sale_salesman'], 'salesman2salesman2')
    partner = admin.call('res.partner', 'search', [], limit=1)[0]
    product = admin.call('product.product', 'search', [], limit=1)[0]

    def order(user, done):
        oid = admin.call(
            'sale.order',
            'create',
            {'partner_id': partner, 'user_id': user, 'order_line': [(0, 0, {'product_id': product})]},
        )
        if done:
            admin.call('sale.order', 'action_confirm', [oid])
            admin.call('sale.order', 'action_done', [oid])
        return oid

    salesman = world['uids']['salesman']
    return {
        'mine': order(salesman, False),
        'mine_done': order(salesman, True),
        'theirs': order(other, False),
        'theirs_done': order(other, True),
        'product': product,
        'partner': partner,
    }


def _order_rows(pg, db):
    return sql(pg, db, 'SELECT id, state, amount_total, note FROM sale_order ORDER BY id'), sql(
        pg, db, 'SELECT id, order_id, price_unit FROM sale_order_line ORDER BY id'
    )


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_a_salesman_cannot_move_his_lines_into_orders_he_may_not_change(pg, world, orders, scenario, route):
    row = scenario('sale: own order lines moved into hidden or done orders (%s)' % route)
    salesman = as_user(world, 'salesman', route)
    mine = salesman.call(
        'sale.order',
        'create',
        {
            'partner_id': orders['partner'],
            'order_line': [(0, 0, {'product_id': orders['product'], 'price_unit': 100000})],
        },
    )
    [line] = salesman.call('sale.order', 'read', [mine], ['order_line'])[0]['order_line']
    before = _order_rows(pg, world['name'])
    line_model = 'sale.order.line'
    findings = [
        f
        for f in (
            _refused(row, lambda: salesman.call(line_model, 'write', [line], {'order_id': orders['theirs']})),
            _refused(
                row,
                lambda: salesman.call(
                    line_model,
                    'write',
                    [line],
                    {'order_id': orders['theirs_done'], 'price_unit': 1, 'discount': 200},
                ),
            ),
            _refused(
                row,
                lambda: salesman.call(line_model, 'write', [line], {'order_id': orders['mine_done']}),
                'warning',
            ),
            _refused(
                row,
                lambda: salesman.call(
                    'sale.order', 'write', [orders['mine_done']], {'order_line': [(4, line)]}
                ),
                'warning',
            ),
            _refused(
                row,
                lambda: salesman.call(
                    'sale.order', 'write', [orders['mine_done']], {'note': 'edited after done'}
                ),
                'warning',
            ),
            _refused(
                row,
                lambda: salesman.call(
                    line_model, 'create', {'order_id': orders['theirs'], 'product_id': orders['product']}
                ),
            ),
        )
        if f
    ]
    assert findings == []
    assert _order_rows(pg, world['name']) == before
    # the messages name nothing the salesman may not read
    with pytest.raises(RpcFault) as info:
        salesman.call(line_model, 'write', [line], {'order_id': orders['theirs_done']})
    assert 'SO' not in info.value.message and 'Done' not in info.value.message


@pytest.mark.parametrize('route', HOLE_ROUTES)
def test_many2many_commands_keep_the_links_to_records_the_user_cannot_see(pg, world, scenario, route):
    row = scenario('many2many commands and links to hidden records (%s)' % route)
    admin, db = world['admin'], world['name']
    tag_a = admin.call('test.reliability.tag', 'create', {'name': 'hidden A', 'team': 'a'})
    tag_b = admin.call('test.reliability.tag', 'create', {'name': 'visible B', 'team': 'b'})
    folder = admin.call(
        'test.reliability.folder',
        'create',
        {'name': 'B folder', 'team': 'b', 'tag_ids': [(6, 0, [tag_a, tag_b])]},
    )
    team_b = as_user(world, 'team_b', route)
    seen = team_b.call('test.reliability.folder', 'read', [folder], ['tag_ids'])[0]['tag_ids']
    assert seen == [tag_b]

    def links():
        return sorted(
            r[0]
            for r in sql(
                pg,
                db,
                'SELECT test_reliability_tag_id FROM '
                'test_reliability_folder_test_reliability_tag_rel '
                'WHERE test_reliability_folder_id = %s',
                (folder,),
            )
        )

    for command in ([(6, 0, seen)], [(3, tag_a)], [(5,)]):
        team_b.call('test.reliability.folder', 'write', [folder], {'tag_ids': command})
        row.count(OK)
        assert tag_a in links(), command
        team_b.call('test.reliability.folder', 'write', [folder], {'tag_ids': [(6, 0, [tag_b])]})
    findings = [
        f
        for f in (
            _refused(
                row,
                lambda: team_b.call('test.reliability.folder', 'write', [folder], {'tag_ids': [(4, tag_a)]}),
            ),
            _refused(
                row,
                lambda: team_b.call(
                    'test.reliability.folder',
                    'create',
                    {'name': 'steal', 'team': 'b', 'tag_ids': [(6, 0, [tag_a])]},
                ),
            ),
        )
        if f
    ]
    assert findings == []
    assert links() == sorted([tag_a, tag_b])


def test_a_refused_call_clears_no_cache_and_counts_no_failure_for_a_right_password(pg, world, scenario):
    row = scenario('refused calls: caches kept, right passwords not counted as failures')
    admin, db = world['admin'], world['name']
    for login in ('internal', 'salesman'):
        as_user(world, login).call('res.users', 'context_get')
    sizes = admin.call('test.reliability.row', 'cache_sizes')
    assert sizes['credentials'] >= 2
    user = as_user(world, 'internal')
    partner = user.call('res.partner', 'create', {'name': 'own partner'})
    # refused, and rolled back: it must not empty every cache of the process on its way
    with pytest.raises(RpcFault):
        user.call(
            'res.partner',
            'write',
            [partner],
            {'user_ids': [(1, world['uids']['internal'], {'login': 'internal'})]},
        )
    row.count(CLEAN)
    after = admin.call('test.reliability.row', 'cache_sizes')
    assert after['credentials'] >= sizes['credentials'], (sizes, after)
    # a right password whose call is refused is a right password: nothing counted against it
    uid, login = make_user(admin, 'refused_ok', ['base.group_user'], 'refusedpw'), 'refused_ok'
    client = RpcClient(world['server'], 'xmlrpc2', db, uid, 'refusedpw')
    for _ in range(8):
        with pytest.raises(RpcFault):
            client.call('ir.config_parameter', 'get_param', 'x')
        row.count(CLEAN)
    assert not sql(pg, db, 'SELECT failures FROM auth_failure WHERE key = %s', (login,))
    assert client.call('res.users', 'context_get')['uid'] == uid


def test_old_failed_login_counts_are_forgotten(pg, world, scenario):
    from openerp_lite.service import login_guard

    row = scenario('failed-login counts: old ones purged by the daily job')
    db = world['name']
    sql(
        pg,
        db,
        'INSERT INTO auth_failure (key, source, failures, last_seen, blocked_until) VALUES '
        "('old', '198.51.100.1', 3, now() - interval '2 days', NULL), "
        "('blocked', '198.51.100.1', 9, now() - interval '2 days', now() + interval '1 hour'), "
        "('recent', '198.51.100.1', 2, now(), NULL)",
    )
    with sql_db.cursor(db) as cr:
        deleted = login_guard.purge(cr)
    row.count(OK)
    left = {key for (key,) in sql(pg, db, "SELECT key FROM auth_failure WHERE source = '198.51.100.1'")}
    row.note('%d purged; kept: %s' % (deleted, ', '.join(sorted(left))))
    assert left == {'blocked', 'recent'} and deleted >= 1
    assert world['admin'].call('ir.cron', 'search_count', [('function', '=', '_purge_login_failures')]) == 1
