"""Starting a server subprocess on a free loopback port and stopping it by pid: the one launcher
used by the bench and by the project's end-to-end tests.

What every such launch needs and must not get wrong: a free 127.0.0.1 port, the PostgreSQL
arguments of a connection-parameters dict, an environment cleared of the ``OPENERP_LITE_*``
variables of the caller (they would change the server under test without showing in its command
line), a wait until the server answers, and a stop by the pid this process started.
"""

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ..tools.process import terminate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = '127.0.0.1'
#: the checkout's start script (absent when the package is installed without the checkout)
SCRIPT = os.path.join(ROOT, 'openerp-server')


def free_port(host=HOST):
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_executable():
    """The command that starts ``openerp-server``: the checkout's script under this Python, else
    the installed entry point, else the package's ``main``."""
    if os.path.exists(SCRIPT):
        return [sys.executable, SCRIPT]
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


def drop_database(pg, name):
    """Drop database ``name`` of the PostgreSQL at ``pg`` (``{'host', 'port', 'user', ...}``),
    ending the sessions still on it (a stopped server's, a test's)."""
    import psycopg2

    conn = psycopg2.connect(dbname='postgres', connect_timeout=10, **pg)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = %s AND pid <> pg_backend_pid()',
                (name,),
            )
            cr.execute('DROP DATABASE IF EXISTS "%s"' % name.replace('"', ''))
    finally:
        conn.close()


def clean_environ(base=None):
    """``base`` (default: this process's environment) without the variables that configure an
    openerp-lite server, with the checkout importable."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith('OPENERP_LITE_') and k != 'OPENERP_SERVER'}
    env['PYTHONPATH'] = ROOT + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    return env


def shown(cmdline):
    """A command line as a shell would take it."""
    return ' '.join(shlex.quote(part) for part in cmdline)


class Launched:
    """A started server subprocess: ``pid``, ``port``, ``url``, ``cmdline``, ``log_path``."""

    def __init__(self, proc, port, cmdline=None, log_path=None, log_handle=None):
        self.proc = proc
        self.pid = proc.pid
        self.port = port
        self.url = 'http://%s:%d' % (HOST, port)
        self.cmdline = cmdline
        self.log_path = log_path
        self._log_handle = log_handle
        self._stopped = False

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        """The whole server log so far ('' when there is none)."""
        if not self.log_path:
            return ''
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except OSError:
            return ''

    def log_tail(self, size=4000):
        return self.log()[-size:]

    def stop(self, timeout=20):
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL, by the pid this process
        started; returns the exit status (again on a second call)."""
        if not self._stopped:
            self._stopped = True
            terminate(self.proc, timeout)
            if self._log_handle:
                self._log_handle.close()
            self.cleanup()
        return self.proc.returncode

    def cleanup(self):
        """What a subclass removes once the process is gone (nothing here)."""


def launch(
    cmdline, port, log_path, probe='/web/health', timeout=60, name='openerp-server', factory=Launched, **extra
):
    """Start ``cmdline`` (its output into ``log_path``, truncated first) with a clean environment
    and wait until ``probe`` answers 200 on ``port``; returns ``factory(proc, port, cmdline,
    log_path, log_handle, **extra)``. Raises RuntimeError with the log's end when the process
    exits or does not answer within ``timeout`` seconds (it is stopped first)."""
    log_handle = open(log_path, 'wb')
    proc = subprocess.Popen(
        cmdline, cwd=ROOT, env=clean_environ(), stdout=log_handle, stderr=subprocess.STDOUT
    )
    server = factory(proc, port, cmdline, log_path, log_handle, **extra)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = server.log_tail()
            server.stop()
            raise RuntimeError('%s exited with status %s:\n%s' % (name, proc.returncode, log))
        try:
            with urllib.request.urlopen(server.url + probe, timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    log = server.log_tail()
    server.stop()
    raise RuntimeError('%s did not answer %s within %ss:\n%s' % (name, probe, timeout, log))
