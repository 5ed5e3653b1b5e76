"""``openerp-server cron``: the cron loop alone, and the cron processes of a prefork server.

``openerp-server cron -d DB [server options]`` polls the databases (``-d``, else every database
the role owns) every ``--cron-interval`` seconds and runs their due jobs, for a dedicated cron
machine; SIGTERM or SIGINT lets the running job end, then exits (a second signal exits at once).

A prefork master runs ``--max-cron-threads`` such processes under a :class:`CronProcesses`
supervisor: started once the master is ready, checked every few seconds from a thread of the
master and restarted when one died, stopped (SIGTERM, then SIGKILL after a grace period) on
shutdown. They are started with exec, not fork: a fresh interpreter inherits no thread, lock or
connection of the master, whose own loop (gunicorn's) may be forking workers at the same moment.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from .. import sql_db
from ..tools import config, log, procboard

_logger = logging.getLogger(__name__)

#: hidden flag: the supervising master's pid; the cron process exits when its parent changes
SUPERVISOR_FLAG = '--supervisor-pid'
#: seconds between two checks of the cron processes by the master
CHECK_EVERY = 2.0
#: seconds a cron process gets to finish its job after SIGTERM before SIGKILL
STOP_GRACE = 30.0


def databases_of(options):
    """The ``-d`` list, or None for "every database"."""
    names = [name.strip() for name in (options.db_name or '').split(',') if name.strip()]
    return names or None


def title(role, options):
    """The process title of ``role``: ``openerp-server: <role> [db1,db2]``."""
    names = databases_of(options)
    return 'openerp-server: %s%s' % (role, ' [%s]' % ','.join(names) if names else '')


def set_title(text):
    try:
        import setproctitle
    except ImportError:
        return
    setproctitle.setproctitle(text)


def _pop_flag(argv, flag):
    """Remove ``flag VALUE`` from ``argv``; returns VALUE or None."""
    if flag in argv:
        index = argv.index(flag)
        value = argv[index + 1] if index + 1 < len(argv) else None
        del argv[index : index + 2]
        return value
    return None


def main(argv):
    """Run the cron loop until SIGTERM/SIGINT; returns the exit status."""
    argv = list(argv)
    supervisor = _pop_flag(argv, SUPERVISOR_FLAG)
    try:
        options = config.parse(argv, os.environ, prog='openerp-server cron')
    except config.ConfigError as error:
        print('openerp-server cron: %s' % error, file=sys.stderr)
        return 2
    import server_adapters

    from .. import http
    from ..service import cron
    from .database import start_database

    log.setup(options)
    set_title(title('cron', options))
    hooks = server_adapters.Hooks()
    stop = threading.Event()

    def request_stop(signum, _frame):
        if stop.is_set():
            _logger.warning('received %s again: exiting now', signal.Signals(signum).name)
            os._exit(1)
        _logger.info('received %s: stopping after the running job', signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    try:
        start_database(options, hooks)
        http.setup(options, server_kind='cron')
        names = databases_of(options)
        board = procboard.from_environ()
        passes = [0]

        def on_pass(count):
            if supervisor and os.getppid() != int(supervisor):
                _logger.warning('the server that started this cron process is gone: exiting')
                stop.set()
            if board is not None:
                passes[0] += 1
                board.count_request(sql_db.stats())

        if board is not None:
            board.publish('cron', names or ())
        loop = cron.CronLoop(
            (lambda: cron.served(names)) if names else cron.all_databases, stop, on_pass=on_pass
        )
        _logger.info(
            'cron process %d polling %s every %ss',
            os.getpid(),
            ', '.join(names) if names else 'every database',
            cron.poll_interval(),
        )
        loop.run()
    finally:
        sql_db.close_all()
        hooks.run('on_shutdown')
    _logger.info('cron process %d stopped', os.getpid())
    return 0


class CronProcesses:
    """``count`` ``openerp-server cron`` processes supervised by the current (master) process."""

    def __init__(self, count, argv, environ=None):
        self.count = count
        self.argv = list(argv)
        self.environ = environ
        self.processes = []
        self._stop = threading.Event()
        self._thread = None
        self._master_title = None
        #: pids asked to stop by recycle(): their exit is expected
        self._recycled = set()

    def command(self):
        """The command line of one cron process: this server's options, the database the master
        actually uses (so an embedded PostgreSQL is shared, not started twice)."""
        code = 'import sys; from openerp_lite.cli import main; sys.exit(main())'
        params = sql_db.connection_params('postgres')
        extra = [SUPERVISOR_FLAG, str(os.getpid())]
        if params.get('host'):
            extra += ['--db_host', str(params['host'])]
        if params.get('port'):
            extra += ['--db_port', str(params['port'])]
        if params.get('user'):
            extra += ['--db_user', str(params['user'])]
        return [sys.executable, '-c', code, 'cron'] + self.argv + extra

    def _environment(self):
        environ = dict(self.environ if self.environ is not None else os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        environ['PYTHONPATH'] = os.pathsep.join(
            [root] + [p for p in environ.get('PYTHONPATH', '').split(os.pathsep) if p]
        )
        password = sql_db.connection_params('postgres').get('password')
        if password:
            environ['PGPASSWORD'] = str(password)  # not on the command line, visible to ps
        board = procboard.current()
        if board is not None:
            environ[procboard.ENV_VAR] = board.path
        return environ

    def _spawn(self):
        process = subprocess.Popen(self.command(), env=self._environment(), stdin=subprocess.DEVNULL)
        _logger.info('cron process %d started', process.pid)
        return process

    def start(self, *_args):
        """Start the processes and the thread that keeps them running (in the master)."""
        self._master_title = 'openerp-server: master'
        self.processes = [self._spawn() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._watch, name='cron-supervisor', daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(CHECK_EVERY):
            self.check()
            # gunicorn names its master itself at start and after each reload
            _keep_title(self._master_title)

    def check(self):
        """Replace every cron process that died; returns how many were restarted."""
        restarted = 0
        for index, process in enumerate(self.processes):
            if self._stop.is_set():
                break
            # poll() also returns when another part of the master (gunicorn's waitpid(-1))
            # already reaped the child: it is gone either way.
            if process.poll() is not None:
                if process.pid in self._recycled:
                    self._recycled.discard(process.pid)
                    _logger.info('cron process %d recycled: starting another', process.pid)
                else:
                    _logger.warning(
                        'cron process %d exited (%s): starting another', process.pid, process.returncode
                    )
                self.processes[index] = self._spawn()
                restarted += 1
        return restarted

    def recycle(self, *_args):
        """Ask every cron process to stop after its running job (SIGTERM); the supervisor
        starts fresh ones, which import the code now on disk. Returns how many were asked."""
        if self._stop.is_set():
            return 0
        asked = 0
        for process in list(self.processes):
            if process.poll() is None:
                self._recycled.add(process.pid)
                process.send_signal(signal.SIGTERM)
                asked += 1
        if asked:
            _logger.info('reload: %d cron process(es) replaced after their running job', asked)
        return asked

    def stop(self, *_args, grace=STOP_GRACE):
        """SIGTERM every cron process, wait up to ``grace`` seconds, then SIGKILL the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(CHECK_EVERY * 2)
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _logger.warning('cron process %d did not stop within %ss: killing it', process.pid, grace)
                process.kill()
                process.wait(10)
        self.processes = []


def _keep_title(text):
    if not text:
        return
    try:
        import setproctitle
    except ImportError:
        return
    if setproctitle.getproctitle() != text:
        setproctitle.setproctitle(text)
