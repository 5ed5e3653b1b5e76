"""Per-database registries: the final model classes of the installed modules, plus caches.

A registry is built completely before it replaces the previous one, so a call never sees a
half-loaded registry; a failed install leaves the old registry serving.
"""

import logging
import threading

from . import sql_db
from .exceptions import UserError
from .modules import loading

_logger = logging.getLogger(__name__)

_settings = {'transient_age_limit': 1.0, 'transient_count_limit': 0, 'test_enable': False}


def configure(options):
    """Registry-wide settings from the server options (called by ``main``)."""
    _settings.update(transient_age_limit=options.transient_age_limit,
                     transient_count_limit=options.transient_count_limit,
                     test_enable=options.test_enable)


class Registry:
    """Model classes of one database, keyed by model name."""

    _registries = {}
    _lock = threading.RLock()

    def __init__(self, dbname):
        self.dbname = dbname
        self.models = {}
        self.triggers = {}
        self.loaded_modules = []
        self.sql_constraints = {}
        self.caches = {}
        self.transient_age_limit = _settings['transient_age_limit']
        self.transient_count_limit = _settings['transient_count_limit']

    def __getitem__(self, model_name):
        return self.models[model_name]

    def __contains__(self, model_name):
        return model_name in self.models

    def request_reload(self, cr, install=(), upgrade=(), uninstall=()):
        """Install/upgrade/uninstall modules once the current transaction has committed, in a
        transaction of its own; the new registry replaces this one only if that succeeds."""
        dbname = self.dbname
        cr.after_commit(lambda: Registry.new(dbname, install=install, upgrade=upgrade,
                                             uninstall=uninstall))

    def clear_caches(self):
        for cache in self.caches.values():
            cache.clear()

    # -- registry management -------------------------------------------------------------------
    @classmethod
    def get(cls, dbname):
        """The registry of ``dbname``, loading it on first use."""
        registry = cls._registries.get(dbname)
        if registry is not None:
            return registry
        with cls._lock:
            registry = cls._registries.get(dbname)
            if registry is None:
                registry = cls.new(dbname)
            return registry

    @classmethod
    def new(cls, dbname, install=(), upgrade=(), uninstall=(), demo=None, update_list=False):
        """Build a fresh registry (installing/upgrading/uninstalling modules on the way) and make
        it current once its transaction has committed."""
        with cls._lock:
            registry = cls(dbname)
            with sql_db.cursor(dbname) as cr:
                if not loading.is_initialized(cr):
                    raise UserError('Database %s is not an openerp-lite database (base is not '
                                    'installed).' % dbname)
                loading.load_modules(registry, cr, install=install, upgrade=upgrade,
                                     uninstall=uninstall, demo=demo, update_list=update_list)
            if uninstall:
                # the tables of uninstalled modules are gone: rebuild from what remains
                registry = cls(dbname)
                with sql_db.cursor(dbname) as cr:
                    loading.load_modules(registry, cr)
            cls._registries[dbname] = registry
            _logger.info('registry of %s loaded: %d modules, %d models', dbname,
                         len(registry.loaded_modules), len(registry.models))
            return registry

    @classmethod
    def delete(cls, dbname):
        with cls._lock:
            cls._registries.pop(dbname, None)

    @classmethod
    def delete_all(cls):
        with cls._lock:
            cls._registries.clear()


def create_database_schema(dbname, demo=False, lang='en_US', login='admin', password='admin',
                           country_code=None):
    """Install ``base`` into a new empty database and set up its admin user."""
    with Registry._lock:
        registry = Registry(dbname)
        with sql_db.cursor(dbname) as cr:
            loading.init_database(registry, cr, demo=demo, lang=lang, login=login,
                                  password=password, country_code=country_code)
        Registry._registries[dbname] = registry
    return True
