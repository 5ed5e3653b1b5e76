"""Addon discovery: the addons path, manifests, external dependencies, importing addon code.

A manifest is data, not code: it is parsed with ``ast`` and read with ``ast.literal_eval``, so a
module on the addons path runs nothing until it is installed and imported on purpose.
"""

import ast
import copy
import importlib
import importlib.util
import logging
import os
import shutil
import sys

import openerp_lite.addons
from openerp_lite.addons import DEFAULT_ADDONS_PATH
from openerp_lite.exceptions import ConfigError, UserError

_logger = logging.getLogger(__name__)

#: file names of a manifest, in order of preference (``__openerp__.py`` is the 6.1/7.0 name)
MANIFEST_NAMES = ('__manifest__.py', '__openerp__.py')

#: keys every manifest dict has after ``load_manifest``, with their defaults
MANIFEST_DEFAULTS = {
    'name': None,  # replaced by the technical name when absent
    'version': '1.0',
    'summary': '',
    'description': '',
    'author': '',
    'website': '',
    'license': 'LGPL-3',
    'category': 'Uncategorized',
    'depends': [],
    'data': [],
    'demo': [],
    'installable': True,
    'auto_install': False,
    'application': False,
    'external_dependencies': {},
    'sequence': 100,
}

_STRING_KEYS = ('name', 'version', 'summary', 'description', 'author', 'website', 'license', 'category')
_LIST_KEYS = ('depends', 'data', 'demo', 'init_xml', 'update_xml', 'demo_xml')
_BOOL_KEYS = ('installable', 'auto_install', 'application', 'active')


class ManifestError(UserError):
    """A manifest cannot be found, parsed or validated; the message names the file."""


class ModuleNotFound(ManifestError, LookupError):
    """No folder of the addons path holds a module of that name."""


class ExternalDependencyError(UserError):
    """A Python package or a program a module declares is missing on this machine."""


# -- the addons path ------------------------------------------------------------------------------


def initialize_addons_path(paths):
    """Set the folders addons are looked up in; the repository's ``addons/`` is always last.

    ``paths`` is a list of folders or one comma-separated string. A folder that does not exist
    is a ``ConfigError``: starting with a typo in the path would silently hide modules.
    Returns the effective list.
    """
    if isinstance(paths, str):
        paths = paths.split(',')
    result = []
    for path in paths or ():
        path = path.strip()
        if not path:
            continue
        full = os.path.abspath(os.path.expanduser(path))
        if not os.path.isdir(full):
            raise ConfigError('addons path entry %r is not an existing folder' % path)
        if full != DEFAULT_ADDONS_PATH and full not in result:
            result.append(full)
    result.append(DEFAULT_ADDONS_PATH)
    # The package's __path__ is the one source of truth: Python's import system reads it too.
    openerp_lite.addons.__path__[:] = result
    importlib.invalidate_caches()
    _logger.info('addons path: %s', ', '.join(result))
    for name, used, hidden in shadowed_modules(result):
        _logger.warning(
            'addon %s of %s hides the one of the same name in %s (the first folder on the addons path wins)',
            name,
            used,
            ', '.join(hidden),
        )
    return list(result)


def module_folders(name, folders):
    """The folders among ``folders`` that hold a module called ``name``, in order."""
    return [folder for folder in folders if _manifest_file(os.path.join(folder, name))]


def shadowed_modules(folders):
    """``(name, folder used, [folders hidden])`` for every module name found in more than one of
    ``folders``: only the first is ever loaded, which is easy to miss."""
    seen = {}
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            if _is_module_name(entry) and _manifest_file(os.path.join(folder, entry)):
                seen.setdefault(entry, []).append(folder)
    return [(name, where[0], where[1:]) for name, where in sorted(seen.items()) if len(where) > 1]


def addons_paths():
    """The current addons path (configured folders, then the repository's ``addons/``)."""
    return list(openerp_lite.addons.__path__)


def _is_module_name(name):
    return isinstance(name, str) and name.isidentifier() and not name.startswith('_')


def _manifest_file(module_dir):
    for filename in MANIFEST_NAMES:
        path = os.path.join(module_dir, filename)
        if os.path.isfile(path):
            return path
    return None


def get_module_path(name):
    """The folder of module ``name`` (first match along the addons path), or None."""
    if not _is_module_name(name):
        return None
    for folder in addons_paths():
        module_dir = os.path.join(folder, name)
        if _manifest_file(module_dir):
            return module_dir
    return None


def get_modules():
    """Sorted names of every module on the addons path (folders holding a manifest)."""
    names = set()
    for folder in addons_paths():
        if not os.path.isdir(folder):
            continue
        for entry in os.listdir(folder):
            if _is_module_name(entry) and _manifest_file(os.path.join(folder, entry)):
                names.add(entry)
    return sorted(names)


# -- manifests ------------------------------------------------------------------------------------


def _literal(path, source):
    """Parse ``source`` as one Python literal; errors name the file, the line and the problem."""
    try:
        tree = ast.parse(source, filename=path, mode='eval')
    except SyntaxError as exc:
        raise ManifestError('%s:%s: invalid manifest syntax: %s' % (path, exc.lineno, exc.msg))
    try:
        return ast.literal_eval(tree.body)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    for node in ast.walk(tree.body):
        if not isinstance(
            node,
            (
                ast.Constant,
                ast.Dict,
                ast.List,
                ast.Tuple,
                ast.Set,
                ast.UnaryOp,
                ast.BinOp,
                ast.Load,
                ast.USub,
                ast.UAdd,
                ast.Add,
                ast.Sub,
            ),
        ):
            snippet = ast.get_source_segment(source, node) or type(node).__name__
            raise ManifestError(
                '%s:%s: a manifest may only contain literals, found %r'
                % (path, getattr(node, 'lineno', '?'), snippet[:80])
            )
    raise ManifestError('%s: a manifest may only contain literals' % path)


def _check_types(path, manifest):
    def fail(key, expected):
        raise ManifestError('%s: manifest key %r must be %s, not %r' % (path, key, expected, manifest[key]))

    for key in _STRING_KEYS:
        if key in manifest and not isinstance(manifest[key], str):
            fail(key, 'a string')
    for key in _LIST_KEYS:
        if key in manifest:
            value = manifest[key]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                fail(key, 'a list of strings')
            manifest[key] = list(value)
    for key in _BOOL_KEYS:
        if key in manifest and not isinstance(manifest[key], bool):
            fail(key, 'True or False')
    if 'sequence' in manifest and (
        isinstance(manifest['sequence'], bool) or not isinstance(manifest['sequence'], int)
    ):
        fail('sequence', 'an integer')
    external = manifest.get('external_dependencies', {})
    if not isinstance(external, dict):
        fail('external_dependencies', "a dict like {'python': [...], 'bin': [...]}")
    for kind, names in external.items():
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise ManifestError('%s: external_dependencies[%r] must be a list of strings' % (path, kind))
    for dep in manifest.get('depends', ()):
        if not _is_module_name(dep):
            raise ManifestError('%s: %r in depends is not a module name' % (path, dep))


def read_manifest_file(path, module_name):
    """Read and validate one manifest file; the dict has every key of ``MANIFEST_DEFAULTS``.

    Unknown keys are kept. Legacy keys are folded in: ``init_xml``/``update_xml`` before
    ``data``, ``demo_xml`` before ``demo``, ``active`` as ``auto_install``. A module other than
    ``base`` with no dependencies depends on ``base``: everything needs its models.
    """
    try:
        with open(path, encoding='utf-8') as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError('%s: cannot read manifest: %s' % (path, exc))
    raw = _literal(path, source)
    if not isinstance(raw, dict):
        raise ManifestError('%s: a manifest must be a dict, not %s' % (path, type(raw).__name__))
    bad_keys = [key for key in raw if not isinstance(key, str)]
    if bad_keys:
        raise ManifestError('%s: manifest keys must be strings, found %r' % (path, bad_keys[0]))
    _check_types(path, raw)
    manifest = copy.deepcopy(MANIFEST_DEFAULTS)
    manifest.update(raw)
    manifest['name'] = manifest['name'] or module_name
    manifest['data'] = raw.get('init_xml', []) + raw.get('update_xml', []) + manifest['data']
    manifest['demo'] = raw.get('demo_xml', []) + manifest['demo']
    if 'active' in raw and 'auto_install' not in raw:
        manifest['auto_install'] = raw['active']
    if not manifest['depends'] and module_name != 'base':
        manifest['depends'] = ['base']
    manifest['manifest_path'] = path
    return manifest


def load_manifest(name):
    """The manifest of module ``name`` as a dict with defaults (see ``read_manifest_file``).

    Raises ``ModuleNotFound`` when no addons folder holds the module, ``ManifestError`` when its
    manifest is malformed.
    """
    module_dir = get_module_path(name)
    if module_dir is None:
        raise ModuleNotFound('module %r is not in the addons path (%s)' % (name, ', '.join(addons_paths())))
    return read_manifest_file(_manifest_file(module_dir), name)


def check_external_dependencies(name, manifest):
    """Raise ``ExternalDependencyError`` naming each missing Python package or program."""
    external = manifest.get('external_dependencies') or {}
    missing = []
    for package in external.get('python', ()):
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append('Python package %r' % package)
    for program in external.get('bin', ()):
        if shutil.which(program) is None:
            missing.append('program %r' % program)
    if missing:
        raise ExternalDependencyError(
            'module %r cannot be installed: missing %s' % (name, ', '.join(missing))
        )


def _code_fingerprint(module_dir):
    """What identifies the Python code of a module on disk: its folder and each ``.py`` file's
    path, size and modification time."""
    entries = []
    for folder, dirs, files in os.walk(module_dir):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for filename in sorted(files):
            if filename.endswith('.py'):
                path = os.path.join(folder, filename)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                entries.append((os.path.relpath(path, module_dir), stat.st_size, stat.st_mtime_ns))
    return (module_dir, tuple(entries))


#: module name -> fingerprint of the code imported in this process
_imported_code = {}


def _forget_module_code(name):
    """Drop the imported package of module ``name`` and the model classes it declared."""
    from openerp_lite.orm.models import MetaModel  # the loader's registry of declared classes

    qualified = 'openerp_lite.addons.' + name
    for key in [k for k in sys.modules if k == qualified or k.startswith(qualified + '.')]:
        del sys.modules[key]
    MetaModel.module_to_models.pop(name, None)


def import_module_code(name):
    """Import the Python package of module ``name`` as ``openerp_lite.addons.<name>``.

    Code edited on disk since it was imported in this process is imported again (its model
    classes replacing the old ones), so upgrading a module on a running server, or rebuilding a
    registry after another process did, loads the module's current code.
    """
    if not _is_module_name(name):
        raise ModuleNotFound('%r is not a valid module name' % (name,))
    qualified = 'openerp_lite.addons.' + name
    module_dir = get_module_path(name)
    fingerprint = _code_fingerprint(module_dir) if module_dir else None
    known = _imported_code.get(name)
    if qualified in sys.modules and known is not None and known != fingerprint:
        _logger.info('module %s: code changed on disk, importing it again', name)
        _forget_module_code(name)
    if qualified not in sys.modules:
        # a module folder or file created since the last import must be seen by the finders
        importlib.invalidate_caches()
    code = importlib.import_module(qualified)
    _imported_code[name] = fingerprint
    return code
