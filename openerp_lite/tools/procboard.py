"""A process board: what each process of a prefork server is, for ``/web/health``.

The master creates a private temporary folder; every worker and cron process writes a small JSON
file named after its pid (role, databases), replaced atomically so a reader never sees half a
file, and keeps its count of requests served, with its database connection figures, in a
fixed-width ``<pid>.count`` file that it overwrites in place: one ``pwrite`` per request, since
rewriting and renaming the JSON file on every request cost a quarter of a ``read`` call's time. Any
process can then list its siblings: the entries whose process is gone are
skipped (and their files removed), and RSS and CPU seconds are read live with psutil. Nothing here
is shared memory or a socket, so a process killed with SIGKILL cannot leave the board inconsistent.
"""

import json
import logging
import os
import shutil
import tempfile
import time

_logger = logging.getLogger(__name__)

#: environment variable naming the board folder, for processes started with exec (cron)
ENV_VAR = 'OPENERP_PROCESS_BOARD'
#: the connection figures a process keeps beside its count, in this order
POOL_FIGURES = ('open', 'in_use', 'idle', 'waiting', 'refused')
#: then the number of its requests that hit a limit (CPU, memory, statement time...)
EXTRA_FIGURES = ('limits_hit',)

_current = {'board': None}


class Board:
    """One folder of ``<pid>.json`` entries."""

    def __init__(self, path):
        self.path = path
        self._requests = 0
        self._pool = (0,) * len(POOL_FIGURES)
        self._limits_hit = 0
        self._entry = None
        self._count_fd = None

    @classmethod
    def create(cls):
        """A new board in a fresh private temporary folder (call in the master)."""
        return cls(tempfile.mkdtemp(prefix='openerp-lite-board-'))

    def remove(self, *_args):
        """Delete the folder (the master, on shutdown)."""
        shutil.rmtree(self.path, ignore_errors=True)

    # -- writers (each process about itself) -----------------------------------------------------
    def publish(self, role, databases=(), **extra):
        """Announce this process under ``role`` ('worker', 'cron')."""
        self._requests = 0
        self._entry = dict(extra, pid=os.getpid(), role=role, databases=list(databases), started=time.time())
        try:
            self._count_fd = os.open(
                self._path_of(os.getpid(), '.count'), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600
            )
        except OSError as error:
            _logger.debug('process board %s: %s', self.path, error)
            self._count_fd = None
        self._write_count()
        self._write()

    def count_request(self, pool=None, limits_hit=None):
        """One more request served by this process; ``pool``: its connection figures now
        (a dict with the keys of :data:`POOL_FIGURES`); ``limits_hit``: how many of its
        requests hit a limit so far."""
        if self._entry is None or self._entry['pid'] != os.getpid():
            return
        self._requests += 1
        if pool:
            self._pool = tuple(int(pool.get(name, 0)) for name in POOL_FIGURES)
        if limits_hit is not None:
            self._limits_hit = int(limits_hit)
        self._write_count()

    def _path_of(self, pid, suffix):
        return os.path.join(self.path, '%d%s' % (pid, suffix))

    def _write_count(self):
        if self._count_fd is None:
            return
        try:
            os.pwrite(
                self._count_fd,
                b'%20d' % self._requests
                + b''.join(b' %10d' % value for value in self._pool + (self._limits_hit,))
                + b'\n',
                0,
            )
        except OSError as error:  # the master removed the folder: shutting down
            _logger.debug('process board %s: %s', self.path, error)

    def _write(self):
        name = os.path.join(self.path, '%d.json' % os.getpid())
        temporary = name + '.tmp'
        try:
            with open(temporary, 'w', encoding='utf-8') as handle:
                json.dump(self._entry, handle)
            os.replace(temporary, name)
        except OSError as error:  # the master removed the folder: shutting down
            _logger.debug('process board %s: %s', self.path, error)

    def _count_ended(self, role):
        """One more ``role`` process gone (recycled, killed, stopped): one byte appended to
        ``ended-<role>``, so the count is the file's size, and readers in several processes
        never lose an increment. Only the reader that removed the entry counts it."""
        if role not in ('worker', 'cron'):
            return
        try:
            fd = os.open(
                os.path.join(self.path, 'ended-%s' % role), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
            )
            try:
                os.write(fd, b'x')
            finally:
                os.close(fd)
        except OSError as error:
            _logger.debug('process board %s: %s', self.path, error)

    def ended(self):
        """``{role: processes gone since the board was made}`` (workers replaced after a limit,
        a crash, a reload or a TTOU; cron processes restarted or recycled)."""
        result = {}
        for role in ('worker', 'cron'):
            try:
                result[role] = os.path.getsize(os.path.join(self.path, 'ended-%s' % role))
            except OSError:
                result[role] = 0
        return result

    # -- readers ---------------------------------------------------------------------------------
    def entries(self):
        """The live processes on the board, each a dict with pid, role, databases, requests,
        rss (bytes) and cpu_seconds; sorted by role then pid."""
        import psutil

        result = []
        try:
            names = os.listdir(self.path)
        except OSError:
            return result
        for name in names:
            if not name.endswith('.json'):
                continue
            path = os.path.join(self.path, name)
            try:
                with open(path, encoding='utf-8') as handle:
                    entry = json.load(handle)
                counts = _read_counts(path[: -len('.json')] + '.count')
                entry['requests'] = counts[0]
                entry['pool'] = dict(zip(POOL_FIGURES, counts[1:]))
                entry.update(zip(EXTRA_FIGURES, counts[1 + len(POOL_FIGURES) :]))
                process = psutil.Process(entry['pid'])
                # a recycled pid belongs to a younger process
                if process.create_time() > entry['started'] + 1:
                    raise psutil.NoSuchProcess(entry['pid'])
                with process.oneshot():
                    times = process.cpu_times()
                    entry['rss'] = process.memory_info().rss
                    entry['cpu_seconds'] = round(times.user + times.system, 3)
                    if process.status() == psutil.STATUS_ZOMBIE:
                        raise psutil.NoSuchProcess(entry['pid'])
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                if _remove_quietly(path):
                    self._count_ended(entry.get('role') if isinstance(entry, dict) else None)
                _remove_quietly(path[: -len('.json')] + '.count')
                continue
            except (OSError, ValueError, KeyError, psutil.Error):
                continue
            result.append(entry)
        result.sort(key=lambda entry: (entry.get('role', ''), entry['pid']))
        return result


def _read_counts(path):
    """``[requests, *pool figures, *extra figures]`` from a ``.count`` file (zeros when
    unreadable)."""
    size = 1 + len(POOL_FIGURES) + len(EXTRA_FIGURES)
    try:
        with open(path, 'rb') as handle:
            values = [int(word) for word in handle.read(256).split()]
    except (OSError, ValueError):
        values = []
    values += [0] * (size - len(values))
    return values[:size]


def _remove_quietly(path):
    """Remove ``path``; True when this call removed it."""
    try:
        os.remove(path)
    except OSError:
        return False
    return True


def current():
    """The board of this server, or None (one-process servers have none)."""
    return _current['board']


def set_current(board):
    _current['board'] = board
    if board is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = board.path


def from_environ(environ=None):
    """The board named by :data:`ENV_VAR` (a process started by the master), or None."""
    path = (environ if environ is not None else os.environ).get(ENV_VAR)
    return Board(path) if path and os.path.isdir(path) else None


def process_info(pid=None):
    """pid, rss and cpu_seconds of one process (this one by default)."""
    import psutil

    process = psutil.Process(pid)
    with process.oneshot():
        times = process.cpu_times()
        return {
            'pid': process.pid,
            'rss': process.memory_info().rss,
            'cpu_seconds': round(times.user + times.system, 3),
        }
