"""Custom models and fields created over the API, as Odoo's external API documentation shows:
an ``ir.model`` row of state ``manual`` becomes a model with its table, ``ir.model.fields`` rows
add ``x_`` fields of every common type to it or to an existing model, deleting them drops them,
and a failed call leaves nothing behind. Over the three routes, against a real server; what an
ordinary user and an administrator may not do is tested here too.
"""

import base64
import itertools
import xmlrpc.client

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import ROUTES, RpcClient, RpcFault, create_orm_db, drop_db, make_user

_names = itertools.count()


def unique(prefix='x_m'):
    return '%s%d' % (prefix, next(_names))


@pytest.fixture(scope='module')
def world(orm_server):
    db = create_orm_db(orm_server, demo=False)
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    uids = {
        'clerk': make_user(admin, 'clerk', ['base.group_user']),
        'sysadmin': make_user(admin, 'sysadmin', ['base.group_user', 'base.group_system']),
    }
    yield {'db': db, 'admin': admin, 'uids': uids}
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def api(request, orm_server, world):
    return RpcClient(orm_server, request.param, world['db'], 1, 'admin')


def as_user(orm_server, world, login, route='xmlrpc2'):
    return RpcClient(orm_server, route, world['db'], world['uids'][login], login)


def columns(world, table):
    return {
        row[0]
        for row in pgsupport.sql(
            pgsupport.params(),
            world['db'],
            'SELECT column_name FROM information_schema.columns WHERE table_name = %s',
            (table,),
        )
    }


def table_exists(world, table):
    return pgsupport.sql(pgsupport.params(), world['db'], 'SELECT to_regclass(%s) IS NOT NULL', (table,))[0][
        0
    ]


def new_model(api, name=None, **extra):
    name = name or unique()
    model_id = api.call(
        'ir.model', 'create', dict({'name': 'Custom %s' % name, 'model': name, 'state': 'manual'}, **extra)
    )
    return name, model_id


def add_field(api, model_id, name, ttype, **extra):
    return api.call(
        'ir.model.fields',
        'create',
        dict({'model_id': model_id, 'name': name, 'ttype': ttype, 'state': 'manual'}, **extra),
    )


# -- Odoo's documented examples --------------------------------------------------------------------


def test_the_documented_example_of_a_custom_model_works_unchanged(api, world):
    """The External API page: create the model, list its fields, then (older version) define its
    x_name as required, or (newer version) add an x_foo; records are created and read back."""
    name = unique('x_custom_model')
    model_id = api.call('ir.model', 'create', {'name': 'Custom Model', 'model': name, 'state': 'manual'})
    described = api.call(name, 'fields_get', attributes=['string', 'help', 'type'])
    assert {'id', 'create_uid', 'create_date', 'write_uid', 'write_date', 'display_name', 'x_name'} <= set(
        described
    )
    assert described['x_name']['type'] == 'char'
    # the older page creates x_name itself, required
    field_id = add_field(api, model_id, 'x_name', 'char', required=True)
    assert api.call(name, 'fields_get', ['x_name'])['x_name']['required'] is True
    record_id = api.call(name, 'create', {'x_name': 'test record'})
    [record] = api.call(name, 'read', [record_id])
    assert record['x_name'] == 'test record' and record['display_name'] == 'test record'
    assert record['create_uid'][0] == 1
    # the newer page adds x_foo
    add_field(api, model_id, 'x_foo', 'char')
    other = api.call(name, 'create', {'x_foo': 'test record', 'x_name': 'second'})
    assert api.call(name, 'read', [other], ['x_foo'])[0]['x_foo'] == 'test record'
    # the model and its fields are rows a client can read like any
    [row] = api.call('ir.model', 'read', [model_id], ['model', 'state', 'field_id'])
    assert row['model'] == name and row['state'] == 'manual' and field_id in row['field_id']
    names = api.call(
        'ir.model.fields', 'search_read', [('model_id', '=', model_id)], ['name', 'state', 'model']
    )
    states = {f['name']: f['state'] for f in names}
    assert states['x_name'] == states['x_foo'] == 'manual' and states['create_uid'] == 'base'
    assert {f['model'] for f in names} == {name}
    assert table_exists(world, name)


def test_a_field_names_its_model_by_name_or_by_id(api, world):
    name, model_id = new_model(api)
    add_field(api, None, 'x_by_name', 'integer', model=name)
    assert api.call(name, 'fields_get', ['x_by_name'])['x_by_name']['type'] == 'integer'
    with pytest.raises(RpcFault, match='disagree'):
        add_field(api, model_id, 'x_other', 'integer', model='res.partner')
    with pytest.raises(RpcFault, match='needs the model'):
        api.call('ir.model.fields', 'create', {'name': 'x_orphan', 'ttype': 'char', 'state': 'manual'})


# -- every common type ------------------------------------------------------------------------------

PNG = base64.b64encode(b'\x89PNG\r\n\x1a\n' + b'\0' * 32).decode()


def test_every_common_field_type_stores_reads_and_searches(api, world):
    name, model_id = new_model(api)
    line_name, line_model = new_model(api)
    add_field(api, line_model, 'x_parent_id', 'many2one', relation=name, on_delete='cascade')
    add_field(api, model_id, 'x_line_ids', 'one2many', relation=line_name, relation_field='x_parent_id')
    add_field(api, model_id, 'x_text', 'text')
    add_field(api, model_id, 'x_html', 'html')
    add_field(api, model_id, 'x_count', 'integer')
    add_field(api, model_id, 'x_ratio', 'float')
    add_field(api, model_id, 'x_done', 'boolean')
    add_field(api, model_id, 'x_day', 'date')
    add_field(api, model_id, 'x_moment', 'datetime')
    add_field(api, model_id, 'x_colour', 'selection', selection="[('red', 'Red'), ('blue', 'Blue')]")
    add_field(
        api,
        model_id,
        'x_size',
        'selection',
        selection_ids=[
            (0, 0, {'value': 's', 'name': 'Small', 'sequence': 1}),
            (0, 0, {'value': 'l', 'name': 'Large', 'sequence': 2}),
        ],
    )
    add_field(api, model_id, 'x_partner_id', 'many2one', relation='res.partner')
    add_field(api, model_id, 'x_tag_ids', 'many2many', relation='res.partner.category')
    add_field(api, model_id, 'x_file', 'binary')
    add_field(api, model_id, 'x_currency_id', 'many2one', relation='res.currency')
    add_field(api, model_id, 'x_amount', 'monetary')
    described = api.call(name, 'fields_get')
    assert described['x_colour']['selection'] == [['red', 'Red'], ['blue', 'Blue']]
    assert described['x_size']['selection'] == [['s', 'Small'], ['l', 'Large']]
    assert described['x_amount']['type'] == 'monetary'
    assert described['x_line_ids']['relation'] == line_name
    partner = api.call('res.partner', 'create', {'name': 'Custom partner %s' % name})
    tag = api.call('res.partner.category', 'create', {'name': 'Tag %s' % name})
    currency = api.call('res.currency', 'search', [], limit=1)[0]
    record = api.call(
        name,
        'create',
        {
            'x_name': 'All types',
            'x_text': 'long\ntext',
            'x_html': '<p>hi</p>',
            'x_count': 42,
            'x_ratio': 2.5,
            'x_done': True,
            'x_day': '2026-12-01',
            'x_moment': '2026-12-01 10:30:00',
            'x_colour': 'blue',
            'x_size': 'l',
            'x_partner_id': partner,
            'x_tag_ids': [(6, 0, [tag])],
            'x_file': PNG,
            'x_currency_id': currency,
            'x_amount': 19.99,
            'x_line_ids': [(0, 0, {'x_name': 'line one'}), (0, 0, {'x_name': 'line two'})],
        },
    )
    [values] = api.call(name, 'read', [record])
    assert values['x_text'] == 'long\ntext' and values['x_count'] == 42 and values['x_ratio'] == 2.5
    assert values['x_done'] is True and values['x_day'] == '2026-12-01'
    assert values['x_moment'] == '2026-12-01 10:30:00' and values['x_colour'] == 'blue'
    assert values['x_size'] == 'l' and values['x_partner_id'][0] == partner
    assert values['x_tag_ids'] == [tag] and values['x_file'] == PNG and values['x_amount'] == 19.99
    assert len(values['x_line_ids']) == 2
    # searching by them
    for domain in (
        [('x_count', '>', 41)],
        [('x_colour', '=', 'blue')],
        [('x_done', '=', True)],
        [('x_partner_id.name', 'like', 'Custom partner')],
        [('x_tag_ids', 'in', [tag])],
        [('x_line_ids.x_name', '=', 'line two')],
        [('x_day', '>=', '2026-01-01')],
    ):
        assert api.call(name, 'search', domain) == [record], domain
    assert api.call(line_name, 'search_count', [('x_parent_id', '=', record)]) == 2
    # a bad selection value is refused like any
    with pytest.raises(RpcFault):
        api.call(name, 'write', [record], {'x_colour': 'green'})
    # the binary lives as an attachment, found through the record
    [attachment] = api.call(
        'ir.attachment',
        'search_read',
        [('res_model', '=', name), ('res_id', '=', record), ('res_field', '=', 'x_file')],
        ['datas'],
    )
    assert attachment['datas'] == PNG
    # deleting the record deletes its lines (on_delete cascade)
    api.call(name, 'unlink', [record])
    assert api.call(line_name, 'search_count', [('x_parent_id', '=', record)]) == 0


def test_custom_fields_extend_existing_models_and_reach_users_through_their_partner(api, world):
    field = unique('x_shoe_size')
    add_field(api, None, field, 'integer', model='res.partner', field_description='Shoe size')
    assert field in columns(world, 'res_partner')
    partner = api.call('res.partner', 'create', {'name': 'Tall', field: 47})
    assert api.call('res.partner', 'read', [partner], [field])[0][field] == 47
    assert api.call('res.partner', 'search', [(field, '=', 47)]) == [partner]
    # users are partners: the new field reads and writes through the user
    uid = api.call('res.users', 'create', {'name': 'Shoe user %s' % field, 'login': field})
    api.call('res.users', 'write', [uid], {field: 44})
    [user] = api.call('res.users', 'read', [uid], [field, 'partner_id'])
    assert user[field] == 44
    assert api.call('res.partner', 'read', [user['partner_id'][0]], [field])[0][field] == 44


def test_changing_a_custom_field_alters_it(api, world):
    name, model_id = new_model(api)
    field_id = add_field(api, model_id, 'x_code', 'char', size=4)
    record = api.call(name, 'create', {'x_name': 'a', 'x_code': 'ABCD'})
    api.call(
        'ir.model.fields',
        'write',
        [field_id],
        {'field_description': 'Code', 'size': 10, 'required': True, 'help': 'the code'},
    )
    described = api.call(name, 'fields_get', ['x_code'])['x_code']
    assert described['string'] == 'Code' and described['required'] is True
    assert described['help'] == 'the code'
    api.call(name, 'write', [record], {'x_code': 'ABCDEFGHIJ'})
    # renamed: the column follows, the data with it
    api.call('ir.model.fields', 'write', [field_id], {'name': 'x_reference'})
    assert api.call(name, 'read', [record], ['x_reference'])[0]['x_reference'] == 'ABCDEFGHIJ'
    assert 'x_code' not in api.call(name, 'fields_get')
    with pytest.raises(RpcFault, match='cannot be changed'):
        api.call('ir.model.fields', 'write', [field_id], {'ttype': 'integer'})


# -- deleting --------------------------------------------------------------------------------------


def test_deleting_custom_fields_and_models_drops_them(api, world):
    name, model_id = new_model(api)
    field_id = add_field(api, model_id, 'x_gone', 'char')
    tag_field = add_field(api, model_id, 'x_tags', 'many2many', relation='res.partner.category')
    pointing = unique('x_points_at')
    add_field(api, None, pointing, 'many2one', model='res.partner', relation=name)
    api.call(name, 'create', {'x_name': 'one', 'x_gone': 'soon'})
    [relation_table] = api.call('ir.model.fields', 'read', [tag_field], ['relation_table'])[0:1]
    relation_table = relation_table['relation_table']
    assert table_exists(world, relation_table)
    api.call('ir.model.fields', 'unlink', [field_id])
    assert 'x_gone' not in columns(world, name) and 'x_gone' not in api.call(name, 'fields_get')
    api.call('ir.model', 'unlink', [model_id])
    assert not table_exists(world, name) and not table_exists(world, relation_table)
    # the field of res.partner pointing at it went too
    assert pointing not in columns(world, 'res_partner')
    assert pointing not in api.call('res.partner', 'fields_get')
    assert api.call('ir.model', 'search', [('model', '=', name)]) == []
    with pytest.raises(RpcFault, match="doesn't exist"):
        api.call(name, 'search', [])


def test_a_failed_call_leaves_no_model_table_or_field(api, world):
    name = unique()
    with pytest.raises(RpcFault, match='unknown field type'):
        api.call(
            'ir.model',
            'create',
            {
                'name': 'Broken',
                'model': name,
                'state': 'manual',
                'field_id': [
                    (0, 0, {'name': 'x_ok', 'ttype': 'char'}),
                    (0, 0, {'name': 'x_bad', 'ttype': 'nonsense'}),
                ],
            },
        )
    assert not table_exists(world, name)
    assert api.call('ir.model', 'search', [('model', '=', name)]) == []
    with pytest.raises(RpcFault, match="doesn't exist"):
        api.call(name, 'search', [])
    # a field whose creation fails adds no column to an existing model
    with pytest.raises(RpcFault, match='does not exist'):
        add_field(api, None, 'x_to_nowhere', 'many2one', model='res.partner', relation='no.such.model')
    assert 'x_to_nowhere' not in columns(world, 'res_partner')


# -- who may do what -------------------------------------------------------------------------------


def test_an_ordinary_user_cannot_create_change_or_delete_models_or_fields(orm_server, world):
    clerk = as_user(orm_server, world, 'clerk')
    admin = world['admin']
    name, model_id = new_model(admin)
    field_id = add_field(admin, model_id, 'x_secret', 'char')
    for model, method, args in (
        ('ir.model', 'create', ({'name': 'Mine', 'model': unique(), 'state': 'manual'},)),
        (
            'ir.model.fields',
            'create',
            ({'model': 'res.partner', 'name': unique('x_f'), 'ttype': 'char', 'state': 'manual'},),
        ),
        ('ir.model', 'write', ([model_id], {'name': 'renamed'})),
        ('ir.model.fields', 'write', ([field_id], {'required': True})),
        ('ir.model.fields', 'unlink', ([field_id],)),
        ('ir.model', 'unlink', ([model_id],)),
    ):
        with pytest.raises(RpcFault) as refused:
            clerk.call(model, method, *args)
        assert refused.value.category == 'access', (model, method)
    # the custom model's records are the administrators' until they grant rights
    record = admin.call(name, 'create', {'x_name': 'r', 'x_secret': 's'})
    with pytest.raises(RpcFault) as refused:
        clerk.call(name, 'read', [record])
    assert refused.value.category == 'access'
    assert table_exists(world, name) and 'x_secret' in columns(world, name)


def test_an_administrator_other_than_the_superuser_creates_and_uses_custom_models(orm_server, world):
    sysadmin = as_user(orm_server, world, 'sysadmin', 'jsonrpc')
    name, model_id = new_model(sysadmin)
    add_field(sysadmin, model_id, 'x_level', 'integer')
    record = sysadmin.call(name, 'create', {'x_name': 'mine', 'x_level': 3})
    assert sysadmin.call(name, 'read', [record], ['x_level'])[0]['x_level'] == 3
    # granting the users read access is an ordinary ir.model.access row
    group = sysadmin.call('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    sysadmin.call(
        'ir.model.access',
        'create',
        {'name': 'users read %s' % name, 'model_id': model_id, 'group_id': group, 'perm_read': True},
    )
    clerk = as_user(orm_server, world, 'clerk')
    assert clerk.call(name, 'read', [record], ['x_level'])[0]['x_level'] == 3
    with pytest.raises(RpcFault) as refused:
        clerk.call(name, 'write', [record], {'x_level': 4})
    assert refused.value.category == 'access'


def test_a_custom_field_restricted_to_a_group_is_hidden_from_others(orm_server, world):
    admin = world['admin']
    field = unique('x_salary')
    group = admin.call('res.groups', 'create', {'name': 'Payroll %s' % field})
    add_field(admin, None, field, 'float', model='res.partner', groups=[(6, 0, [group])])
    partner = admin.call('res.partner', 'create', {'name': 'Paid', field: 1000.0})
    clerk = as_user(orm_server, world, 'clerk')
    assert field not in clerk.call('res.partner', 'fields_get')
    with pytest.raises(RpcFault) as refused:
        clerk.call('res.partner', 'read', [partner], [field])
    assert refused.value.category == 'access'
    with pytest.raises(RpcFault):
        clerk.call('res.partner', 'search', [(field, '>', 10)])
    # members of the group see it
    admin.call('res.users', 'write', [world['uids']['clerk']], {'groups_id': [(4, group)]})
    try:
        assert clerk.call('res.partner', 'read', [partner], [field])[0][field] == 1000.0
    finally:
        admin.call('res.users', 'write', [world['uids']['clerk']], {'groups_id': [(3, group)]})


@pytest.mark.parametrize(
    'values, message',
    [
        ({'model': 'res.custom'}, 'must start with x_'),
        ({'model': 'x_Bad'}, 'must start with x_'),
        ({'model': 'x_bad"; DROP TABLE res_users; --'}, 'must start with x_'),
        ({'model': 'x_' + 'a' * 70}, 'at most 63'),
        ({'model': 'res.partner'}, 'must start with x_'),
        ({'state': 'base'}, "state 'manual'"),
        ({'model': 'x_shared.table'}, 'exists already'),
    ],
)
def test_custom_model_names_and_states_are_checked(world, values, message):
    admin = world['admin']
    if values.get('model') == 'x_shared.table':
        # another model's table under the name this one would get
        new_model(admin, 'x_shared_table')
    with pytest.raises(RpcFault, match=message):
        admin.call(
            'ir.model', 'create', dict({'name': 'Bad', 'model': unique(), 'state': 'manual'}, **values)
        )
    assert table_exists(world, 'res_users')


@pytest.mark.parametrize(
    'values, message',
    [
        ({'name': 'plain_name'}, 'start with x_'),
        ({'name': 'x_bad name'}, 'start with x_'),
        ({'name': 'x_q"; DROP TABLE res_partner; --'}, 'start with x_'),
        ({'name': 'x_name', 'ttype': 'integer'}, 'already has a field'),
        ({'ttype': 'serialized'}, 'unknown field type'),
        ({'ttype': 'many2one', 'relation': 'nowhere'}, 'does not exist'),
        ({'ttype': 'one2many', 'relation': 'res.partner', 'relation_field': 'x_nope'}, 'relation_field'),
        (
            {'ttype': 'many2many', 'relation': 'res.partner', 'relation_table': 'res_groups_users_rel'},
            'must start with x_',
        ),
        ({'ttype': 'many2many', 'relation': 'res.partner', 'relation_table': 'x_t; drop'}, 'not a valid'),
        ({'ttype': 'many2one', 'relation': 'res.partner', 'on_delete': 'explode'}, 'on_delete'),
        ({'ttype': 'monetary'}, 'res.currency'),
        ({'state': 'base'}, "state 'manual'"),
    ],
)
def test_custom_field_definitions_are_checked(world, values, message):
    admin = world['admin']
    name, model_id = new_model(admin)
    with pytest.raises(RpcFault, match=message):
        add_field(admin, model_id, values.pop('name', unique('x_f')), values.pop('ttype', 'char'), **values)
    assert table_exists(world, 'res_partner') and table_exists(world, 'res_groups_users_rel')


def test_models_and_fields_of_the_code_cannot_be_changed_or_deleted(world):
    admin = world['admin']
    partner_model = admin.call('ir.model', 'search', [('model', '=', 'res.partner')])
    name_field = admin.call(
        'ir.model.fields', 'search', [('model', '=', 'res.partner'), ('name', '=', 'name')]
    )
    for call in (
        (lambda: admin.call('ir.model', 'unlink', partner_model)),
        (lambda: admin.call('ir.model', 'write', partner_model, {'model': 'x_stolen'})),
        (lambda: admin.call('ir.model', 'write', partner_model, {'state': 'manual'})),
        (lambda: admin.call('ir.model.fields', 'unlink', name_field)),
        (lambda: admin.call('ir.model.fields', 'write', name_field, {'required': False})),
        (lambda: admin.call('ir.model.fields', 'write', name_field, {'name': 'x_name2'})),
    ):
        with pytest.raises(RpcFault) as refused:
            call()
        assert refused.value.category == 'access'
    assert 'name' in columns(world, 'res_partner')
    assert admin.call('res.partner', 'fields_get', ['name'])['name']['required'] is True
    # nor can a custom model take over a table of the code through a model name
    with pytest.raises(RpcFault):
        admin.call('ir.model', 'write', partner_model, {'name': 'Renamed'})


def test_the_inverse_of_a_one2many_cannot_be_deleted_first(world):
    admin = world['admin']
    name, model_id = new_model(admin)
    line_name, line_model = new_model(admin)
    m2o = add_field(admin, line_model, 'x_parent_id', 'many2one', relation=name)
    o2m = add_field(
        admin, model_id, 'x_line_ids', 'one2many', relation=line_name, relation_field='x_parent_id'
    )
    with pytest.raises(RpcFault, match='inverse'):
        admin.call('ir.model.fields', 'unlink', [m2o])
    admin.call('ir.model.fields', 'unlink', [o2m, m2o])
    assert 'x_parent_id' not in columns(world, line_name)


def test_a_legacy_client_reads_reflected_selection_values(world):
    admin = world['admin']
    [field] = admin.call(
        'ir.model.fields',
        'search_read',
        [('model', '=', 'res.partner'), ('name', '=', 'type')],
        ['selection', 'ttype'],
    )
    assert field['ttype'] == 'selection' and "'contact'" in field['selection']
    with pytest.raises(xmlrpc.client.Fault):
        world['admin'].server.xmlrpc('object').execute_kw(
            world['db'], 1, 'admin', 'ir.model.fields', 'write', [[0]], {'selection': '[oops'}
        )


# -- another process, a restart ------------------------------------------------------------------


def test_another_server_and_a_restart_see_custom_models_and_fields(orm_server, world, start_server):
    """A second server on the same database (another machine, or the server started again) loads
    the custom models and fields from their rows; one it already serves follows the changes the
    first makes, through the registry signal."""
    from tests.support.orm import TEST_ADDONS

    admin = world['admin']
    name, model_id = new_model(admin)
    add_field(admin, model_id, 'x_weight', 'float')
    record = admin.call(name, 'create', {'x_name': 'kept', 'x_weight': 1.5})
    other = start_server(['--addons-path', TEST_ADDONS])
    there = RpcClient(other, 'jsonrpc', world['db'], 1, 'admin')
    assert there.call(name, 'read', [record], ['x_name', 'x_weight'])[0]['x_weight'] == 1.5
    # a change made here is seen there on its next call, and the other way round
    add_field(admin, model_id, 'x_height', 'integer')
    there.call(name, 'write', [record], {'x_height': 180})
    add_field(there, None, 'x_width', 'integer', model=name)
    assert admin.call(name, 'read', [record], ['x_height', 'x_width'])[0] == {
        'id': record,
        'x_height': 180,
        'x_width': False,
    }
    there.call('ir.model', 'unlink', [model_id])
    with pytest.raises(RpcFault, match="doesn't exist"):
        admin.call(name, 'search', [])
