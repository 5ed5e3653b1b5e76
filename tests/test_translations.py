"""Languages and translated fields over the three routes against a real server: the common
locales are there and inactive, ``base.language.install`` activates them (Odoo's ``lang`` and
``lang_ids`` forms), and product and category names hold one value per language, honoured by
read, write, search, search_read, read_group, name_search, sorting and copies according to the
context's ``lang``, English being the fallback."""

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import ROUTES, RpcClient, RpcFault, drop_db, make_user

FR, DE, NL = {'lang': 'fr_FR'}, {'lang': 'de_DE'}, {'lang': 'nl_NL'}


@pytest.fixture(scope='module')
def world(orm_server):
    db = pgsupport.new_db_name('oeltr')
    orm_server.xmlrpc('db').create_database(orm_server.admin_passwd, db, False, 'en_US', 'admin')
    admin = RpcClient(orm_server, 'xmlrpc2', db, 1, 'admin')
    admin.call(
        'ir.module.module',
        'button_immediate_install',
        admin.call('ir.module.module', 'search', [('name', '=', 'product')]),
    )
    # French the OpenERP 7 way (one code), German the Odoo 16 way (lang_ids)
    wizard = admin.call('base.language.install', 'create', {'lang': 'fr_FR'})
    assert admin.call('base.language.install', 'lang_install', [wizard]) is True
    german = admin.call('res.lang', 'search', [('code', '=', 'de_DE')], context={'active_test': False})
    wizard = admin.call('base.language.install', 'create', {'lang_ids': [(6, 0, german)]})
    admin.call('base.language.install', 'lang_install', [wizard])
    uids = {'clerk': make_user(admin, 'clerk', ['base.group_user'])}
    yield {'db': db, 'admin': admin, 'uids': uids}
    drop_db(orm_server, db)


@pytest.fixture(params=ROUTES)
def api(request, orm_server, world):
    return RpcClient(orm_server, request.param, world['db'], 1, 'admin')


def chair(api, suffix):
    """A product named in English, French and German (through ``write`` in each language)."""
    category = api.call('product.category', 'create', {'name': 'Furniture %s' % suffix})
    product = api.call('product.product', 'create', {'name': 'Chair %s' % suffix, 'categ_id': category})
    api.call('product.product', 'write', [product], {'name': 'Chaise %s' % suffix}, context=FR)
    api.call('product.product', 'write', [product], {'name': 'Stuhl %s' % suffix}, context=DE)
    api.call('product.category', 'write', [category], {'name': 'Meubles %s' % suffix}, context=FR)
    return product, category


# -- languages --------------------------------------------------------------------------------------


def test_the_common_locales_are_there_and_the_wizard_activated_two(world):
    admin = world['admin']
    every = admin.call(
        'res.lang', 'search_read', [], ['code', 'active', 'direction'], context={'active_test': False}
    )
    codes = {row['code']: row for row in every}
    assert len(codes) >= 30
    assert {'en_GB', 'es_ES', 'nl_NL', 'pt_BR', 'ja_JP', 'zh_CN', 'ar_001'} <= set(codes)
    assert codes['ar_001']['direction'] == 'rtl' and not codes['nl_NL']['active']
    installed = dict(admin.call('res.lang', 'get_installed'))
    assert set(installed) == {'en_US', 'fr_FR', 'de_DE'}
    assert installed['fr_FR'] == 'French / Français'


def test_users_choose_among_the_active_languages(world):
    admin = world['admin']
    uid = admin.call(
        'res.users',
        'create',
        {'name': 'Francophone', 'login': 'franco', 'password': 'franco', 'lang': 'fr_FR'},
    )
    assert admin.call('res.users', 'context_get', context={'uid': uid}) is not None
    franco = RpcClient(admin.server, 'jsonrpc', world['db'], uid, 'franco')
    assert franco.call('res.users', 'context_get')['lang'] == 'fr_FR'
    with pytest.raises(RpcFault, match='Wrong value'):
        admin.call('res.users', 'write', [uid], {'lang': 'nl_NL'})  # not active
    # a language in use, or English, cannot be deactivated
    french = admin.call('res.lang', 'search', [('code', '=', 'fr_FR')])
    with pytest.raises(RpcFault, match='used by users'):
        admin.call('res.lang', 'write', french, {'active': False})
    english = admin.call('res.lang', 'search', [('code', '=', 'en_US')])
    with pytest.raises(RpcFault, match='fall back'):
        admin.call('res.lang', 'write', english, {'active': False})
    with pytest.raises(RpcFault, match='fall back'):
        admin.call('res.lang', 'unlink', english)


def test_only_administrators_install_languages(orm_server, world):
    clerk = RpcClient(orm_server, 'xmlrpc2', world['db'], world['uids']['clerk'], 'clerk')
    with pytest.raises(RpcFault) as refused:
        clerk.call('base.language.install', 'create', {'lang': 'nl_NL'})
    assert refused.value.category == 'access'
    dutch = world['admin'].call(
        'res.lang', 'search', [('code', '=', 'nl_NL')], context={'active_test': False}
    )
    with pytest.raises(RpcFault) as refused:
        clerk.call('res.lang', 'write', dutch, {'active': True})
    assert refused.value.category == 'access'
    assert 'nl_NL' not in dict(world['admin'].call('res.lang', 'get_installed'))
    admin = world['admin']
    with pytest.raises(RpcFault, match='Wrong value'):
        admin.call('base.language.install', 'create', {'lang': 'xx_XX'})
    with pytest.raises(RpcFault, match='Choose the languages'):
        admin.call(
            'base.language.install', 'lang_install', [admin.call('base.language.install', 'create', {})]
        )


# -- translated fields -------------------------------------------------------------------------------


def test_a_translated_name_reads_in_the_context_language_with_english_as_fallback(api, world):
    product, category = chair(api, api.route)

    def name(context=None):
        return api.call('product.product', 'read', [product], ['name'], context=context or {})[0]['name']

    assert name() == 'Chair %s' % api.route
    assert name(FR) == 'Chaise %s' % api.route and name(DE) == 'Stuhl %s' % api.route
    # a language without a value of its own, or one not active, reads the English one
    assert name({'lang': 'en_GB'}) == name(NL) == 'Chair %s' % api.route
    assert name({'lang': "fr_FR'); DROP TABLE product_product; --"}) == 'Chair %s' % api.route
    # the many2one shows the category's name in the reader's language
    [row] = api.call('product.product', 'read', [product], ['categ_id'], context=FR)
    assert row['categ_id'] == [category, 'Meubles %s' % api.route]
    assert api.call('product.category', 'name_get', [category], context=FR)[0][1] == 'Meubles %s' % api.route
    # writing in English leaves the translations alone
    api.call('product.product', 'write', [product], {'name': 'Armchair %s' % api.route})
    assert name() == 'Armchair %s' % api.route and name(FR) == 'Chaise %s' % api.route


def test_search_name_search_search_read_and_sorting_use_the_context_language(api, world):
    product, category = chair(api, 'S' + api.route)
    french, english = 'Chaise S%s' % api.route, 'Chair S%s' % api.route
    assert api.call('product.product', 'search', [('name', '=', french)], context=FR) == [product]
    assert api.call('product.product', 'search', [('name', '=', french)]) == []
    assert api.call('product.product', 'search', [('name', '=', english)]) == [product]
    assert api.call(
        'product.product', 'search', [('name', 'ilike', 'chaise s%s' % api.route)], context=FR
    ) == [product]
    # a language without its own value searches the English one
    assert api.call('product.product', 'search', [('name', '=', english)], context=NL) == [product]
    assert api.call('product.product', 'name_search', 'Stuhl S%s' % api.route, context=DE) == [
        [product, 'Stuhl S%s' % api.route]
    ]
    [row] = api.call(
        'product.product', 'search_read', [('id', '=', product)], ['name', 'categ_id'], context=FR
    )
    assert row['name'] == french and row['categ_id'][1] == 'Meubles S%s' % api.route
    assert api.call(
        'product.product', 'search', [('categ_id.name', '=', 'Meubles S%s' % api.route)], context=FR
    ) == [product]
    # sorting follows the language: "B..." before "C..." in French, after in English
    other = api.call('product.product', 'create', {'name': 'Bench S%s' % api.route, 'categ_id': category})
    api.call('product.product', 'write', [other], {'name': 'Divan S%s' % api.route}, context=FR)
    ids = [product, other]
    assert api.call('product.product', 'search', [('id', 'in', ids)], order='name') == [other, product]
    assert api.call('product.product', 'search', [('id', 'in', ids)], order='name', context=FR) == [
        product,
        other,
    ]


def test_read_group_groups_by_the_name_in_the_context_language(api, world):
    category = api.call('product.category', 'create', {'name': 'Grouped %s' % api.route})
    for english, french in (('Table', 'Table'), ('Desk', 'Bureau'), ('Desk', 'Bureau')):
        product = api.call('product.product', 'create', {'name': english, 'categ_id': category})
        api.call('product.product', 'write', [product], {'name': french}, context=FR)
    domain = [('categ_id', '=', category)]
    groups = api.call('product.product', 'read_group', domain, ['name'], ['name'], context=FR)
    counts = {group['name']: group['name_count'] for group in groups}
    assert counts == {'Bureau': 2, 'Table': 1}
    for group in groups:
        assert (
            api.call('product.product', 'search_count', group['__domain'], context=FR) == group['name_count']
        )
    english = api.call('product.product', 'read_group', domain, ['name'], ['name'])
    assert {group['name']: group['name_count'] for group in english} == {'Desk': 2, 'Table': 1}


def test_creating_in_a_language_sets_it_and_the_english_fallback(api, world):
    product = api.call('product.product', 'create', {'name': 'Fauteuil %s' % api.route}, context=FR)
    assert api.call('product.product', 'read', [product], ['name'])[0]['name'] == 'Fauteuil %s' % api.route
    [(stored,)] = pgsupport.sql(
        pgsupport.params(), world['db'], 'SELECT name FROM product_product WHERE id = %s', (product,)
    )
    assert stored == {'en_US': 'Fauteuil %s' % api.route, 'fr_FR': 'Fauteuil %s' % api.route}
    # name_create in German too
    [new_id, label] = api.call('product.category', 'name_create', 'Möbel %s' % api.route, context=DE)
    assert label == 'Möbel %s' % api.route
    assert api.call('product.category', 'read', [new_id], ['name'])[0]['name'] == label


def test_a_copy_keeps_every_translation(api, world):
    product, _category = chair(api, 'C' + api.route)
    copy = api.call('product.product', 'copy', [product])
    assert (
        api.call('product.product', 'read', [copy], ['name'], context=FR)[0]['name']
        == 'Chaise C%s' % api.route
    )
    assert (
        api.call('product.product', 'read', [copy], ['name'], context=DE)[0]['name']
        == 'Stuhl C%s' % api.route
    )


def test_every_language_at_once_odoo_16_style(api, world):
    product, _category = chair(api, 'T' + api.route)
    rows, info = api.call('product.product', 'get_field_translations', [product], 'name')
    assert info['translation_type'] == 'char'
    by_lang = {row['lang']: row for row in rows}
    assert set(by_lang) == {'en_US', 'fr_FR', 'de_DE'}
    assert by_lang['fr_FR']['value'] == 'Chaise T%s' % api.route
    assert by_lang['fr_FR']['source'] == 'Chair T%s' % api.route
    api.call(
        'product.product',
        'update_field_translations',
        [product],
        'name',
        {'fr_FR': 'Siège T%s' % api.route, 'de_DE': False},
    )
    assert (
        api.call('product.product', 'read', [product], ['name'], context=FR)[0]['name']
        == 'Siège T%s' % api.route
    )
    # German removed: it falls back to English
    assert (
        api.call('product.product', 'read', [product], ['name'], context=DE)[0]['name']
        == 'Chair T%s' % api.route
    )
    with pytest.raises(RpcFault, match='not active'):
        api.call('product.product', 'update_field_translations', [product], 'name', {'nl_NL': 'Stoel'})
    with pytest.raises(RpcFault, match='not translated'):
        api.call('product.product', 'update_field_translations', [product], 'list_price', {'fr_FR': '1'})


def test_an_ordinary_user_translates_only_what_he_may_write(orm_server, world):
    admin = world['admin']
    product, _category = chair(admin, 'U')
    clerk = RpcClient(orm_server, 'jsonrpc', world['db'], world['uids']['clerk'], 'clerk')
    assert clerk.call('product.product', 'read', [product], ['name'], context=FR)[0]['name'] == 'Chaise U'
    for call in (
        (lambda: clerk.call('product.product', 'write', [product], {'name': 'x'}, context=FR)),
        (
            lambda: clerk.call(
                'product.product', 'update_field_translations', [product], 'name', {'fr_FR': 'x'}
            )
        ),
        (
            lambda: clerk.call(
                'product.product', 'update_field_translations', [product], 'name', {'de_DE': False}
            )
        ),
    ):
        with pytest.raises(RpcFault) as refused:
            call()
        assert refused.value.category == 'access'
    assert admin.call('product.product', 'read', [product], ['name'], context=DE)[0]['name'] == 'Stuhl U'


def test_a_custom_field_may_be_translated(world):
    admin = world['admin']
    [reflected] = admin.call(
        'ir.model.fields',
        'search_read',
        [('model', '=', 'product.product'), ('name', '=', 'name')],
        ['translate'],
    )
    assert reflected['translate'] is True
    admin.call(
        'ir.model.fields',
        'create',
        {
            'model': 'product.product',
            'name': 'x_slogan',
            'ttype': 'char',
            'translate': True,
            'state': 'manual',
        },
    )
    assert admin.call('product.product', 'fields_get', ['x_slogan'])['x_slogan']['translate'] is True
    product = admin.call('product.product', 'create', {'name': 'Lamp', 'x_slogan': 'Bright'})
    admin.call('product.product', 'write', [product], {'x_slogan': 'Lumineuse'}, context=FR)
    assert (
        admin.call('product.product', 'read', [product], ['x_slogan'], context=FR)[0]['x_slogan']
        == 'Lumineuse'
    )
    assert admin.call('product.product', 'read', [product], ['x_slogan'])[0]['x_slogan'] == 'Bright'


def test_a_database_from_before_translations_keeps_its_names_as_the_english_ones(world):
    """An older database holds plain text in the column: upgrading the module converts it."""
    admin = world['admin']
    category = admin.call('product.category', 'create', {'name': 'Legacy shelf'})
    pgsupport.sql(
        pgsupport.params(),
        world['db'],
        "ALTER TABLE product_category ALTER COLUMN name TYPE varchar USING name->>'en_US'",
    )
    module = admin.call('ir.module.module', 'search', [('name', '=', 'product')])
    admin.call('ir.module.module', 'button_immediate_upgrade', module)
    [(stored,)] = pgsupport.sql(
        pgsupport.params(), world['db'], 'SELECT name FROM product_category WHERE id = %s', (category,)
    )
    assert stored == {'en_US': 'Legacy shelf'}
    assert (
        admin.call('product.category', 'read', [category], ['name'], context=FR)[0]['name'] == 'Legacy shelf'
    )


def test_a_database_created_in_a_language_has_it_active_for_its_administrator(orm_server):
    db = pgsupport.new_db_name('oeltr')
    orm_server.xmlrpc('db').create_database(orm_server.admin_passwd, db, False, 'nl_BE', 'admin')
    try:
        admin = RpcClient(orm_server, 'jsonrpc', db, 1, 'admin')
        assert 'nl_BE' in dict(admin.call('res.lang', 'get_installed'))
        assert admin.call('res.users', 'context_get')['lang'] == 'nl_BE'
    finally:
        drop_db(orm_server, db)
