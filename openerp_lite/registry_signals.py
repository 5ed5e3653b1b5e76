"""The signal protocol: how every process's registry and caches keep in step with PostgreSQL.

**Stateless mode** (the default; docs/architecture.md, "State, per mode"): PostgreSQL is the
truth. A transaction that changes shared state bumps the counters of the kinds it touched inside
itself (``signals``), so its commit publishes the change and the signal together; a process
compares the counters with the versions it knows, in the snapshot its call reads its data in, and
reloads the registry or clears just the cache kinds that moved: RPC calls do it with a guard sent
with their ``COMMIT`` (:meth:`Registry.check_signals_at_commit`, no statement of its own; on a
mismatch the call runs again once the process caught up), other work (login, cron) with one query
first (:meth:`Registry.check_signals`). A database whose identity changed (dropped and restored
under the same name) is reloaded whatever its counters say. **Stateful mode**: one process, memory
is the truth, no check and no bump.

Threads of one process share the caches, so a value enters a cache only when it cannot be stale
(:meth:`Registry.cache_store`): never from a transaction that changed that kind itself (not
committed, maybe never), nor from a transaction whose snapshot predates a change of that kind the
process already knows of. Versions move before caches are cleared, so a value computed from an
old snapshot is either refused or cleared after it was stored.
"""

import logging

from . import signals, sql_db

_logger = logging.getLogger(__name__)

#: every cache kind a registry holds; each has its own signal so that clearing one kind does not
#: cold-start the others everywhere
CACHE_KINDS = ('access', 'rules', 'groups', 'credentials', 'xmlid', 'config', 'precision', 'sessions')
SIGNAL_KINDS = ('registry',) + CACHE_KINDS

_NO_DATA = {}


def read_signals(cr):
    """``{kind: counter}`` for every signal kind, and the database's identity, in one round trip."""
    return signals.read(cr, SIGNAL_KINDS)


class SignalProtocol:
    """The signal side of a :class:`~openerp_lite.registry.Registry`: it provides ``dbname``,
    ``stateless`` (whether the server runs stateless), ``signal_versions`` (kind -> the counter this
    process has applied), ``cache(kind)``, ``_local_bump_lock`` and ``_reload(seen, cr)``."""

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
            if self.stateless:
                signals.bump_at_commit(cr, deferred)
            cr.after_commit(lambda: self._committed(pending))
        if kind in pending:
            return
        seen = data.get('signals_seen', {}).get(kind)
        if not self.stateless:
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
        if self.stateless:
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
        if not self.stateless:
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
        if not self.stateless:
            return self

        def own_bumps():
            return len(getattr(cr, 'transaction_data', _NO_DATA).get('pending_signals') or ())

        signals.guard(cr, expected, SIGNAL_KINDS, own_bumps)
        return self

    def signals_moved(self):
        """Whether another process signalled a change this one has not applied (one query)."""
        if not self.stateless:
            return False
        with sql_db.cursor(self.dbname, readonly=True) as cr:
            return not signals.same(read_signals(cr), self.signal_versions, SIGNAL_KINDS)

    @staticmethod
    def _remember_seen(cr, versions):
        data = getattr(cr, 'transaction_data', None)
        if data is not None:
            data['signals_seen'] = versions

    def signal_everything(self, cr):
        """Bump every signal kind in the transaction of ``cr`` (the modules changed); this
        registry takes the new versions when it commits."""
        if self.stateless:
            for kind in SIGNAL_KINDS:
                self.signal_versions[kind] = signals.bump(cr, kind)
        else:
            cr.after_commit(lambda: self._committed(dict.fromkeys(SIGNAL_KINDS)))
