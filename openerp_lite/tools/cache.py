"""``@ormcache``: memoise model methods that read the same rows on every call.

Entries live in the registry, in one bounded LRU per *kind* of cache (``access``, ``rules``,
``groups``, ``xmlid``, ``config``, ``precision``, ``credentials``...), so that a change can clear
just its kind — here and, through the registry's signals, in every other process — without
cold-starting the rest. Each kind counts its hits and misses.
"""

import collections
import functools
import inspect
import threading

DEFAULT_SIZE = 8192


class LRU:
    """A thread-safe least-recently-used mapping with a size bound and hit/miss counters."""

    def __init__(self, maxsize=DEFAULT_SIZE):
        self.maxsize = maxsize
        self._data = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key, default=None):
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)

    def pop(self, key, default=None):
        with self._lock:
            return self._data.pop(key, default)

    def clear(self):
        with self._lock:
            self._data.clear()

    def discard_where(self, predicate):
        """Drop the entries whose key satisfies ``predicate`` (one method, one model...)."""
        with self._lock:
            for key in [k for k in self._data if predicate(k)]:
                del self._data[key]

    def stats(self):
        return {'size': len(self._data), 'hits': self.hits, 'misses': self.misses}


_MISSING = object()


def ormcache(kind, *key_args):
    """Cache the method's result per registry under ``kind``, keyed by the model, the method and
    the values of ``key_args`` (parameter names; ``uid`` means the caller's uid when the method has
    no such parameter). Clear with ``registry.invalidate_cache(kind, cr)``; a value read in a
    transaction that may make it stale is returned but not kept (``Registry.cache_store``)."""

    def decorate(method):
        signature = inspect.signature(method)
        params = list(signature.parameters)[1:]
        for name in key_args:
            if name not in params and name != 'uid':
                raise TypeError('ormcache on %s: unknown key argument %r' % (method.__qualname__, name))

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
            key = (self._name, method.__name__) + tuple(
                self.env.uid if name == 'uid' and name not in values else _hashable(values[name])
                for name in key_args
            )
            registry, cr = self.env.registry, self.env.cr
            cache = registry.cache_for(cr, kind)
            if cache is None:  # this transaction changed the kind: read its own writes
                return method(self, *args, **kwargs)
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = method(self, *args, **kwargs)
                registry.cache_store(cr, kind, key, value)
            return value

        wrapper._ormcache_kind = kind
        return wrapper

    return decorate


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value
