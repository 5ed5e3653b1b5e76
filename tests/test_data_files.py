"""XML and CSV data files: parsing into operations, error messages, and applying them to an env.

The executor is exercised against a small in-memory stand-in for the ORM interface it programs
against (``_fields``, ``ir.model.data`` helpers, ``search``/``unlink``), so these tests need no
database; end-to-end loading through the real ORM belongs to the module-loading tests.
"""

import base64
import textwrap
from types import SimpleNamespace

import pytest

import openerp_lite.addons
from openerp_lite.exceptions import MissingError, UserError
from openerp_lite.modules import convert
from openerp_lite.modules import module as modmod
from openerp_lite.modules.convert import (
    DataFileError,
    DeleteOp,
    FunctionOp,
    RecordOp,
    Value,
    apply_operations,
    csv_model_name,
    load_data_file,
    parse_csv_file,
    parse_xml_file,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return str(path)


def parse(tmp_path, text, noupdate=False):
    return parse_xml_file(write(tmp_path, 'data.xml', text), 'mod', noupdate, module_dir=str(tmp_path))


def parse_error(tmp_path, text):
    with pytest.raises(DataFileError) as info:
        parse(tmp_path, text)
    return info.value


# -- XML parsing ----------------------------------------------------------------------------------


def test_xml_records_with_every_value_source(tmp_path):
    (tmp_path / 'logo.png').write_bytes(b'\x89PNG')
    ops = parse(
        tmp_path,
        """
        <odoo>
          <data noupdate="1">
            <record model="res.partner" id="p1" forcecreate="0">
              <field name="name">Agrolait</field>
              <field name="parent_id" ref="base.main_partner"/>
              <field name="category_id" eval="[(6, 0, [ref('cat1')])]"/>
              <field name="country_id" search="[('code', '=', 'BE')]" model="res.country"/>
              <field name="age" type="int">42</field>
              <field name="ratio" type="float">0.5</field>
              <field name="image" type="base64" file="logo.png"/>
              <field name="note" type="html"><p>Hello <b>you</b></p></field>
              <field name="tags" type="list"><value eval="1"/><value>two</value></field>
            </record>
          </data>
          <record model="res.partner" id="other.p2"><field name="name">X</field></record>
        </odoo>
    """,
    )
    first, second = ops
    assert isinstance(first, RecordOp)
    assert (first.model, first.xmlid, first.noupdate, first.forcecreate, first.line) == (
        'res.partner',
        'mod.p1',
        True,
        False,
        3,
    )
    v = first.values
    assert v['name'] == Value('text', 'Agrolait')
    assert v['parent_id'] == Value('ref', 'base.main_partner')
    assert v['category_id'] == Value('eval', "[(6, 0, [ref('cat1')])]")
    assert v['country_id'] == Value('search', "[('code', '=', 'BE')]", model='res.country')
    assert v['age'] == Value('literal', 42, 'int')
    assert v['ratio'] == Value('literal', 0.5, 'float')
    assert v['image'].payload == base64.b64encode(b'\x89PNG').decode()
    assert v['note'].payload == '<p>Hello <b>you</b></p>'
    assert v['tags'] == Value('list', [Value('eval', '1'), Value('text', 'two')], 'list')
    assert (second.xmlid, second.noupdate, second.forcecreate) == ('other.p2', False, True)


def test_openerp_root_delete_function_and_ignored_elements(tmp_path):
    ops = parse(
        tmp_path,
        """
        <?xml version="1.0"?>
        <openerp>
          <data>
            <!-- a comment -->
            <menuitem id="menu_x" name="X"/>
            <act_window id="act_x" name="X" res_model="res.partner"/>
            <delete model="res.partner" id="old"/>
            <delete model="res.partner" search="[('name', '=', 'gone')]"/>
            <function model="res.partner" name="recompute" eval="[1, 2]"/>
            <function model="res.partner" name="touch"><value eval="ref('p1')"/></function>
            <function model="res.partner" name="noargs"/>
          </data>
        </openerp>
    """,
        noupdate=True,
    )
    assert [op.kind for op in ops] == ['delete', 'delete', 'function', 'function', 'function']
    assert ops[0] == DeleteOp('res.partner', 'mod.old', None, True, 7)
    assert ops[1].search == "[('name', '=', 'gone')]"
    assert ops[2] == FunctionOp('res.partner', 'recompute', Value('eval', '[1, 2]'), True, 9)
    assert ops[3].args == Value('list', [Value('eval', "ref('p1')")], 'list')
    assert ops[4].args is None


@pytest.mark.parametrize(
    'body, line, fragment',
    [
        (
            '<record model="res.partner" id="x"><field name="age" type="int">abc</field></record>',
            2,
            'type="int"',
        ),
        (
            '<record model="res.partner" id="x"><field name="a" eval="__import__(\'os\')"/></record>',
            2,
            '__import__',
        ),
        ('<record model="res.partner" id="x"><field name="a" eval="lambda: 1"/></record>', 2, 'lambda'),
        ('<record model="res.partner" id="x"><field name="a" eval="1 +"/></record>', 2, 'syntax'),
        ('<record model="res.partner" id="x"><field name="a" ref="b" eval="1"/></record>', 2, 'only one of'),
        (
            '<record model="res.partner" id="x"><field name="a">1</field><field name="a">2</field></record>',
            2,
            'given twice',
        ),
        ('<record id="x"><field name="a">1</field></record>', 2, "needs a 'model'"),
        ('<record model="res partner" id="x"/>', 2, 'invalid model name'),
        ('<record model="res.partner" id="x"><value/></record>', 2, 'only contain <field>'),
        ('<record model="res.partner" id="x"><field>1</field></record>', 2, "needs a 'name'"),
        (
            '<record model="res.partner" id="x"><field name="a" type="bogus">1</field></record>',
            2,
            'unknown type="bogus"',
        ),
        (
            '<record model="res.partner" id="x"><field name="a" type="base64" file="../x"/></record>',
            2,
            'leaves the module folder',
        ),
        (
            '<record model="res.partner" id="x"><field name="a" type="file">nope.txt</field></record>',
            2,
            'not found',
        ),
        ('<record model="res.partner" id="."/>', 2, 'invalid external id'),
        ('<recrod model="res.partner" id="x"/>', 2, 'unknown element <recrod>'),
        ('<delete model="res.partner"/>', 2, '"id" or a "search"'),
        ('<function model="res.partner" name="_private"/>', 2, 'private method'),
        ('<function model="res.partner" name="f" eval="[1]"><value>1</value></function>', 2, 'both eval'),
        ('<data noupdate="maybe"/>', 2, 'noupdate="maybe"'),
    ],
)
def test_xml_errors_name_file_line_and_cause(tmp_path, body, line, fragment):
    error = parse_error(tmp_path, '<odoo>\n%s\n</odoo>\n' % body)
    assert error.line == line
    assert error.filename.endswith('data.xml')
    assert fragment in str(error)
    assert str(error).startswith('%s:%d: ' % (error.filename, line))
    assert isinstance(error, UserError)


def test_xml_wrong_root_and_syntax_error(tmp_path):
    error = parse_error(tmp_path, '<html><record/></html>')
    assert 'root element must be <odoo> or <openerp>' in str(error)
    error = parse_error(tmp_path, '<odoo>\n<record model="a.b" id="x">\n</odoo>\n')
    assert error.line == 3 and 'invalid XML' in str(error)


def test_xml_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / 'secret.txt'
    secret.write_text('TOPSECRET')
    try:
        ops = parse(
            tmp_path,
            """
            <?xml version="1.0"?>
            <!DOCTYPE odoo [<!ENTITY xxe SYSTEM "file://%s">]>
            <odoo><record model="a.b" id="x"><field name="n">&xxe;</field></record></odoo>
        """
            % secret,
        )
    except DataFileError:
        return  # refusing the file is fine too
    assert 'TOPSECRET' not in repr(ops)


# -- CSV parsing ----------------------------------------------------------------------------------


def test_csv_model_name_from_file_name():
    assert csv_model_name('security/ir.model.access.csv') == 'ir.model.access'
    assert csv_model_name('data/res.partner-demo.csv') == 'res.partner'


def test_csv_rows_become_record_operations(tmp_path):
    path = write(
        tmp_path,
        'security/ir.model.access.csv',
        """
        id,name,model_id:id,group_id/id,perm_read,perm_write,perm_create,perm_unlink
        access_partner_user,partner user,model_res_partner,base.group_user,1,0,0,0

        access_partner_all,partner all,base.model_res_partner,,1,1,1,1
    """,
    )
    ops = parse_csv_file(path, 'mod', noupdate=True)
    assert [op.model for op in ops] == ['ir.model.access', 'ir.model.access']
    first = ops[0]
    assert (first.xmlid, first.noupdate, first.line) == ('mod.access_partner_user', True, 2)
    assert first.values['model_id'] == Value('xmlids', ['mod.model_res_partner'])
    assert first.values['group_id'] == Value('xmlids', ['base.group_user'])
    assert first.values['perm_read'] == Value('text', '1')
    assert ops[1].values['group_id'] == Value('xmlids', [])
    assert ops[1].line == 4


@pytest.mark.parametrize(
    'text, line, fragment',
    [
        ('name,perm_read\nx,1\n', 1, "'id' column"),
        ('id,name\nx,1,2\n', 2, 'row has 3 cells'),
        ('id,name,name\nx,1,2\n', 1, 'appears twice'),
        ('id,partner_id/.id\nx,1\n', 1, 'unsupported column'),
        ('id,name\n,1\n', 2, 'empty id'),
        ('id,name\n"x,1\n', None, 'invalid CSV'),
    ],
)
def test_csv_errors_name_file_line_and_cause(tmp_path, text, line, fragment):
    path = write(tmp_path, 'res.partner.csv', text)
    with pytest.raises(DataFileError) as info:
        parse_csv_file(path, 'mod')
    if line is not None:
        assert info.value.line == line
    assert fragment in str(info.value)
    assert 'res.partner.csv' in str(info.value)


def test_empty_csv_refused(tmp_path):
    with pytest.raises(DataFileError, match='no header'):
        parse_csv_file(write(tmp_path, 'res.partner.csv', '\n'), 'mod')


# -- applying operations to an environment (in-memory stand-in for the ORM) -----------------------


class FakeRecords:
    def __init__(self, env, model, ids):
        self.env, self.model, self.ids = env, model, list(ids)

    def search(self, domain):
        self.env.calls.append(('search', self.model, domain))
        return FakeRecords(self.env, self.model, self.env.search_results.get(self.model, []))

    def unlink(self):
        self.env.calls.append(('unlink', self.model, self.ids))

    def recompute(self, *args):
        self.env.calls.append(('recompute', self.model, args))


class FakeModelData:
    def __init__(self, env):
        self.env = env
        self.xmlids = {}

    def _xmlid_to_res_id(self, xmlid, raise_if_not_found=True):
        if xmlid not in self.xmlids:
            raise MissingError('External ID not found: %s' % xmlid)
        return self.xmlids[xmlid]

    def _load_record(self, module, name, model, values, noupdate, mode, forcecreate=True):
        self.env.calls.append(('load', module, name, model, values, noupdate, mode, forcecreate))
        if name:
            self.xmlids.setdefault('%s.%s' % (module, name), len(self.xmlids) + 100)
        return FakeRecords(self.env, model, [self.xmlids.get('%s.%s' % (module, name), 1)])

    def _delete_xmlid_record(self, module, name):
        self.env.calls.append(('delete_xmlid', module, name))


def F(ftype, comodel=None):
    return SimpleNamespace(type=ftype, comodel_name=comodel)


class FakeEnv:
    FIELDS = {
        'res.partner': {
            'name': F('char'),
            'age': F('integer'),
            'ratio': F('float'),
            'active': F('boolean'),
            'birthday': F('date'),
            'parent_id': F('many2one', 'res.partner'),
            'category_id': F('many2many', 'res.partner.category'),
            'country_id': F('many2one', 'res.country'),
            'note': F('html'),
        },
        'res.country': {'code': F('char')},
        'ir.model.access': {
            'name': F('char'),
            'model_id': F('many2one', 'ir.model'),
            'group_id': F('many2one', 'res.groups'),
            'perm_read': F('boolean'),
            'perm_write': F('boolean'),
            'perm_create': F('boolean'),
            'perm_unlink': F('boolean'),
        },
    }

    def __init__(self):
        self.calls = []
        self.search_results = {}
        self.data = FakeModelData(self)

    def __getitem__(self, model):
        if model == 'ir.model.data':
            return self.data
        if model not in self.FIELDS:
            raise KeyError(model)
        records = FakeRecords(self, model, [])
        records._fields = self.FIELDS[model]
        return records


def loads(env):
    return [call for call in env.calls if call[0] == 'load']


def test_apply_resolves_values_by_field_type(tmp_path):
    env = FakeEnv()
    env.data.xmlids.update({'base.main_partner': 1, 'mod.cat1': 5})
    env.search_results['res.country'] = [21, 22]
    ops = parse(
        tmp_path,
        """
        <odoo>
          <record model="res.partner" id="p1">
            <field name="name">Agrolait</field>
            <field name="age">42</field>
            <field name="ratio">2.5</field>
            <field name="active">0</field>
            <field name="birthday">2020-01-31</field>
            <field name="parent_id" ref="base.main_partner"/>
            <field name="category_id" eval="[(6, 0, [ref('cat1')])]"/>
            <field name="country_id" search="[('code', '=', 'BE')]"/>
            <field name="note" type="html"><p>x</p></field>
          </record>
          <record model="res.partner" id="p2">
            <field name="category_id" ref="cat1"/>
            <field name="parent_id" ref="p1"/>
            <field name="active">True</field>
            <field name="name"></field>
          </record>
        </odoo>
    """,
    )
    apply_operations(env, 'mod', ops, 'init', 'mod/data.xml')
    (_, module, name, model, values, noupdate, mode, force), second = loads(env)
    assert (module, name, model, noupdate, mode, force) == ('mod', 'p1', 'res.partner', False, 'init', True)
    assert values == {
        'name': 'Agrolait',
        'age': 42,
        'ratio': 2.5,
        'active': False,
        'birthday': '2020-01-31',
        'parent_id': 1,
        'category_id': [(6, 0, [5])],
        'country_id': 21,
        'note': '<p>x</p>',
    }
    assert ('search', 'res.country', [('code', '=', 'BE')]) in env.calls
    assert second[4] == {
        'category_id': [(6, 0, [5])],
        'parent_id': env.data.xmlids['mod.p1'],
        'active': True,
        'name': False,
    }


def test_apply_csv_access_rules(tmp_path):
    env = FakeEnv()
    env.data.xmlids.update({'mod.model_res_partner': 3, 'base.group_user': 9})
    path = write(
        tmp_path,
        'ir.model.access.csv',
        """
        id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
        access_user,user,model_res_partner,base.group_user,1,0,False,True
        access_all,all,model_res_partner,,1,1,1,1
    """,
    )
    apply_operations(env, 'mod', parse_csv_file(path, 'mod'), 'update')
    first, second = loads(env)
    assert first[1:4] == ('mod', 'access_user', 'ir.model.access')
    assert first[4] == {
        'name': 'user',
        'model_id': 3,
        'group_id': 9,
        'perm_read': True,
        'perm_write': False,
        'perm_create': False,
        'perm_unlink': True,
    }
    assert second[4]['group_id'] is False
    assert first[6] == 'update'


def test_apply_delete_and_function(tmp_path):
    env = FakeEnv()
    env.search_results['res.partner'] = [4, 5]
    ops = parse(
        tmp_path,
        """
        <odoo>
          <delete model="res.partner" id="old"/>
          <delete model="res.partner" search="[('name', '=', 'gone')]"/>
          <function model="res.partner" name="recompute" eval="[1, 'a']"/>
          <data noupdate="1">
            <function model="res.partner" name="recompute" eval="'install only'"/>
          </data>
        </odoo>
    """,
    )
    apply_operations(env, 'mod', ops, 'update')
    assert env.calls == [
        ('delete_xmlid', 'mod', 'old'),
        ('search', 'res.partner', [('name', '=', 'gone')]),
        ('unlink', 'res.partner', [4, 5]),
        ('recompute', 'res.partner', (1, 'a')),
    ]
    env.calls.clear()
    apply_operations(env, 'mod', ops[3:], 'init')
    assert env.calls == [('recompute', 'res.partner', ('install only',))]


def test_web_client_records_are_skipped_when_model_absent(tmp_path):
    env = FakeEnv()
    ops = parse(
        tmp_path,
        """
        <odoo>
          <record model="ir.ui.view" id="view_x">
            <field name="arch" type="xml"><form><field name="name"/></form></field>
          </record>
        </odoo>
    """,
    )
    apply_operations(env, 'mod', ops, 'init')
    assert env.calls == []


@pytest.mark.parametrize(
    'record, fragment',
    [
        ('<record model="no.such" id="x"/>', "unknown model 'no.such'"),
        ('<record model="res.partner" id="x"><field name="nope">1</field></record>', "has no field 'nope'"),
        (
            '<record model="res.partner" id="x"><field name="age">old</field></record>',
            "field 'age': expected an integer, got 'old'",
        ),
        (
            '<record model="res.partner" id="x"><field name="active">maybe</field></record>',
            "field 'active': expected 1/0/True/False",
        ),
        (
            '<record model="res.partner" id="x"><field name="parent_id">Agrolait</field></record>',
            'by external id',
        ),
        (
            '<record model="res.partner" id="x"><field name="parent_id" ref="missing"/></record>',
            "field 'parent_id': External ID not found: mod.missing",
        ),
        (
            '<record model="res.partner" id="x"><field name="age" eval="undefined + 1"/></record>',
            "'undefined' is not defined",
        ),
        (
            '<record model="res.partner" id="x"><field name="ratio" eval="1 / 0"/></record>',
            'ZeroDivisionError',
        ),
        (
            '<record model="res.partner" id="x"><field name="age" search="[]" model="no.model"/></record>',
            "unknown model 'no.model' in search=",
        ),
    ],
)
def test_apply_errors_name_file_line_record_and_cause(tmp_path, record, fragment):
    ops = parse(tmp_path, '<odoo>\n\n%s\n</odoo>\n' % record)
    with pytest.raises(DataFileError) as info:
        apply_operations(FakeEnv(), 'mod', ops, 'init', 'mod/data/x.xml')
    message = str(info.value)
    assert message.startswith('mod/data/x.xml:3: record mod.x (')
    assert fragment in message


def test_apply_refuses_unknown_mode():
    with pytest.raises(ValueError, match='mode'):
        apply_operations(FakeEnv(), 'mod', [], 'install')


# -- load_data_file: finding the file in the module -----------------------------------------------


@pytest.fixture
def addon(tmp_path):
    saved = list(openerp_lite.addons.__path__)
    folder = tmp_path / 'addons'
    module_dir = folder / 'demo_mod'
    (module_dir / 'data').mkdir(parents=True)
    (module_dir / '__manifest__.py').write_text("{'name': 'Demo'}")
    modmod.initialize_addons_path([str(folder)])
    yield module_dir
    openerp_lite.addons.__path__[:] = saved


def test_load_data_file_parses_and_applies(addon):
    (addon / 'data' / 'partners.xml').write_text(
        '<odoo><record model="res.partner" id="p"><field name="name">A</field></record></odoo>'
    )
    env = FakeEnv()
    assert load_data_file(env, 'demo_mod', 'data/partners.xml', 'init', noupdate=True) == 1
    assert loads(env)[0][1:6] == ('demo_mod', 'p', 'res.partner', {'name': 'A'}, True)


@pytest.mark.parametrize(
    'relpath, fragment',
    [
        ('data/missing.xml', 'demo_mod/data/missing.xml: file not found'),
        ('../../etc/passwd', 'leaves the module folder'),
        ('__manifest__.py', "unsupported data file type '.py'"),
    ],
)
def test_load_data_file_errors(addon, relpath, fragment):
    with pytest.raises(DataFileError, match=fragment.replace('(', r'\(')):
        load_data_file(FakeEnv(), 'demo_mod', relpath, 'init')


def test_load_data_file_of_unknown_module(addon):
    with pytest.raises(DataFileError, match='not in the addons path'):
        load_data_file(FakeEnv(), 'ghost', 'x.xml', 'init')


def test_adapter_is_the_only_orm_surface():
    adapters = [name for name in dir(convert) if name.startswith('_orm_')]
    assert len(adapters) == 8
