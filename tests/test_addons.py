"""Install, upgrade and uninstall addons on a running server over RPC.

One server with a temporary addons folder on its path, one database with ``base``. Each test
writes the modules it needs into that folder (distinct names, so tests stay independent), then
drives ``ir.module.module`` over XML-RPC exactly as a developer would, and checks the database
with plain SQL where the outcome is structural (tables, columns).
"""

import subprocess
import sys
import textwrap

import psycopg2
import pytest

from tests.support import pg as pgsupport
from tests.support.orm import RpcClient, RpcFault, drop_db
from tests.support.server import EXECUTABLE, ROOT, start_server

ACCESS_HEADER = 'id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n'


@pytest.fixture(scope='module')
def addons_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('addons')


@pytest.fixture(scope='module')
def addons_server(pg, addons_dir):
    running = start_server(pg, ['--addons-path', str(addons_dir)])
    yield running
    running.stop()


@pytest.fixture(scope='module')
def db(addons_server):
    name = pgsupport.new_db_name('oeladd')
    addons_server.xmlrpc('db').create_database(addons_server.admin_passwd, name, False, 'en_US', 'admin')
    yield name
    drop_db(addons_server, name)


@pytest.fixture
def admin(addons_server, db):
    return RpcClient(addons_server, 'xmlrpc2', db, 1, 'admin')


@pytest.fixture
def sql(pg, db):
    """``sql(query, params)`` -> rows, on a connection of its own (sees committed data only)."""
    conn = psycopg2.connect(dbname=db, **pg)
    conn.autocommit = True

    def run(query, params=None):
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    yield run
    conn.close()


def write_module(root, name, files):
    """Write (or overwrite) the files of module ``name``; ``files`` maps relative paths to text."""
    for relpath, text in files.items():
        path = root / name / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip('\n'))


def library_files(prefix, version=1):
    """A small module: model ``<prefix>.book``, a field added to res.partner, access rights and
    data (one normal block, one noupdate block). Version 2 adds a field, changes the data and
    drops one record."""
    model = '%s.book' % prefix
    xml_prefix = model.replace('.', '_')
    extra_field = "    isbn = fields.Char('ISBN')\n" if version > 1 else ''
    if version == 1:
        records = """
            <record id="book_one" model="%(model)s">
                <field name="name">First</field>
                <field name="pages">100</field>
            </record>
            <record id="book_gone" model="%(model)s">
                <field name="name">Gone soon</field>
            </record>"""
        kept = 'Kept'
    else:
        records = """
            <record id="book_one" model="%(model)s">
                <field name="name">First, revised</field>
                <field name="pages">120</field>
                <field name="isbn">978-0-00-000000-2</field>
            </record>"""
        kept = 'Kept, as changed in the file'
    return {
        '__manifest__.py': """
            {
                'name': 'Library %(prefix)s',
                'version': '1.%(version)d',
                'depends': ['base'],
                'data': ['security/ir.model.access.csv', 'data/library_data.xml'],
            }
            """
        % {'prefix': prefix, 'version': version},
        '__init__.py': 'from . import models\n',
        'models.py': """
            from openerp_lite import fields, models


            class Book(models.Model):
                _name = '%(model)s'
                _description = 'Book'

                name = fields.Char(required=True)
                pages = fields.Integer()
                reader_ids = fields.Many2many('res.partner', string='Readers')
            %(extra)s

            class Partner(models.Model):
                _inherit = 'res.partner'

                %(prefix)s_reader = fields.Boolean('Reader')
            """
        % {'model': model, 'prefix': prefix, 'extra': extra_field},
        'security/ir.model.access.csv': ACCESS_HEADER
        + ('access_book_user,%s user,model_%s,base.group_user,1,1,1,1\n' % (model, xml_prefix)),
        'data/library_data.xml': (
            """
            <?xml version="1.0" encoding="utf-8"?>
            <odoo>
                <data>"""
            + records
            + """
                </data>
                <data noupdate="1">
                    <record id="book_kept" model="%(model)s">
                        <field name="name">"""
            + kept
            + """</field>
                    </record>
                </data>
            </odoo>
            """
        )
        % {'model': model},
    }


def module_ids(admin, name):
    admin.call('ir.module.module', 'update_list')
    ids = admin.call('ir.module.module', 'search', [('name', '=', name)])
    assert len(ids) == 1, 'module %s not listed' % name
    return ids


def state(admin, name):
    return admin.call('ir.module.module', 'search_read', [('name', '=', name)], fields=['state'])[0]['state']


def install(admin, name):
    return admin.call('ir.module.module', 'button_immediate_install', module_ids(admin, name))


def upgrade(admin, name):
    return admin.call('ir.module.module', 'button_immediate_upgrade', module_ids(admin, name))


def uninstall(admin, name):
    return admin.call('ir.module.module', 'button_immediate_uninstall', module_ids(admin, name))


def xmlid(admin, module, name):
    return admin.call('ir.model.data', 'xmlid_to_res_id', '%s.%s' % (module, name))


def table_exists(sql, table):
    return sql('SELECT to_regclass(%s) IS NOT NULL', (table,))[0][0]


def column_exists(sql, table, column):
    return bool(
        sql(
            'SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s',
            (table, column),
        )
    )


# -- install ------------------------------------------------------------------------------------


def test_install_over_rpc_reflects_the_model_and_serves_it(addons_dir, admin, sql):
    write_module(addons_dir, 'xt_install', library_files('xti'))
    module_ids(admin, 'xt_install')
    assert state(admin, 'xt_install') == 'uninstalled'
    assert install(admin, 'xt_install') is True
    assert state(admin, 'xt_install') == 'installed'

    models = admin.call(
        'ir.model', 'search_read', [('model', '=', 'xti.book')], fields=['name', 'modules', 'field_id']
    )
    assert len(models) == 1 and models[0]['modules'] == 'xt_install' and models[0]['field_id']
    field_names = {
        f['name']
        for f in admin.call('ir.model.fields', 'search_read', [('model', '=', 'xti.book')], fields=['name'])
    }
    assert {'name', 'pages', 'reader_ids'} <= field_names

    book = admin.call('xti.book', 'create', {'name': 'Over RPC', 'pages': 7})
    assert admin.call('xti.book', 'read', [book], fields=['name', 'pages'])[0]['pages'] == 7
    assert xmlid(admin, 'xt_install', 'book_one')
    partner = admin.call('res.partner', 'create', {'name': 'A reader', 'xti_reader': True})
    assert admin.call('res.partner', 'read', [partner], fields=['xti_reader'])[0]['xti_reader'] is True
    assert column_exists(sql, 'res_partner', 'xti_reader')


def test_install_of_an_installed_module_changes_nothing(addons_dir, admin):
    write_module(addons_dir, 'xt_twice', library_files('xtt'))
    install(admin, 'xt_twice')
    books = admin.call('xtt.book', 'search_count', [])
    install(admin, 'xt_twice')
    assert admin.call('xtt.book', 'search_count', []) == books


# -- upgrade ------------------------------------------------------------------------------------


def test_upgrade_after_editing_code_and_data(addons_dir, admin, sql):
    write_module(addons_dir, 'xt_upgrade', library_files('xtu'))
    install(admin, 'xt_upgrade')
    kept = xmlid(admin, 'xt_upgrade', 'book_kept')
    gone = xmlid(admin, 'xt_upgrade', 'book_gone')
    admin.call('xtu.book', 'write', [kept], {'name': 'Kept, edited by a user'})
    assert not column_exists(sql, 'xtu_book', 'isbn')

    write_module(addons_dir, 'xt_upgrade', library_files('xtu', version=2))
    assert upgrade(admin, 'xt_upgrade') is True

    assert column_exists(sql, 'xtu_book', 'isbn')
    assert (
        admin.call('ir.model.fields', 'search_count', [('model', '=', 'xtu.book'), ('name', '=', 'isbn')])
        == 1
    )
    one = admin.call(
        'xtu.book', 'read', [xmlid(admin, 'xt_upgrade', 'book_one')], fields=['name', 'pages', 'isbn']
    )[0]
    assert (one['name'], one['pages'], one['isbn']) == ('First, revised', 120, '978-0-00-000000-2')
    # noupdate data: neither the file's new value nor a reset, the user's edit stays
    assert admin.call('xtu.book', 'read', [kept], fields=['name'])[0]['name'] == 'Kept, edited by a user'
    # the record whose external id left the data file is deleted, with its external id
    assert admin.call('xtu.book', 'exists', [gone]) == []
    assert xmlid(admin, 'xt_upgrade', 'book_gone') is False
    versions = admin.call(
        'ir.module.module', 'search_read', [('name', '=', 'xt_upgrade')], fields=['latest_version', 'state']
    )[0]
    assert versions['latest_version'] == '1.2' and versions['state'] == 'installed'
    # the new field is usable over RPC right away
    book = admin.call('xtu.book', 'create', {'name': 'New', 'isbn': 'x'})
    assert admin.call('xtu.book', 'read', [book], fields=['isbn'])[0]['isbn'] == 'x'


def test_upgrade_of_a_module_not_installed_is_refused(addons_dir, admin):
    write_module(addons_dir, 'xt_never', library_files('xtn'))
    with pytest.raises(RpcFault, match='Only installed modules can be upgraded: xt_never'):
        upgrade(admin, 'xt_never')


# -- uninstall ----------------------------------------------------------------------------------


def test_uninstall_removes_tables_columns_data_and_reflection_then_reinstall(addons_dir, admin, sql):
    write_module(addons_dir, 'xt_remove', library_files('xtr'))
    install(admin, 'xt_remove')
    partner = admin.call('res.partner', 'create', {'name': 'Stays', 'xtr_reader': True})
    assert table_exists(sql, 'xtr_book')
    assert sql("SELECT count(*) FROM ir_model_access WHERE name = 'xtr.book user'")[0][0] == 1

    assert uninstall(admin, 'xt_remove') is True

    assert state(admin, 'xt_remove') == 'uninstalled'
    assert not table_exists(sql, 'xtr_book')
    assert not table_exists(sql, 'res_partner_xtr_book_rel')
    assert not column_exists(sql, 'res_partner', 'xtr_reader')
    assert sql("SELECT count(*) FROM ir_model WHERE model = 'xtr.book'")[0][0] == 0
    assert (
        sql("SELECT count(*) FROM ir_model_fields WHERE model = 'xtr.book' OR name = 'xtr_reader'")[0][0] == 0
    )
    assert sql("SELECT count(*) FROM ir_model_data WHERE module = 'xt_remove'")[0][0] == 0
    assert sql("SELECT count(*) FROM ir_model_access WHERE name = 'xtr.book user'")[0][0] == 0
    with pytest.raises(RpcFault, match="xtr.book doesn't exist"):
        admin.call('xtr.book', 'search', [])
    # the partner itself is another module's data: it stays, without the removed field
    assert admin.call('res.partner', 'read', [partner], fields=['name'])[0]['name'] == 'Stays'
    assert 'xtr_reader' not in admin.call('res.partner', 'fields_get')

    assert install(admin, 'xt_remove') is True
    assert state(admin, 'xt_remove') == 'installed'
    assert admin.call('xtr.book', 'search_count', []) == 3
    assert column_exists(sql, 'res_partner', 'xtr_reader')


def test_uninstall_takes_the_dependent_modules_along(addons_dir, admin):
    write_module(addons_dir, 'xt_parent', library_files('xtp'))
    write_module(
        addons_dir,
        'xt_child',
        {
            '__manifest__.py': "{'name': 'Child', 'depends': ['xt_parent']}",
            '__init__.py': '',
        },
    )
    install(admin, 'xt_child')
    assert state(admin, 'xt_parent') == 'installed'
    uninstall(admin, 'xt_parent')
    assert state(admin, 'xt_parent') == 'uninstalled'
    assert state(admin, 'xt_child') == 'uninstalled'


def test_base_cannot_be_uninstalled(admin):
    with pytest.raises(RpcFault, match='base module cannot be uninstalled'):
        uninstall(admin, 'base')
    assert state(admin, 'base') == 'installed'


# -- dependencies -------------------------------------------------------------------------------


def test_installing_a_module_installs_its_dependencies_and_auto_install_glue(addons_dir, admin):
    write_module(addons_dir, 'xt_core', library_files('xtc'))
    write_module(
        addons_dir,
        'xt_app',
        {'__manifest__.py': "{'name': 'App', 'depends': ['xt_core']}", '__init__.py': ''},
    )
    write_module(
        addons_dir,
        'xt_glue',
        {
            '__manifest__.py': "{'name': 'Glue', 'depends': ['xt_app', 'base'], 'auto_install': True}",
            '__init__.py': '',
        },
    )
    module_ids(admin, 'xt_glue')
    assert state(admin, 'xt_glue') == 'uninstalled'
    install(admin, 'xt_app')
    assert [state(admin, n) for n in ('xt_core', 'xt_app', 'xt_glue')] == ['installed'] * 3


def test_missing_external_dependency_is_named(addons_dir, admin):
    write_module(
        addons_dir,
        'xt_external',
        {
            '__manifest__.py': "{'name': 'Ext', 'external_dependencies': "
            "{'python': ['no_such_package_xyz'], 'bin': ['no-such-program-xyz']}}",
            '__init__.py': '',
        },
    )
    with pytest.raises(RpcFault) as info:
        install(admin, 'xt_external')
    assert "Python package 'no_such_package_xyz'" in info.value.message
    assert "program 'no-such-program-xyz'" in info.value.message
    assert state(admin, 'xt_external') == 'uninstalled'


# -- refusals: a failed install changes nothing -------------------------------------------------

BAD_DATA = {
    'unknown field': (
        """
        <odoo><data>
            <record id="r1" model="%(model)s">
                <field name="name">ok</field>
                <field name="no_such_field">x</field>
            </record>
        </data></odoo>
        """,
        'data/bad.xml:2',
        'no_such_field',
    ),
    'broken XML': (
        """
        <odoo><data>
            <record id="r1" model="%(model)s">
                <field name="name">unclosed
        </data></odoo>
        """,
        'data/bad.xml:',
        'XML',
    ),
    'unknown reference': (
        """
        <odoo><data>
            <record id="r1" model="%(model)s">
                <field name="name" ref="base.no_such_record"/>
            </record>
        </data></odoo>
        """,
        'data/bad.xml:2',
        'base.no_such_record',
    ),
}


@pytest.mark.parametrize('case', sorted(BAD_DATA))
def test_failing_install_rolls_back_and_the_old_registry_keeps_serving(addons_dir, admin, sql, case):
    text, where, cause = BAD_DATA[case]
    name = 'xt_bad_%s' % case.replace(' ', '_')
    prefix = 'xtb%d' % sorted(BAD_DATA).index(case)
    files = library_files(prefix)
    files['__manifest__.py'] = (
        "{'name': 'Bad', 'data': ['security/ir.model.access.csv', 'data/library_data.xml', 'data/bad.xml']}"
    )
    files['data/bad.xml'] = text % {'model': '%s.book' % prefix}
    write_module(addons_dir, name, files)
    partners = admin.call('res.partner', 'search_count', [])

    with pytest.raises(RpcFault) as info:
        install(admin, name)
    assert where in info.value.message and cause in info.value.message, info.value.message

    assert state(admin, name) == 'uninstalled'
    assert not table_exists(sql, '%s_book' % prefix)
    assert not column_exists(sql, 'res_partner', '%s_reader' % prefix)
    assert sql('SELECT count(*) FROM ir_model_data WHERE module = %s', (name,))[0][0] == 0
    assert admin.call('ir.model', 'search_count', [('model', '=', '%s.book' % prefix)]) == 0
    with pytest.raises(RpcFault, match="doesn't exist"):
        admin.call('%s.book' % prefix, 'search', [])
    assert admin.call('res.partner', 'search_count', []) == partners


MALFORMED_MANIFESTS = {
    'syntax': ("{'name': 'Broken',", 'invalid manifest syntax'),
    'code': ("{'name': __import__('os').getcwd()}", 'may only contain literals'),
    'types': ("{'name': 'Typed', 'depends': 'base'}", "'depends' must be a list of strings"),
    'not a dict': ("['name']", 'a manifest must be a dict'),
}


@pytest.mark.parametrize('case', sorted(MALFORMED_MANIFESTS))
def test_malformed_manifest_refuses_the_install_naming_the_file(addons_dir, admin, case):
    text, message = MALFORMED_MANIFESTS[case]
    name = 'xt_manifest_%s' % case.replace(' ', '_')
    write_module(addons_dir, name, {'__manifest__.py': "{'name': 'Fine for now'}", '__init__.py': ''})
    ids = module_ids(admin, name)
    (addons_dir / name / '__manifest__.py').write_text(text)
    # the module list skips it (a warning in the log), the server stays up
    admin.call('ir.module.module', 'update_list')
    with pytest.raises(RpcFault) as info:
        admin.call('ir.module.module', 'button_immediate_install', ids)
    assert '%s/__manifest__.py' % name in info.value.message and message in info.value.message, (
        info.value.message
    )
    assert state(admin, name) == 'uninstalled'
    # a broken module on the addons path does not block installing others
    write_module(addons_dir, name + '_other', {'__manifest__.py': "{'name': 'Other'}", '__init__.py': ''})
    install(admin, name + '_other')
    assert state(admin, name + '_other') == 'installed'


def test_missing_dependency_is_named(addons_dir, admin):
    write_module(
        addons_dir,
        'xt_orphan',
        {'__manifest__.py': "{'name': 'Orphan', 'depends': ['xt_nowhere']}", '__init__.py': ''},
    )
    with pytest.raises(
        RpcFault, match="module 'xt_nowhere' is not available .required by: xt_nowhere <- xt_orphan"
    ):
        install(admin, 'xt_orphan')


# -- scaffold -----------------------------------------------------------------------------------


def test_scaffolded_module_installs_as_is_and_serves_its_model(addons_dir, admin):
    command = [sys.executable, EXECUTABLE, 'scaffold', 'xt_scaffolded', str(addons_dir)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'xt_scaffolded' in done.stdout
    assert {'__manifest__.py', 'models', 'security', 'data', 'tests'} <= {
        p.name for p in (addons_dir / 'xt_scaffolded').iterdir()
    }

    assert install(admin, 'xt_scaffolded') is True
    assert admin.call('ir.model', 'search_count', [('model', '=', 'xt_scaffolded.item')]) == 1
    item = admin.call(
        'xt_scaffolded.item', 'create', {'name': 'Over XML-RPC', 'quantity': 3, 'unit_price': 4.0}
    )
    assert admin.call('xt_scaffolded.item', 'read', [item], fields=['total'])[0]['total'] == 12.0
    example = xmlid(admin, 'xt_scaffolded', 'item_example')
    assert admin.call('xt_scaffolded.item', 'read', [example], fields=['total'])[0]['total'] == 7.5
    # its declared methods are callable over RPC, the others are not
    assert admin.call('xt_scaffolded.item', 'action_restock', [item], 2) is True
    assert admin.call('xt_scaffolded.item', 'read', [item], fields=['quantity'])[0]['quantity'] == 5
    assert admin.call('xt_scaffolded.item', 'stock_value') == 20.0 + 7.5
    for undeclared in ('copy_data', 'mapped', '_compute_total'):
        with pytest.raises(RpcFault) as info:
            admin.call('xt_scaffolded.item', undeclared, [item])
        assert info.value.category == 'access' and undeclared in info.value.message


def test_scaffold_refuses_an_existing_folder_and_a_bad_name(addons_dir):
    (addons_dir / 'xt_taken').mkdir()
    for name in ('xt_taken', 'Bad-Name'):
        done = subprocess.run(
            [sys.executable, EXECUTABLE, 'scaffold', name, str(addons_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert ('already exists' if name == 'xt_taken' else 'not a valid module name') in done.stderr


def _measure_files(prefix, field_type):
    return {
        '__manifest__.py': "{'name': 'Measures', 'depends': ['base'], "
        "'data': ['security/ir.model.access.csv']}\n",
        '__init__.py': """
            from openerp_lite import fields, models


            class Measure(models.Model):
                _name = '%s.measure'
                name = fields.Char()
                qty = fields.%s()
        """
        % (prefix, field_type),
        'security/ir.model.access.csv': ACCESS_HEADER
        + 'access_measure,measure,model_%s_measure,base.group_user,1,1,1,1\n' % prefix,
    }


def test_a_type_change_postgresql_can_cast_is_applied_on_upgrade(addons_dir, admin, sql):
    prefix = 'castok'
    write_module(addons_dir, prefix, _measure_files(prefix, 'Char'))
    install(admin, prefix)
    admin.call('%s.measure' % prefix, 'create', [{'name': 'a', 'qty': '12'}, {'name': 'b', 'qty': '34'}])
    write_module(addons_dir, prefix, _measure_files(prefix, 'Integer'))
    upgrade(admin, prefix)
    assert sql(
        "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = 'qty'",
        ('%s_measure' % prefix,),
    ) == [('integer',)]
    rows = admin.call('%s.measure' % prefix, 'search_read', [], fields=['qty'], order='qty')
    assert [row['qty'] for row in rows] == [12, 34]


def test_a_type_change_postgresql_cannot_cast_is_refused_clearly_and_changes_nothing(addons_dir, admin, sql):
    prefix = 'castko'
    write_module(addons_dir, prefix, _measure_files(prefix, 'Char'))
    install(admin, prefix)
    admin.call('%s.measure' % prefix, 'create', {'name': 'a', 'qty': 'twelve'})
    write_module(addons_dir, prefix, _measure_files(prefix, 'Integer'))
    with pytest.raises(RpcFault) as info:
        upgrade(admin, prefix)
    assert 'Cannot change column %s_measure.qty' % prefix in info.value.message
    assert 'twelve' in info.value.message or 'integer' in info.value.message
    assert sql(
        "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = 'qty'",
        ('%s_measure' % prefix,),
    ) == [('character varying',)]
    # the previous registry still serves the old definition
    assert admin.call('%s.measure' % prefix, 'search_read', [], fields=['qty'])[0]['qty'] == 'twelve'
