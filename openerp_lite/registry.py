"""Per-database registries: the final model classes of the installed modules and their caches.

A registry is built completely before it replaces the previous one, so a call never sees a
half-loaded registry; a failed install leaves the old registry serving. How a registry keeps in
step with the other processes (the counters bumped inside changing transactions, the checks
before and at commit, which values may enter a cache) is :mod:`.registry_signals`' job; the
registry supplies the reload when the modules or the database itself changed.
"""

import contextlib
import logging
import threading

from . import catalog, server_tables, signals, sql_db
from .exceptions import UserError
from .modules import loading
from .orm.environment import SUPERUSER_ID, Environment
from .registry_signals import CACHE_KINDS, SIGNAL_KINDS, SignalProtocol, read_signals
from .tools import config
from .tools.cache import LRU

_logger = logging.getLogger(__name__)

#: the server's settings, handed down by ``bootstrap`` (the declared defaults until then)
_handed = {'options': config.defaults()}


def configure(options):
    """Hand the server's settings to the registries (``bootstrap``): the mode, the transient
    vacuum limits and ``--test-enable`` are read from them when a registry is built."""
    _handed['options'] = options


def stateless():
    return _handed['options'].mode != 'stateful'


class Registry(SignalProtocol):
    """Model classes of one database, keyed by model name, with its caches."""

    _registries = {}
    _lock = threading.RLock()

    def __init__(self, dbname):
        self.dbname = dbname
        #: model name -> final model class (filled by ``modules.loading``)
        self.models = {}
        #: what recomputes when a field changes (``orm.builder.build_triggers``)
        self.triggers = {}
        #: names of the modules loaded, in dependency order
        self.loaded_modules = []
        #: SQL constraint name -> the message the model gave it
        self.sql_constraints = {}
        #: cache kind -> LRU (:meth:`cache`)
        self._caches = {}
        #: signal kind (and the database identity) -> the counter this process has applied
        self.signal_versions = {}
        self._reload_lock = threading.Lock()
        self._local_bump_lock = threading.Lock()
        options = _handed['options']
        self.transient_age_limit = options.transient_age_limit
        self.transient_count_limit = options.transient_count_limit
        #: --test-enable: the loader runs the tests of the modules it installs or upgrades
        self.test_enable = options.test_enable
        #: tests that failed while the loader ran them (``--test-enable``)
        self.test_failures = 0

    @property
    def stateless(self):
        """Whether this registry keeps in step with other processes (the stateless mode)."""
        return stateless()

    def __getitem__(self, model_name):
        return self.models[model_name]

    def __contains__(self, model_name):
        return model_name in self.models

    # -- caches --------------------------------------------------------------------------------
    def cache(self, kind):
        """The LRU of cache ``kind`` (one of :data:`CACHE_KINDS`)."""
        cache = self._caches.get(kind)
        if cache is None:
            if kind not in CACHE_KINDS:
                raise ValueError('Unknown cache kind %r (known: %s)' % (kind, ', '.join(CACHE_KINDS)))
            cache = self._caches.setdefault(kind, LRU())
        return cache

    def _reload(self, seen, cr):
        # One thread per process rebuilds; the others wait and reuse its result.
        with self._reload_lock:
            registry = Registry._registries.get(self.dbname)
            # another thread already reloaded, for this change or a later one: counters only grow
            if (
                registry is not None
                and registry is not self
                and registry.signal_versions.get(signals.IDENTITY) == seen[signals.IDENTITY]
                and registry.signal_versions.get('registry', -1) >= seen['registry']
            ):
                return registry
            if seen[signals.IDENTITY] != self.signal_versions.get(signals.IDENTITY):
                _logger.info(
                    'database %s is not the one this process loaded (dropped and created '
                    'again, restored): reloading',
                    self.dbname,
                )
            else:
                _logger.info('registry of %s changed in another process: reloading', self.dbname)
            return Registry.new(self.dbname, seen=seen, cr=cr)

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
    def new(
        cls, dbname, install=(), upgrade=(), uninstall=(), demo=None, update_list=False, seen=None, cr=None
    ):
        """Build a fresh registry (installing/upgrading/uninstalling modules on the way) and make
        it current once its transaction has committed; other processes follow on their next call.

        ``cr``: load through that cursor, in its transaction, instead of a new one: a reload
        (no change, ``seen`` given) found by a call, so that a call never holds two connections
        (under a cap, many calls each waiting for a second one would wait for each other).
        """
        changing = bool(install or upgrade or uninstall)
        if cr is not None and (changing or update_list or seen is None):
            raise ValueError("only a reload may borrow the caller's cursor")
        with cls._lock:
            registry = cls(dbname)
            with contextlib.nullcontext(cr) if cr is not None else sql_db.cursor(dbname) as cr:
                if not loading.is_initialized(cr):
                    raise UserError(
                        'Database %s is not an openerp-lite database (base is not installed).' % dbname
                    )
                if seen is None:
                    # a database of an earlier version gets the server tables it lacks; only
                    # reads when they are there (many processes loading at once)
                    server_tables.ensure(cr, signals.rows(SIGNAL_KINDS))
                registry.signal_versions = dict(seen) if seen else read_signals(cr)
                loading.load_modules(
                    registry,
                    cr,
                    install=install,
                    upgrade=upgrade,
                    uninstall=uninstall,
                    demo=demo,
                    update_list=update_list,
                )
                if changing:
                    # every process must reload and forget its caches: signalled with the
                    # change, in the loading transaction
                    registry.signal_everything(cr)
            if uninstall:
                # the tables of uninstalled modules are gone: rebuild from what remains
                versions = registry.signal_versions
                registry = cls(dbname)
                registry.signal_versions = versions
                with sql_db.cursor(dbname) as cr:
                    loading.load_modules(registry, cr)
            cls._registries[dbname] = registry
            _logger.info(
                'registry of %s loaded: %d modules, %d models',
                dbname,
                len(registry.loaded_modules),
                len(registry.models),
            )
            return registry

    def rebuild(self, cr, model_names):
        """Custom models or fields (``modules.manual``) changed in the transaction of ``cr``:
        build the registry again from the rows as that transaction sees them, bring the tables
        of ``model_names`` in line (DDL in the same transaction, so a rollback undoes it all),
        and signal every process to reload, inside the transaction too. The rest of the
        transaction uses the new registry; the process serves it once the transaction commits.
        Returns the new registry."""
        registry = Registry(self.dbname)
        registry.signal_versions = dict(self.signal_versions)
        loading.load_modules(registry, cr)
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        env.transaction.registry = registry
        loading.init_schema(env, model_names)
        self._signal(cr, 'registry')
        data = cr.transaction_data
        swap = data.get('rebuilt_registry')
        if swap is None:
            swap = data['rebuilt_registry'] = {'origin': self}
            # after the signal's own callback: the origin's versions have moved by then
            cr.after_commit(lambda: self._serve_rebuilt(swap))
        swap['latest'] = registry
        return registry

    @classmethod
    def _serve_rebuilt(cls, swap):
        origin, latest = swap['origin'], swap['latest']
        with cls._lock:
            latest.signal_versions = dict(origin.signal_versions)
            if cls._registries.get(origin.dbname) is origin:
                cls._registries[origin.dbname] = latest
        _logger.info('registry of %s rebuilt: custom models or fields changed', origin.dbname)

    def request_reload(self, cr, install=(), upgrade=(), uninstall=()):
        """Install/upgrade/uninstall modules once the current transaction has committed, in a
        transaction of its own; the new registry replaces this one only if that succeeds."""
        dbname = self.dbname
        cr.after_commit(lambda: Registry.new(dbname, install=install, upgrade=upgrade, uninstall=uninstall))

    @classmethod
    def delete(cls, dbname):
        with cls._lock:
            cls._registries.pop(dbname, None)

    @classmethod
    def delete_all(cls):
        with cls._lock:
            cls._registries.clear()


def create_database_schema(
    dbname, demo=False, lang='en_US', login='admin', password='admin', country_code=None
):
    """Install ``base`` into a new empty database, set up its admin user and the server's own
    tables, and mark the database as openerp-lite's (``catalog``)."""
    with Registry._lock:
        registry = Registry(dbname)
        with sql_db.cursor(dbname) as cr:
            server_tables.ensure(cr, signals.rows(SIGNAL_KINDS))
            registry.signal_versions = read_signals(cr)
            loading.init_database(
                registry, cr, demo=demo, lang=lang, login=login, password=password, country_code=country_code
            )
        catalog.mark(dbname)
        Registry._registries[dbname] = registry
    return True
