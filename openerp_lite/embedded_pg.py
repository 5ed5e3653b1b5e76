"""A private PostgreSQL server for machines where none is configured (the quick-start default).

The binaries come from the PyPI package ``pgserver``. The server listens on a unix socket only (no
TCP port, so it never clashes with a system PostgreSQL) and keeps its cluster in
``<data_dir>/pgdata``, which is reused on the next start. Run as root, ``pgserver`` runs postgres as
a ``pgserver`` system user, as postgres refuses to run as root.

Fork safety: a Gunicorn master forks workers after the server is up. Only the process that called
:meth:`EmbeddedPostgres.start` may stop it; ``stop()`` (and the exit hook) do nothing in any other
process, so a worker that exits never takes the database down with it. For the same reason
pgserver's own per-pid bookkeeping and exit hook are switched off: we stop it explicitly with
``pg_ctl``.
"""

import atexit
import logging
import os
import subprocess
import time
import warnings
from pathlib import Path

_logger = logging.getLogger(__name__)

APP_NAME = 'openerp-lite'
PG_USER = 'postgres'
#: seconds allowed to pg_ctl for a start (initdb excluded) and for a stop
START_TIMEOUT = 60
STOP_TIMEOUT = 60


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started or stopped; the message says why."""


def default_data_dir():
    """Where the embedded cluster and other files live when ``data_dir`` is not configured.

    The user's data folder (``~/.local/share/openerp-lite`` on Linux). For root it is
    ``/var/lib/openerp-lite`` instead: pgserver opens every parent folder of the cluster to the
    ``pgserver`` user, and doing that to ``/root`` would be an unwelcome side effect.
    """
    if hasattr(os, 'geteuid') and os.geteuid() == 0:
        return '/var/lib/' + APP_NAME
    try:
        import platformdirs
    except ImportError:
        return os.path.join(os.path.expanduser('~'), '.local', 'share', APP_NAME)
    return platformdirs.user_data_dir(APP_NAME)


def _import_pgserver():
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
            warnings.simplefilter('ignore')
            import pgserver
            from pgserver import postgres_server
    except ImportError as error:
        raise EmbeddedPostgresError(
            'The embedded PostgreSQL needs the Python package "pgserver" (pip install pgserver), '
            'or configure an existing server with --db_host/--db_port: %s' % error
        ) from None
    return pgserver, postgres_server


def pg_bin_dir():
    """The folder of pgserver's bundled PostgreSQL programs (pg_dump, pg_restore, psql), or None."""
    try:
        _import_pgserver()
    except EmbeddedPostgresError:
        return None
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH) if POSTGRES_BIN_PATH.is_dir() else None


class EmbeddedPostgres:
    """One embedded cluster in ``<data_dir>/pgdata``.

    ``start()`` returns connection parameters for :func:`psycopg2.connect` and
    :func:`openerp_lite.sql_db.configure`: ``{'host': <socket folder>, 'port': <int>, 'user':
    'postgres'}``. A server already running on the same cluster (another openerp-server on the
    same data dir, e.g. a ``--stop-after-init`` run beside a serving one, or one left over by a
    killed process) is used as it is and left running by ``stop()``: only the process that started
    the server stops it.
    """

    def __init__(self, data_dir):
        self.data_dir = Path(os.path.abspath(os.path.expanduser(str(data_dir))))
        self.pgdata = self.data_dir / 'pgdata'
        self._owner_pid = None
        self._system_user = None
        self._params = None
        self._started = False  # True when our start() launched the postmaster
        self._atexit_registered = False

    # -- state ---------------------------------------------------------------------------------
    def _postmaster_info(self):
        _pgserver, postgres_server = _import_pgserver()
        try:
            return postgres_server.PostmasterInfo.read_from_pgdata(self.pgdata)
        except (OSError, ValueError, AssertionError):
            return None  # a half-written or stale postmaster.pid

    def is_running(self):
        """True when a postmaster serves this cluster and reports itself ready."""
        info = self._postmaster_info()
        return bool(info is not None and info.is_running() and info.status == 'ready')

    @property
    def params(self):
        """The connection parameters returned by the last ``start()`` (None before)."""
        return dict(self._params) if self._params else None

    # -- start / stop --------------------------------------------------------------------------
    def start(self):
        """Initialise the cluster if needed, start (or adopt) the server, return its parameters."""
        _pgserver, postgres_server = _import_pgserver()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        fresh = not (self.pgdata / 'PG_VERSION').exists()
        already_running = not fresh and self.is_running()
        try:
            server = postgres_server.PostgresServer(self.pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as error:
            raise EmbeddedPostgresError(
                'Could not start the embedded PostgreSQL in %s: %s (see %s)'
                % (self.pgdata, error, self.pgdata / 'log')
            ) from None
        # pgserver's exit hook counts handles per pid in a file; we stop explicitly instead, so a
        # forked worker's exit can never reach that code.
        atexit.unregister(server._cleanup)
        postgres_server.PostgresServer._instances.pop(self.pgdata, None)
        self._system_user = server.system_user
        info = server.get_postmaster_info()
        self._owner_pid = os.getpid()
        self._started = not already_running
        host = str(info.socket_dir) if info.socket_dir is not None else (info.hostname or '127.0.0.1')
        self._params = {'host': host, 'port': info.port, 'user': PG_USER}
        if not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True
        if already_running:
            _logger.info(
                'embedded PostgreSQL already running in %s (socket folder %s, pid %s): '
                'using it, and leaving it running at exit',
                self.pgdata,
                host,
                info.pid,
            )
        else:
            _logger.info(
                'embedded PostgreSQL %s in %s (socket folder %s, pid %s)',
                'initialised and started' if fresh else 'started',
                self.pgdata,
                host,
                info.pid,
            )
        return dict(self._params)

    def stop(self, force=False):
        """Stop the server and wait until no process of it is left.

        Does nothing in a process other than the one that called ``start()`` (forked workers),
        when the server is not running, or when ``start()`` found it already running (another
        process owns it) unless ``force`` is true.
        """
        if self._owner_pid is None or self._owner_pid != os.getpid():
            return
        self._owner_pid = None
        if not (self._started or force):
            return
        self._started = False
        info = self._postmaster_info()
        if info is None or not info.is_running():
            return
        process = info.process
        import psutil

        try:
            children = process.children(recursive=True)
        except psutil.Error:  # the process went away between the two calls
            children = []
        from pgserver._commands import pg_ctl

        try:
            pg_ctl(
                ['-w', '-t', str(STOP_TIMEOUT), '-m', 'fast', 'stop'],
                pgdata=self.pgdata,
                user=self._system_user,
                timeout=STOP_TIMEOUT + 5,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            _logger.warning('pg_ctl stop failed (%s); terminating the embedded PostgreSQL', error)
            self._terminate([process] + children)
        self._wait_gone([process] + children)
        _logger.info('embedded PostgreSQL in %s stopped', self.pgdata)

    @staticmethod
    def _terminate(processes):
        import psutil

        for proc in processes:
            try:
                proc.terminate()
            except psutil.Error:
                pass

    @staticmethod
    def _wait_gone(processes, timeout=10.0):
        import psutil

        _gone, alive = psutil.wait_procs(processes, timeout=timeout)
        for proc in alive:
            try:
                proc.kill()
            except psutil.Error:
                pass
        if alive:
            psutil.wait_procs(alive, timeout=5)

    def _stop_at_exit(self):
        # Last resort when the owner exits without calling stop(); a no-op in forked children.
        if self._owner_pid == os.getpid():
            try:
                self.stop()
            except Exception:  # at interpreter exit there is nobody left to tell
                _logger.exception('could not stop the embedded PostgreSQL at exit')


def wait_until_ready(params, timeout=10.0):
    """Wait until the server of ``params`` accepts connections (True) or ``timeout`` passes."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(dbname='postgres', connect_timeout=2, **params).close()
            return True
        except psycopg2.OperationalError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
