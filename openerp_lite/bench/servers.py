"""Server subprocesses under test: start on a free loopback port, wait until they answer, measure
their processes, stop them by pid.

A configuration is written ``kind:mode[:workers]`` on the command line (``gunicorn:stateless:2``);
the two floors are ``floor-hello`` and ``floor-read`` (see :mod:`.floor`).
"""

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import psutil

from ..tools.process import terminate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = '127.0.0.1'
KINDS = ('threaded', 'waitress', 'gunicorn')
MODES = ('stateful', 'stateless')
FLOORS = ('floor-hello', 'floor-read')


class Configuration:
    """One server set-up to measure: kind, mode, workers (gunicorn and floors only)."""

    def __init__(self, kind, mode=None, workers=None):
        self.kind, self.mode, self.workers = kind, mode, workers

    @classmethod
    def parse(cls, text, default_floor_workers=2):
        """``threaded:stateful``, ``gunicorn:stateless:4``, ``floor-read:2`` -> Configuration."""
        parts = text.strip().split(':')
        kind = parts[0]
        if kind in FLOORS:
            workers = int(parts[1]) if len(parts) > 1 else default_floor_workers
            return cls(kind, None, workers)
        if kind not in KINDS or len(parts) < 2 or parts[1] not in MODES:
            raise ValueError(
                'configuration %r: expected KIND:MODE[:WORKERS] with KIND in %s and '
                'MODE in %s, or %s[:WORKERS]' % (text, '/'.join(KINDS), '/'.join(MODES), '/'.join(FLOORS))
            )
        workers = None
        if kind == 'gunicorn':
            workers = int(parts[2]) if len(parts) > 2 else 1
            if workers < 1:
                raise ValueError('configuration %r: workers must be at least 1' % text)
        elif len(parts) > 2:
            raise ValueError('configuration %r: %s is one process, it takes no worker count' % (text, kind))
        return cls(kind, parts[1], workers)

    @property
    def is_floor(self):
        return self.kind in FLOORS

    @property
    def name(self):
        if self.is_floor:
            return '%s w%d' % (self.kind, self.workers)
        if self.kind == 'gunicorn':
            return 'gunicorn w%d %s' % (self.workers, self.mode)
        return '%s %s' % (self.kind, self.mode)

    @property
    def processes(self):
        """How many processes serve requests (the memory chart's unit)."""
        return self.workers or 1


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_executable():
    """The command that starts ``openerp-server``: the checkout's script, else the installed one."""
    script = os.path.join(ROOT, 'openerp-server')
    if os.path.exists(script):
        return [sys.executable, script]
    installed = shutil.which('openerp-server')
    if installed:
        return [installed]
    return [sys.executable, '-c', 'import sys; from openerp_lite.cli import main; sys.exit(main())']


def db_args(pg):
    """``--db_host``/``--db_port``/``-r``/``-w`` for the PostgreSQL ``pg`` (a params dict)."""
    args = []
    for key, flag in (('host', '--db_host'), ('port', '--db_port'), ('user', '-r'), ('password', '-w')):
        if pg.get(key):
            args += [flag, str(pg[key])]
    return args


def command(config, port, pg, conf_path, dbname, log_level):
    """The exact command line of ``config`` (shown in the report)."""
    if config.is_floor:
        cmd = [
            sys.executable,
            '-m',
            'openerp_lite.bench.floor',
            config.kind.split('-')[1],
            '--workers',
            str(config.workers),
            '--http-port',
            str(port),
            '-d',
            dbname,
        ]
        return cmd + db_args(pg)
    cmd = server_executable() + ['-c', conf_path, '--server', config.kind, '--mode', config.mode]
    if config.workers:
        # no recycling during the run: the memory workload watches one worker's growth
        cmd += ['--workers', str(config.workers), '--limit-request', '0']
    cmd += [
        '--http-interface',
        HOST,
        '--http-port',
        str(port),
        '--max-cron-threads',
        '0',
        '--log-level',
        log_level,
    ]
    if dbname:
        cmd += ['-d', dbname]
    return cmd + db_args(pg)


class RunningServer:
    """A started configuration: ``url``, ``pid``, ``cmdline``; :meth:`stop` ends it by pid."""

    def __init__(self, config, proc, port, cmdline, log_path, workdir):
        self.config, self.proc, self.port = config, proc, port
        self.pid = proc.pid
        self.url = 'http://%s:%d' % (HOST, port)
        self.cmdline = cmdline
        self.log_path = log_path
        self._workdir = workdir
        self._log_handle = None

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, size=4000):
        try:
            with open(self.log_path, 'rb') as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - size))
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def serving_processes(self):
        """The processes that answer requests: gunicorn's workers, else the server itself."""
        try:
            main = psutil.Process(self.pid)
            children = main.children(recursive=False)
        except psutil.NoSuchProcess:
            return []
        if self.config.kind == 'gunicorn' or self.config.is_floor:
            return children
        return [main]

    def rss(self):
        """``{pid: RSS bytes}`` of the serving processes."""
        sizes = {}
        for proc in self.serving_processes():
            try:
                sizes[proc.pid] = proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return sizes

    def cpu_seconds(self):
        """CPU time used so far by the server and all its processes."""
        total = 0.0
        try:
            main = psutil.Process(self.pid)
            for proc in [main] + main.children(recursive=True):
                try:
                    times = proc.cpu_times()
                    total += times.user + times.system
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            pass
        return total

    def stop(self, timeout=30):
        """SIGTERM, wait, then SIGKILL, all by the pid this object started."""
        terminate(self.proc, timeout)
        if self._log_handle:
            self._log_handle.close()
        shutil.rmtree(self._workdir, ignore_errors=True)
        return self.proc.returncode


def start(config, pg, master_password, dbname, log_dir, log_level='warn', timeout=120):
    """Start ``config`` on a free port; returns a :class:`RunningServer` once ``/web/health``
    (or the floor's root) answers. Raises RuntimeError with the log's end when it does not."""
    workdir = tempfile.mkdtemp(prefix='oel-bench-')
    conf_path = os.path.join(workdir, 'server.conf')
    with open(conf_path, 'w', encoding='utf-8') as handle:
        handle.write('[options]\nadmin_passwd = %s\n' % master_password)
    port = free_port()
    cmdline = command(config, port, pg, conf_path, dbname, log_level)
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, '%s.log' % config.name.replace(' ', '_'))
    log_handle = open(log_path, 'ab')
    env = {k: v for k, v in os.environ.items() if not k.startswith('OPENERP_LITE_') and k != 'OPENERP_SERVER'}
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.Popen(cmdline, cwd=ROOT, env=env, stdout=log_handle, stderr=subprocess.STDOUT)
    server = RunningServer(config, proc, port, cmdline, log_path, workdir)
    server._log_handle = log_handle
    probe = server.url + ('/' if config.is_floor else '/web/health')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(
                '%s exited with status %s:\n%s' % (config.name, proc.returncode, server.log_tail())
            )
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError('%s did not answer within %ss:\n%s' % (config.name, timeout, server.log_tail()))


def shown(cmdline):
    """A command line as a shell would take it."""
    return ' '.join(shlex.quote(part) for part in cmdline)
