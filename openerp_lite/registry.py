"""Per-database registries: the final model classes of the installed modules, plus caches, and the
signals that keep every process's copy in step.

A registry is built completely before it replaces the previous one, so a call never sees a
half-loaded registry; a failed install leaves the old registry serving.

**Stateless mode** (the default; DESIGN §4): PostgreSQL is the truth. A transaction that changes
shared state bumps the counters of the kinds it touched inside itself (``signals``), so its commit
publishes the change and the signal together; a process compares the counters with the versions
it knows, in the snapshot its call reads its data in, and reloads the registry or clears just the
cache kinds that moved: RPC calls do it with a guard sent with their ``COMMIT``
(:meth:`Registry.check_signals_at_commit`, no statement of its own; on a mismatch the call runs
again once the process caught up), other work (login, cron) with one query first
(:meth:`Registry.check_signals`). A database whose identity changed (dropped and restored under the
same name) is reloaded whatever its counters say. **Stateful mode**: one process, memory is the
truth, no check and no bump.

Threads of one process share the caches, so a value enters a cache only when it cannot be stale
(:meth:`Registry.cache_store`): never from a transaction that changed that kind itself (not
committed, maybe never), nor from a transaction whose snapshot predates a change of that kind the
process already knows of. Versions move before caches are cleared, so a value computed from an
old snapshot is either refused or cleared after it was stored.
"""

import contextlib
import logging
import threading

from . import catalog, server_tables, signals, sql_db
from .exceptions import UserError
from .modules import loading
from .orm.environment import SUPERUSER_ID, Environment
from .tools import config
from .tools.cache import LRU

_logger = logging.getLogger(__name__)

#: every cache kind a registry holds; each has its own signal so that clearing one kind does not
#: cold-start the others everywhere
CACHE_KINDS = ('access', 'rules', 'groups', 'credentials', 'xmlid', 'config', 'precision', 'sessions')
SIGNAL_KINDS = ('registry',) + CACHE_KINDS

#: the server's settings, handed down by ``bootstrap`` (the declared defaults until then)
_handed = {'options': config.defaults()}


def configure(options):
    """Hand the server's settings to the registries (``bootstrap``): the mode, the transient
    vacuum limits and ``--test-enable`` are read from them when a registry is built."""
    _handed['options'] = options


def stateless():
    return _handed['options'].mode != 'stateful'


_NO_DATA = {}


def read_signals(cr):
    """``{kind: counter}`` for every signal kind, and the database's identity, in one round trip."""
    return signals.read(cr, SIGNAL_KINDS)


class Registry:
    """Model classes of one database, keyed by model name, with its caches."""

    _registries = {}
    _lock = threading.RLock()

    def __init__(self, dbname):
        self.dbname = dbname
        self.models = {}
        self.triggers = {}
        self.loaded_modules = []
        self.sql_constraints = {}
        self._caches = {}
        self.signal_versions = {}
        self._reload_lock = threading.Lock()
        self._local_bump_lock = threading.Lock()
        options = _handed['options']
        self.transient_age_limit = options.transient_age_limit
        self.transient_count_limit = options.transient_count_limit
        #: --test-enable: the loader runs the tests of the modules it installs or upgrades
        self.test_enable = options.test_enable

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

    def invalidate_cache(self, kind, cr=None):
        """Clear cache ``kind`` here and in every other process once ``cr`` commits: its counter is
        bumped inside that transaction, so the commit publishes change and signal together.
        Until then the transaction of ``cr`` bypasses that cache (see :meth:`cache_for`), and a
        transaction that rolls back (a refused call) clears nothing. Without ``cr``: here, now."""
        if cr is None:
            self.cache(kind).clear()
        else:
            self._signal(cr, kind)

    def cache_for(self, cr, kind):
        """The LRU of ``kind`` for a call running in the transaction of ``cr``, or None when that
        transaction changed ``kind`` itself: it must read its own writes from the database, and
        other threads' entries do not have them."""
        pending = getattr(cr, 'transaction_data', _NO_DATA).get('pending_signals')
        if pending is not None and kind in pending:
            return None
        return self.cache(kind)

    def cache_store(self, cr, kind, key, value):
        """Store ``value``, read in the transaction of ``cr``, under ``key`` in cache ``kind``,
        unless it may be stale for later calls (module docstring)."""
        data = getattr(cr, 'transaction_data', _NO_DATA)
        pending = data.get('pending_signals')
        if pending is not None and kind in pending:
            return
        version = self.signal_versions.get(kind)
        seen = data.get('signals_seen')
        if seen is not None and seen.get(kind) != version:
            return
        cache = self.cache(kind)
        cache[key] = value
        if self.signal_versions.get(kind) != version:
            # a change arrived between the test above and the store: its clear may have run first
            cache.pop(key)

    def clear_caches(self, cr=None):
        for kind in CACHE_KINDS:
            self.invalidate_cache(kind, cr)

    def cache_stats(self):
        return {kind: self.cache(kind).stats() for kind in CACHE_KINDS}

    # -- signals -------------------------------------------------------------------------------
    def _signal(self, cr, kind):
        """Record that the transaction of ``cr`` changes ``kind``: its counter is bumped as the
        last statement of that transaction (stateless), and the change applied here once it
        commits."""
        # per transaction: a cursor that commits and goes on must signal its next changes too
        data = getattr(cr, 'transaction_data', None)
        if data is None:
            data = cr.transaction_data = {}
        pending = data.get('pending_signals')
        if pending is None:
            pending = data['pending_signals'] = {}
            deferred = data['deferred_signals'] = set()
            if stateless():
                signals.bump_at_commit(cr, deferred)
            cr.after_commit(lambda: self._committed(pending))
        if kind in pending:
            return
        seen = data.get('signals_seen', {}).get(kind)
        if not stateless():
            pending[kind] = None
        elif seen is not None:
            # bumped with the COMMIT; the counter then is one more than the snapshot's, which the
            # call checked (a concurrent bump of it makes this transaction fail to serialise)
            data['deferred_signals'].add(kind)
            pending[kind] = seen + 1
        else:
            # no check told what the snapshot holds (module loading, server code): bump now
            pending[kind] = signals.bump(cr, kind)

    def _committed(self, pending):
        """After the commit of a transaction that bumped ``pending`` (kind -> new counter): our own
        change is applied here already, so the versions move without a reload or a clear for it
        (unless another process bumped the same kind in between); then the caches of those kinds
        are cleared, since other threads may have stored values read before the commit."""
        if stateless():
            for kind, value in pending.items():
                if value is not None and self.signal_versions.get(kind) == value - 1:
                    self.signal_versions[kind] = value
        else:
            with self._local_bump_lock:
                for kind in pending:
                    self.signal_versions[kind] = self.signal_versions.get(kind, 0) + 1
        for kind in pending:
            if kind in CACHE_KINDS:
                self.cache(kind).clear()
        _logger.debug('signalled %s on %s', ', '.join(sorted(pending)), self.dbname)

    def check_signals(self, cr):
        """Bring this process up to date with the others; returns the registry to use (a new one
        when another process changed the modules)."""
        if not stateless():
            self._remember_seen(cr, dict(self.signal_versions))
            return self
        current = read_signals(cr)
        self._remember_seen(cr, current)
        if current['registry'] != self.signal_versions.get('registry') or current[
            signals.IDENTITY
        ] != self.signal_versions.get(signals.IDENTITY):
            return self._reload(current, cr)
        for kind in CACHE_KINDS:
            if current[kind] != self.signal_versions.get(kind):
                # the version first: a thread storing a value read before this change then sees
                # it moved (cache_store), or its entry is gone with the clear below
                self.signal_versions[kind] = current[kind]
                self.cache(kind).clear()
        return self

    def check_signals_at_commit(self, cr):
        """The same contract as :meth:`check_signals` without a round trip of its own.

        A guard sent with the transaction's ``COMMIT`` compares the counters with the versions this
        process knew when the call began. At REPEATABLE READ it reads them in the snapshot every
        other statement of the call read in (taken at the first one), so it sees exactly the
        changes signalled before the call's data was read. When another process changed
        something, the guard fails, nothing is committed, and the caller runs the call again after
        :meth:`check_signals` (see ``service.object``). A result computed from stale state never
        leaves, and a call costs no extra round trip.
        """
        expected = dict(self.signal_versions)
        self._remember_seen(cr, expected)
        if not stateless():
            return self

        def own_bumps():
            return len(getattr(cr, 'transaction_data', _NO_DATA).get('pending_signals') or ())

        signals.guard(cr, expected, SIGNAL_KINDS, own_bumps)
        return self

    def signals_moved(self):
        """Whether another process signalled a change this one has not applied (one query)."""
        if not stateless():
            return False
        with sql_db.cursor(self.dbname, readonly=True) as cr:
            return not signals.same(read_signals(cr), self.signal_versions, SIGNAL_KINDS)

    @staticmethod
    def _remember_seen(cr, versions):
        data = getattr(cr, 'transaction_data', None)
        if data is not None:
            data['signals_seen'] = versions

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

    def signal_everything(self, cr):
        """Bump every signal kind in the transaction of ``cr`` (the modules changed); this
        registry takes the new versions when it commits."""
        if stateless():
            for kind in SIGNAL_KINDS:
                self.signal_versions[kind] = signals.bump(cr, kind)
        else:
            cr.after_commit(lambda: self._committed(dict.fromkeys(SIGNAL_KINDS)))

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
