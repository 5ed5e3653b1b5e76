"""Addon discovery (addons path, manifests) and the dependency graph, with tiny addon folders."""

import sys

import pytest

import openerp_lite.addons
from openerp_lite.addons import DEFAULT_ADDONS_PATH
from openerp_lite.exceptions import ConfigError, UserError
from openerp_lite.modules import module as modmod
from openerp_lite.modules.graph import (
    ModuleGraphError,
    auto_install_candidates,
    load_order,
    reverse_dependencies,
)


@pytest.fixture
def addons(tmp_path):
    """A fresh addons folder on the addons path; the path is restored afterwards."""
    saved = list(openerp_lite.addons.__path__)
    folder = tmp_path / 'addons'
    folder.mkdir()
    modmod.initialize_addons_path([str(folder)])
    yield folder
    openerp_lite.addons.__path__[:] = saved
    for name in [n for n in sys.modules if n.startswith('openerp_lite.addons.')]:
        del sys.modules[name]


def make_module(folder, name, manifest='{}', filename='__manifest__.py', code=None):
    module_dir = folder / name
    module_dir.mkdir()
    (module_dir / filename).write_text(manifest)
    if code is not None:
        (module_dir / '__init__.py').write_text(code)
    return module_dir


# -- addons path ----------------------------------------------------------------------------------


def test_addons_path_keeps_repository_addons_last(addons, tmp_path):
    other = tmp_path / 'more'
    other.mkdir()
    paths = modmod.initialize_addons_path('%s, %s' % (other, addons))
    assert paths == [str(other), str(addons), DEFAULT_ADDONS_PATH]
    assert openerp_lite.addons.__path__ == paths


def test_addons_path_with_missing_folder_is_a_config_error(addons, tmp_path):
    with pytest.raises(ConfigError, match='nowhere'):
        modmod.initialize_addons_path([str(tmp_path / 'nowhere')])


def test_get_modules_lists_folders_with_a_manifest(addons):
    make_module(addons, 'alpha')
    make_module(addons, 'legacy', filename='__openerp__.py')
    (addons / 'not_a_module').mkdir()
    (addons / 'README').write_text('x')
    names = modmod.get_modules()
    assert {'alpha', 'legacy'} <= set(names)
    assert 'not_a_module' not in names
    assert modmod.get_module_path('alpha') == str(addons / 'alpha')
    assert modmod.get_module_path('missing') is None
    assert modmod.get_module_path('../etc') is None


def test_first_folder_of_the_path_wins(addons, tmp_path):
    other = tmp_path / 'first'
    other.mkdir()
    make_module(addons, 'dup', "{'summary': 'second'}")
    make_module(other, 'dup', "{'summary': 'first'}")
    modmod.initialize_addons_path([str(other), str(addons)])
    assert modmod.load_manifest('dup')['summary'] == 'first'


# -- manifests ------------------------------------------------------------------------------------


def test_manifest_defaults_and_unknown_keys_kept(addons):
    make_module(addons, 'alpha', "# comment\n{'depends': ['base'], 'x_custom': 1}\n")
    manifest = modmod.load_manifest('alpha')
    assert manifest['name'] == 'alpha'
    assert manifest['version'] == '1.0'
    assert manifest['license'] == 'LGPL-3'
    assert manifest['category'] == 'Uncategorized'
    assert manifest['data'] == [] and manifest['demo'] == []
    assert manifest['installable'] is True and manifest['auto_install'] is False
    assert manifest['external_dependencies'] == {}
    assert manifest['x_custom'] == 1


def test_openerp_manifest_accepted_with_legacy_keys(addons):
    make_module(
        addons,
        'legacy',
        "{'name': 'Legacy', 'init_xml': ['a.xml'], "
        "'update_xml': ['b.xml'], 'demo_xml': ['d.xml'], 'active': True}",
        filename='__openerp__.py',
    )
    manifest = modmod.load_manifest('legacy')
    assert manifest['name'] == 'Legacy'
    assert manifest['data'] == ['a.xml', 'b.xml']
    assert manifest['demo'] == ['d.xml']
    assert manifest['auto_install'] is True
    assert manifest['depends'] == ['base']


def test_base_gets_no_implicit_dependency(addons):
    make_module(addons, 'base')
    assert modmod.load_manifest('base')['depends'] == []


def test_manifest_with_code_is_refused_not_executed(addons, tmp_path):
    marker = tmp_path / 'ran'
    make_module(addons, 'evil', "{'name': __import__('os').system('touch %s')}" % marker)
    with pytest.raises(modmod.ManifestError, match=r'__manifest__.py:1: .*literals.*__import__'):
        modmod.load_manifest('evil')
    assert not marker.exists()


@pytest.mark.parametrize(
    'text, fragment',
    [
        ("{'name': 'x',", 'syntax'),
        ("['not', 'a', 'dict']", 'must be a dict'),
        ("{'depends': 'base'}", "'depends' must be a list of strings"),
        ("{'depends': ['base', 3]}", "'depends' must be a list of strings"),
        ("{'depends': ['no-such name']}", 'not a module name'),
        ("{'installable': 'yes'}", "'installable' must be True or False"),
        ("{'version': 1.0}", "'version' must be a string"),
        ("{'external_dependencies': ['x']}", 'external_dependencies'),
        ("{'external_dependencies': {'python': 'lxml'}}", 'external_dependencies'),
        ("{1: 'x'}", 'keys must be strings'),
    ],
)
def test_malformed_manifests_name_file_and_problem(addons, text, fragment):
    make_module(addons, 'bad', text)
    with pytest.raises(modmod.ManifestError) as info:
        modmod.load_manifest('bad')
    assert 'bad/__manifest__.py' in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, UserError)


def test_load_manifest_of_unknown_module(addons):
    with pytest.raises(modmod.ModuleNotFound, match='ghost'):
        modmod.load_manifest('ghost')


def test_external_dependencies_name_what_is_missing():
    modmod.check_external_dependencies(
        'ok', {'external_dependencies': {'python': ['lxml', 'os.path'], 'bin': ['sh']}}
    )
    with pytest.raises(modmod.ExternalDependencyError) as info:
        modmod.check_external_dependencies(
            'needy',
            {'external_dependencies': {'python': ['no_such_package_xyz'], 'bin': ['no-such-binary-xyz']}},
        )
    message = str(info.value)
    assert 'needy' in message and 'no_such_package_xyz' in message
    assert 'no-such-binary-xyz' in message


def test_import_module_code_imports_under_addons_package(addons):
    make_module(addons, 'coded', code='VALUE = 42\n')
    module = modmod.import_module_code('coded')
    assert module.__name__ == 'openerp_lite.addons.coded'
    assert module.VALUE == 42
    with pytest.raises(modmod.ModuleNotFound):
        modmod.import_module_code('os.path')


# -- graph ----------------------------------------------------------------------------------------


def m(*depends, **extra):
    return dict({'depends': list(depends)}, **extra)


def test_load_order_by_depth_then_name():
    manifests = {
        'base': m(),
        'zeta': m('base'),
        'alpha': m('base'),
        'sale': m('product', 'alpha'),
        'product': m('base'),
        'unrelated': m('base'),
    }
    assert load_order(['sale', 'zeta'], manifests) == ['base', 'alpha', 'product', 'zeta', 'sale']


def test_load_order_reads_manifests_from_the_addons_path(addons):
    make_module(addons, 'base')
    make_module(addons, 'b2', "{'depends': ['b1']}")
    make_module(addons, 'b1')
    assert load_order(['b2'], modmod.load_manifest) == ['base', 'b1', 'b2']


def test_missing_dependency_names_modules():
    manifests = {'base': m(), 'sale': m('product'), 'extra': m('sale')}
    with pytest.raises(
        ModuleGraphError, match=r"'product' is not available \(required by: product <- sale <- extra\)"
    ):
        load_order(['extra'], manifests)
    with pytest.raises(ModuleGraphError, match="'ghost' is not available"):
        load_order(['ghost'], manifests)


def test_uninstallable_dependency_refused():
    manifests = {'base': m(), 'old': m('base', installable=False), 'new': m('old')}
    with pytest.raises(ModuleGraphError, match=r"'old' is not installable \(required by: old <- new\)"):
        load_order(['new'], manifests)


def test_cycle_named_with_its_path():
    manifests = {'base': m(), 'a': m('b'), 'b': m('c'), 'c': m('a'), 'top': m('a')}
    with pytest.raises(ModuleGraphError, match='circular dependency between modules: a -> b -> c -> a'):
        load_order(['top'], manifests)


def test_long_chain_does_not_recurse():
    manifests = {'base': m()}
    for i in range(3000):
        manifests['m%d' % i] = m('m%d' % (i - 1) if i else 'base')
    order = load_order(['m2999'], manifests)
    assert order[0] == 'base' and order[-1] == 'm2999' and len(order) == 3001


def test_auto_install_follows_dependencies_to_a_fixpoint():
    available = {
        'base': m(),
        'sale': m('base'),
        'stock': m('base'),
        'sale_stock': m('sale', 'stock', auto_install=True),
        'sale_stock_report': m('sale_stock', auto_install=True),
        'stock_only': m('stock', 'missing', auto_install=True),
        'manual': m('sale'),
        'broken': m('sale', auto_install=True, installable=False),
    }
    assert auto_install_candidates({'base', 'sale'}, available) == []
    assert auto_install_candidates({'base', 'sale', 'stock'}, available) == [
        'sale_stock',
        'sale_stock_report',
    ]


def test_reverse_dependencies_are_transitive_and_installed_only():
    manifests = {
        'base': m(),
        'product': m('base'),
        'sale': m('product'),
        'sale_extra': m('sale'),
        'purchase': m('product'),
        'other': m('base'),
    }
    installed = ['base', 'product', 'sale', 'sale_extra', 'other']
    assert reverse_dependencies('product', installed, manifests) == ['sale', 'sale_extra']
    assert reverse_dependencies('base', installed, manifests) == ['other', 'product', 'sale', 'sale_extra']
    assert reverse_dependencies('sale_extra', installed, manifests) == []
