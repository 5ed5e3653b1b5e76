"""Loading modules into a registry: install, upgrade and uninstall in one transaction.

Steps: decide the module set (dependencies and ``auto_install`` included), import the addons'
code, compose the model classes, create or alter the tables, reflect models and fields into
``ir.model``/``ir.model.fields``, load each installed or upgraded module's data files in load
order, and record the module states. The caller commits; on any error the transaction rolls back
and the previous registry keeps serving.
"""

import logging

from ..exceptions import UserError
from ..orm import builder
from ..orm.environment import SUPERUSER_ID, Environment
from ..orm.models import MetaModel
from . import convert, graph, manual, module

_logger = logging.getLogger(__name__)


def is_initialized(cr):
    """True when ``base`` is installed in the database of ``cr``."""
    cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
    if not cr.fetchone()[0]:
        return False
    cr.execute("SELECT state FROM ir_module_module WHERE name = 'base'")
    row = cr.fetchone()
    return bool(row and row[0] == 'installed')


def _module_states(cr):
    cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
    if not cr.fetchone()[0]:
        return {}
    cr.execute('SELECT name, state, demo FROM ir_module_module')
    return {name: (state, demo) for name, state, demo in cr.fetchall()}


def _manifest_or_none(name):
    try:
        return module.load_manifest(name)
    except module.ModuleNotFound:
        return None


def _available_manifests():
    """Manifests of the addons path, for auto_install; a malformed one is skipped (with a
    warning), not allowed to block changes to unrelated modules."""
    available = {}
    for name in module.get_modules():
        try:
            available[name] = module.load_manifest(name)
        except module.ManifestError as error:
            _logger.warning('module %s skipped: %s', name, error)
    return available


def plan(states, install=(), upgrade=(), uninstall=()):
    """``(order, to_install, to_upgrade, to_remove)`` for a requested change."""
    installed = {name for name, (state, _demo) in states.items() if state in ('installed', 'to upgrade')}
    to_remove = set()
    for name in uninstall:
        if name == 'base':
            raise UserError('The base module cannot be uninstalled.')
        if name not in installed:
            raise UserError('Module %s is not installed.' % name)
        to_remove |= {name} | set(graph.reverse_dependencies(name, installed, _manifest_or_none))
    wanted = (installed - to_remove) | set(install)
    order = graph.load_order(sorted(wanted), _manifest_or_none)
    to_install = set(order) - installed
    available = _available_manifests()
    auto = set(graph.auto_install_candidates(set(order), available)) - set(order)
    if auto:
        order = graph.load_order(sorted(set(order) | auto), _manifest_or_none)
        to_install = set(order) - installed
    if 'all' in upgrade:
        to_upgrade = set(installed) - to_remove
    else:
        to_upgrade = set()
        for name in upgrade:
            if name not in installed:
                raise UserError('Module %s is not installed; install it instead of upgrading.' % name)
            to_upgrade |= {name} | set(graph.reverse_dependencies(name, installed, _manifest_or_none))
        to_upgrade -= to_remove
    return order, to_install, to_upgrade, to_remove


def build_models(registry, module_names, cr=None):
    """Import the code of ``module_names`` (in load order) and compose their model classes, then
    the custom models and fields of the database of ``cr`` (``manual``)."""
    models = {}
    for name in module_names:
        module.import_module_code(name)
        for cls in MetaModel.module_to_models.get(name, ()):
            builder.add_model_class(models, cls)
    if cr is not None:
        for cls in manual.declarations(manual.read_definitions(cr), models):
            builder.add_model_class(models, cls)
    builder.setup_models(models)
    registry.models = models
    registry.triggers = builder.build_triggers(models)
    registry.loaded_modules = list(module_names)
    registry.sql_constraints = {
        ('%s_%s' % (cls._table, key))[:63]: message
        for cls in models.values()
        for key, _definition, message in cls._sql_constraints
    }


def init_schema(env, model_names=None):
    """Create or alter the tables of ``model_names`` (default: every model)."""
    names = (
        list(env.registry.models)
        if model_names is None
        else [name for name in model_names if name in env.registry.models]
    )
    for name in names:
        env[name]._auto_init()
    for name in names:
        env[name]._auto_init_constraints()


def load_modules(registry, cr, install=(), upgrade=(), uninstall=(), demo=None, update_list=False):
    """Bring the database's modules to the requested state and fill ``registry``."""
    states = _module_states(cr)
    order, to_install, to_upgrade, to_remove = plan(states, install, upgrade, uninstall)
    for name in to_install:
        module.check_external_dependencies(name, module.load_manifest(name))
    # modules being removed stay loaded until they are gone: removing them needs their models
    loaded = graph.load_order(sorted(set(order) | to_remove), _manifest_or_none) if to_remove else order
    build_models(registry, loaded, cr)
    env = Environment(cr, SUPERUSER_ID, {}, registry)
    changing = to_install | to_upgrade
    if changing or to_remove:
        init_schema(env)
        for name in order:
            if name in to_install:
                _run_hook(env, name, module.load_manifest(name), 'pre_init_hook', 'init')
        env['ir.model']._reflect_registry()
    if changing or update_list or not states:
        env['ir.module.module'].update_list()
    if demo is None:
        demo = bool(states.get('base', (None, False))[1]) if states else False
    for name in order:
        if name not in changing:
            continue
        mode = 'init' if name in to_install else 'update'
        manifest = module.load_manifest(name)
        for relpath in manifest.get('data', []):
            convert.load_data_file(env, name, relpath, mode)
        if demo and mode == 'init':
            for relpath in manifest.get('demo', []):
                convert.load_data_file(env, name, relpath, mode, noupdate=True)
        _run_hook(env, name, manifest, 'post_init_hook', mode)
        cr.execute(
            "UPDATE ir_module_module SET state = 'installed', latest_version = %s, "
            'demo = (demo OR %s) WHERE name = %s',
            (manifest.get('version'), bool(demo), name),
        )
        _logger.info('module %s: %s', name, 'installed' if mode == 'init' else 'upgraded')
    if to_upgrade:
        env['ir.model.data']._process_end(sorted(to_upgrade))
    if to_remove:
        env['ir.module.module']._remove_modules(sorted(to_remove, key=loaded.index, reverse=True))
    if changing and registry.test_enable:
        run_tests(registry, cr, [name for name in order if name in changing])
    env.invalidate_all()
    return order


def run_tests(registry, cr, module_names):
    """``--test-enable``: run the tests of the modules just installed or upgraded, inside the
    loading transaction (each in a savepoint rolled back to). A failure is logged, not raised:
    the install stands, and ``registry.test_failures`` counts failed and erroring tests."""
    from .. import tests

    failures = 0
    for name in module_names:
        result = tests.run_module_tests(registry, name, cr=cr)
        if result is not None:
            failures += len(result.failures) + len(result.errors)
    registry.test_failures += failures
    return failures


def _run_hook(env, name, manifest, hook, mode):
    if mode != 'init' or not manifest.get(hook):
        return
    code = module.import_module_code(name)
    function = getattr(code, manifest[hook], None)
    if not callable(function):
        raise UserError('Module %s: %s %r is not a function of the module' % (name, hook, manifest[hook]))
    function(env)


def init_database(registry, cr, demo=False, lang='en_US', login='admin', password='admin', country_code=None):
    """Install ``base`` (and its auto-installed friends) into an empty database."""
    if _module_states(cr):
        raise UserError('Database %s is already initialised.' % cr.dbname)
    load_modules(registry, cr, install=['base'], demo=demo)
    env = Environment(cr, SUPERUSER_ID, {}, registry)
    admin = env.ref('base.user_admin')
    values = {'login': login, 'password': password}
    if lang and env['res.lang'].with_context(active_test=False).search([('code', '=', lang)], limit=1):
        # the database's language is active from the start, and the administrator's
        env['res.lang']._activate([lang])
        values['lang'] = lang
    admin.write(values)
    if country_code:
        country = env['res.country'].search([('code', '=ilike', country_code)], limit=1)
        if country:
            env.ref('base.main_company').partner_id.write({'country_id': country.id})
    return registry
