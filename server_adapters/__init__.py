"""Server adapters: each runs the WSGI application under one HTTP server.

An adapter module exposes ``serve(application, options, hooks)`` and blocks until the server stops.
Adapters see only a WSGI callable, the options and a :class:`Hooks` object: they never import the
ORM (DESIGN §1), so the process model stays separate from the application.
"""

import importlib
import logging

_logger = logging.getLogger(__name__)

#: adapter name -> module under ``server_adapters``
ADAPTERS = {'threaded': 'threaded', 'waitress': 'waitress', 'gunicorn': 'gunicorn'}

HOOK_NAMES = ('pre_fork', 'post_fork', 'pre_request', 'post_request', 'worker_exit', 'on_shutdown')


class Hooks:
    """Lifecycle callbacks the application side hands to an adapter.

    Each hook holds a list of callables, run in order by :meth:`run` (``on_shutdown`` in reverse
    order of registration, so what started last stops first). A failing callback is logged and
    does not stop the others.
    """

    def __init__(self, **callbacks):
        self._callbacks = {name: [] for name in HOOK_NAMES}
        for name, callback in callbacks.items():
            if callback is not None:
                self.add(name, callback)

    def add(self, name, callback):
        if name not in self._callbacks:
            raise ValueError('unknown hook %r (known: %s)' % (name, ', '.join(HOOK_NAMES)))
        self._callbacks[name].append(callback)

    def __bool__(self):
        return True

    def has(self, name):
        return bool(self._callbacks.get(name))

    def run(self, name, *args):
        callbacks = self._callbacks[name]
        if name == 'on_shutdown':
            callbacks = list(reversed(callbacks))
        for callback in callbacks:
            try:
                callback(*args)
            except Exception:
                _logger.exception('%s hook %r failed', name, callback)


#: servers that run in one process: ``--workers`` above 1 makes no sense with them
SINGLE_PROCESS = ('threaded', 'waitress')


def resolve_name(options):
    """The adapter to use: ``options.server``, where ``auto`` means gunicorn with workers, else
    threaded.

    Raises ValueError for ``--workers`` > 1 with a one-process server: silently serving from one
    process when the operator asked for several would hide a capacity problem until production.
    """
    name = getattr(options, 'server', None) or 'auto'
    workers = getattr(options, 'workers', 0) or 0
    if name == 'auto':
        name = 'gunicorn' if workers >= 1 else 'threaded'
    if name in SINGLE_PROCESS and workers > 1:
        raise ValueError('--workers %d needs a prefork server: the %s server is a single process '
                         '(use --server gunicorn, or drop --workers)' % (workers, name))
    if getattr(options, 'mode', 'stateless') == 'stateful' and name not in SINGLE_PROCESS:
        # stateful processes never look at what the others changed: several would disagree
        raise ValueError('--mode stateful keeps its state in one process: use it with --server '
                         'threaded or waitress, or run %s in --mode stateless' % name)
    return name


def get_adapter(name):
    """The adapter module called ``name``; a clear error when it is unknown or not available."""
    module_name = ADAPTERS.get(name)
    if module_name is None:
        raise ValueError('unknown server %r (known: %s)' % (name, ', '.join(sorted(ADAPTERS))))
    full_name = '%s.%s' % (__name__, module_name)
    try:
        return importlib.import_module(full_name)
    except ModuleNotFoundError as error:
        if error.name != full_name:
            raise
        raise ValueError('server %r is not available in this installation (%s is missing)'
                         % (name, full_name)) from None
