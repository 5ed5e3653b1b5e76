"""Server subprocesses under test: start on a free loopback port, wait until they answer, measure
their processes, stop them by pid.

A configuration is written ``kind:mode[:workers]`` on the command line (``gunicorn:stateless:2``);
the two floors are ``floor-hello`` and ``floor-read`` (see :mod:`.floor`).
"""

import os
import sys

import psutil

from . import launcher
from .launcher import HOST, db_args, shown  # noqa: F401  (part of this module's face)

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


def command(config, port, pg, conf_path, dbname, log_level, extra=()):
    """The exact command line of ``config`` (shown in the report), ending with the server options
    ``extra`` (not for a floor)."""
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
    cmd = launcher.server_executable() + ['-c', conf_path, '--server', config.kind, '--mode', config.mode]
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
    return cmd + db_args(pg) + list(extra)


class RunningServer(launcher.Launched):
    """A started configuration: ``url``, ``pid``, ``cmdline``, its kept ``conf_path`` and
    ``log_path``; :meth:`stop` ends it by pid."""

    def __init__(self, proc, port, cmdline, log_path, log_handle, config=None, conf_path=None):
        super().__init__(proc, port, cmdline, log_path, log_handle)
        self.config = config
        self.conf_path = conf_path

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


def slug(config):
    """The file-name form of a configuration's name (``gunicorn_w2_stateless``)."""
    return config.name.replace(' ', '_')


def write_conf(folder, name, master_password):
    """The configuration file of one server, kept in ``folder`` so its command line can be run
    again after the bench (it holds the run's master password, nothing else)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.abspath(os.path.join(folder, '%s.conf' % name))
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('[options]\nadmin_passwd = %s\n' % master_password)
    os.chmod(path, 0o600)
    return path


def start(config, pg, master_password, dbname, output, log_level='warn', timeout=120, name=None, extra=()):
    """Start ``config`` (with the server options ``extra``) on a free port with its config file in
    ``output/configs`` and its log in ``output/logs`` (one file per server, named after it, or
    after ``name``); returns a
    :class:`RunningServer` once ``/web/health`` (or the floor's root) answers. Raises RuntimeError
    with the log's end when it does not."""
    name = name or slug(config)
    conf_path = None
    if not config.is_floor:  # a floor takes no config file: everything is on its command line
        conf_path = write_conf(os.path.join(output, 'configs'), name, master_password)
    port = launcher.free_port()
    cmdline = command(config, port, pg, conf_path, dbname, log_level, extra)
    log_dir = os.path.join(output, 'logs')
    os.makedirs(log_dir, exist_ok=True)
    return launcher.launch(
        cmdline,
        port,
        os.path.join(log_dir, '%s.log' % name),
        probe='/' if config.is_floor else '/web/health',
        timeout=timeout,
        name=config.name,
        factory=RunningServer,
        config=config,
        conf_path=conf_path,
    )
