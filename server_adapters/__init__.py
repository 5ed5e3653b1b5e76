"""Server adapters: each runs the WSGI application under one HTTP server.

An adapter module exposes ``serve(application, options, hooks)`` and blocks until the server stops.
Adapters see only a WSGI callable, the options and a :class:`Hooks` object: they never import the
ORM (docs/architecture.md, "Layers"), so the process model stays separate from the application.
"""

import importlib
import logging
import threading

_logger = logging.getLogger(__name__)

#: adapter name -> module under ``server_adapters``
ADAPTERS = {'threaded': 'threaded', 'waitress': 'waitress', 'gunicorn': 'gunicorn'}

#: ``on_ready`` runs once in the main (master) process when the server accepts connections:
#: background work such as cron starts there, and ``on_shutdown`` stops it. ``on_reload`` runs in
#: a prefork master asked to reload (gunicorn: SIGHUP), before it forks the new workers: what the
#: master preloaded is rebuilt there, so the new workers start from the code now on disk
HOOK_NAMES = (
    'on_ready',
    'pre_fork',
    'post_fork',
    'pre_request',
    'post_request',
    'worker_exit',
    'on_reload',
    'on_shutdown',
)


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


def read_timeouts(options):
    """``(read deadline, write timeout)`` in seconds for a request's socket (None: no limit):
    ``--limit-time-read`` for the request, ``--limit-time-real`` for each write of the reply."""
    read = float(options.limit_time_read or 0) or None
    write = float(options.limit_time_real or 0) or None
    return read, write


#: servers that run in one process: ``--workers`` above 1 makes no sense with them
SINGLE_PROCESS = ('threaded', 'waitress')


def resolve_name(options):
    """The adapter to use: ``options.server``, where ``auto`` means gunicorn with workers, else
    threaded.

    Raises ValueError for ``--workers`` > 1 with a one-process server: silently serving from one
    process when the operator asked for several would hide a capacity problem until production.
    """
    name = options.server or 'auto'
    workers = options.workers or 0
    if name == 'auto':
        name = 'gunicorn' if workers >= 1 else 'threaded'
    if name in SINGLE_PROCESS and workers > 1:
        raise ValueError(
            '--workers %d needs a prefork server: the %s server is a single process '
            '(use --server gunicorn, or drop --workers)' % (workers, name)
        )
    if options.mode == 'stateful' and name not in SINGLE_PROCESS:
        # stateful processes never look at what the others changed: several would disagree
        raise ValueError(
            '--mode stateful keeps its state in one process: use it with --server '
            'threaded or waitress, or run %s in --mode stateless' % name
        )
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
        raise ValueError(
            'server %r is not available in this installation (%s is missing)' % (name, full_name)
        ) from None


#: seconds in-flight requests get to finish on SIGTERM/SIGINT when --limit-time-real is 0
DEFAULT_GRACEFUL_TIMEOUT = 120


def graceful_timeout(options):
    """Seconds a stopping server waits for its in-flight requests: ``--limit-time-real`` (a
    request is never expected to last longer), or :data:`DEFAULT_GRACEFUL_TIMEOUT` when it is 0."""
    return options.limit_time_real or DEFAULT_GRACEFUL_TIMEOUT


class InFlight:
    """WSGI middleware counting the requests being served, for a graceful stop of a one-process
    server: a request counts until the server closes its response iterable (after writing it)."""

    def __init__(self, application, per_thread=False):
        self.application = application
        self._count = 0
        self._changed = threading.Condition()
        #: with ``per_thread``, each thread remembers its response for finish_thread_request()
        self._local = threading.local() if per_thread else None

    @property
    def count(self):
        return self._count

    def __call__(self, environ, start_response):
        with self._changed:
            self._count += 1
        try:
            result = self.application(environ, start_response)
        except BaseException:
            self._done()
            raise
        response = _ClosingIterable(result, self._done)
        if self._local is not None:
            self._local.response = response
        return response

    def finish_thread_request(self):
        """Close the response of the request this thread served, if the server did not: for a
        server that may skip ``close()`` (werkzeug does when the client resets the connection
        before it was closed), so that the request stops counting. Call it once the server is done
        with the request, in the thread that served it (``per_thread`` only)."""
        response = getattr(self._local, 'response', None)
        self._local.response = None
        if response is not None:
            response.close()

    def _done(self):
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout):
        """Wait until no request is in flight, at most ``timeout`` seconds; True when idle."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count <= 0, timeout)


class _ClosingIterable:
    def __init__(self, iterable, on_close):
        self._iterable = iterable
        self._on_close = on_close

    def __iter__(self):
        return iter(self._iterable)

    def close(self):
        on_close, self._on_close = self._on_close, None
        if on_close is None:
            return  # closed already
        try:
            close = getattr(self._iterable, 'close', None)
            if close is not None:
                close()
        finally:
            on_close()
