"""The layers of docs/architecture.md hold: no module imports a layer below its own.

Every import of every module of the package and of the server adapters is read (module-level and
inside functions alike), so a new module or a new import cannot slip an upward arrow in.
"""

import ast
import os

import pytest

from tests.support.server import ROOT

#: module (or package prefix) -> its layer in docs/architecture.md; the longest prefix wins
LAYERS = {
    'openerp_lite.exceptions': 0,
    'openerp_lite.release': 0,
    'openerp_lite.tools': 1,
    'openerp_lite.sql_errors': 2,
    'openerp_lite.sql_pool': 2,
    'openerp_lite.sql_db': 2,
    'openerp_lite.sql_replica': 2,
    'openerp_lite.catalog': 2,
    'openerp_lite.server_tables': 2,
    'openerp_lite.signals': 2,
    'openerp_lite.embedded_pg': 2,
    'openerp_lite.orm': 3,
    'openerp_lite.api': 3,
    'openerp_lite.fields': 3,
    'openerp_lite.models': 3,
    'openerp_lite.expression': 3,
    'openerp_lite.tests': 3,
    'openerp_lite.modules': 4,
    'openerp_lite.addons': 4,
    'openerp_lite.registry_signals': 5,
    'openerp_lite.registry': 5,
    'openerp_lite.service': 6,
    'openerp_lite.bootstrap': 7,
    'openerp_lite.http': 8,
    'openerp_lite.cli': 9,
    'openerp_lite.bench': 9,
    'server_adapters': 9,
}


def layer_of(module):
    if module == 'openerp_lite':  # the package itself: its version, nothing else
        return 0
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + '.')) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, layer)
    return None if best is None else best[1]


def _modules():
    for top in ('openerp_lite', 'server_adapters'):
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith('.py'):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, '.')
                    package = module if name == '__init__.py' else module.rsplit('.', 1)[0]
                    yield path, module.removesuffix('.__init__'), package.removesuffix('.__init__')


def _imports(path, package):
    """The project modules ``path`` imports (``from x import y`` gives ``x.y`` and ``x``)."""
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split('.')
                base = '.'.join(parts[: len(parts) - node.level + 1])
                target = base + ('.' + node.module if node.module else '')
            else:
                target = node.module or ''
            yield target
            for alias in node.names:
                yield target + '.' + alias.name


MODULES = sorted(_modules())


def test_every_module_has_a_layer():
    assert [module for _path, module, _package in MODULES if layer_of(module) is None] == []


@pytest.mark.parametrize('path, module, package', MODULES, ids=[m for _p, m, _k in MODULES])
def test_no_module_imports_a_layer_below_its_own(path, module, package):
    own = layer_of(module)
    upward = sorted(
        {
            target
            for target in _imports(path, package)
            if layer_of(target) is not None and layer_of(target) > own and not target.startswith(module + '.')
        }
    )
    assert upward == [], '%s (layer %d) imports %s' % (module, own, upward)
