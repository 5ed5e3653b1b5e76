"""Start ``./openerp-server`` in a subprocess against the test PostgreSQL, for end-to-end tests.

The server listens on a free 127.0.0.1 port; :func:`start_server` waits for ``/web/health`` and
returns a :class:`RunningServer`, which stops it by pid (SIGTERM, then SIGKILL).
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import xmlrpc.client

from openerp_lite.tools.process import terminate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXECUTABLE = os.path.join(ROOT, 'openerp-server')
#: prefix of the master password of a test server; each server gets its own (a random suffix),
#: so the failures one test provokes on purpose never slow down another test's master password
ADMIN_PASSWD = 'admin-test-pw'


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class JsonRpcError(Exception):
    """A JSON-RPC reply carrying ``error``; ``.error`` is that object."""

    def __init__(self, error):
        super().__init__(error.get('message'), error)
        self.error = error
        self.code = error.get('code')


class RunningServer:
    """A started server: its URL, master password, config file, and helpers to talk to it."""

    def __init__(self, proc, port, admin_passwd, config_path, log_path, workdir):
        self.proc = proc
        self.pid = proc.pid
        self.port = port
        self.url = 'http://127.0.0.1:%d' % port
        self.admin_passwd = admin_passwd
        self.config_path = config_path
        self.log_path = log_path
        self.workdir = workdir

    # -- clients -------------------------------------------------------------------------------
    def xmlrpc(self, service, route='2'):
        """A ServerProxy on ``/xmlrpc/2/<service>`` (route '2'), ``/xmlrpc/<service>`` (route '')."""
        path = '/xmlrpc/2/%s' % service if route == '2' else '/xmlrpc/%s' % service
        return xmlrpc.client.ServerProxy(self.url + path, allow_none=True)

    def jsonrpc_raw(self, payload):
        """The decoded reply to ``payload`` (a dict, or raw bytes sent as is)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, headers, data = self.request('POST', '/jsonrpc', body, {'Content-Type': 'application/json'})
        assert status == 200, (status, data)
        assert headers.get('Content-Type', '').startswith('application/json'), headers
        return json.loads(data)

    def jsonrpc(self, service, method, *args, request_id=1):
        reply = self.jsonrpc_raw(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': request_id,
                'params': {'service': service, 'method': method, 'args': list(args)},
            }
        )
        assert reply['id'] == request_id
        if 'error' in reply:
            raise JsonRpcError(reply['error'])
        return reply['result']

    def request(self, method, path, body=None, headers=None, timeout=30):
        """``(status, headers dict, body bytes)`` of one plain HTTP request."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def log(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as handle:
            return handle.read()

    # -- lifecycle -----------------------------------------------------------------------------
    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, wait, then SIGKILL; removes the config and log files; returns the exit status
        (again on a second call)."""
        if self._log_handle.closed:
            return self.proc.returncode
        terminate(self.proc, timeout)
        self._log_handle.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.proc.returncode


def start_server(pg, args=(), admin_passwd=None, config_lines=(), timeout=30):
    """Start a server on a free port against ``pg``; extra CLI ``args``; config-file ``config_lines``.

    ``admin_passwd``: the master password in the config file (None: a new one for this server;
    False: none at all, so the server runs with the default).
    """
    if admin_passwd is None:
        admin_passwd = '%s-%s' % (ADMIN_PASSWD, uuid.uuid4().hex[:8])
    workdir = tempfile.mkdtemp(prefix='oel-test-server-')
    config_path = os.path.join(workdir, 'server.conf')
    with open(config_path, 'w', encoding='utf-8') as handle:
        handle.write('[options]\n')
        if admin_passwd is False:
            admin_passwd = 'admin'
        else:
            handle.write('admin_passwd = %s\n' % admin_passwd)
        for line in config_lines:
            handle.write(line + '\n')
    port = free_port()
    cmd = [
        sys.executable,
        EXECUTABLE,
        '-c',
        config_path,
        '--http-interface',
        '127.0.0.1',
        '--http-port',
        str(port),
        '--db_host',
        str(pg['host']),
        # no cron unless a test asks for it (a later --max-cron-threads wins): a server
        # without -d would otherwise poll every database of the shared test cluster
        '--max-cron-threads',
        '0',
    ]
    if pg.get('port'):
        cmd += ['--db_port', str(pg['port'])]
    if pg.get('user'):
        cmd += ['-r', pg['user']]
    if pg.get('password'):
        cmd += ['-w', pg['password']]
    cmd += list(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OPENERP_LITE_') and k != 'OPENERP_SERVER'}
    log_path = os.path.join(workdir, 'server.log')
    log_handle = open(log_path, 'wb')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_handle, stderr=subprocess.STDOUT)
    server = RunningServer(proc, port, admin_passwd, config_path, log_path, workdir)
    server._log_handle = log_handle
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = server.log()
            server.stop()
            raise RuntimeError('openerp-server exited with %s:\n%s' % (proc.returncode, log))
        try:
            with urllib.request.urlopen(server.url + '/web/health', timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    log = server.log()
    server.stop()
    raise RuntimeError('openerp-server did not answer /web/health within %ss:\n%s' % (timeout, log))


def prepare_databases(pg, names, modules=(), addons_path=None, demo=False, timeout=240):
    """Create ``names`` with base and ``modules`` (with demo data or not) through
    ``openerp-server -d ... -i ... --stop-after-init``, the way an operator would."""
    cmd = [
        sys.executable,
        EXECUTABLE,
        '--db_host',
        str(pg['host']),
        '-d',
        ','.join(names),
        '--stop-after-init',
        '--max-cron-threads',
        '0',
        '-i',
        ','.join(modules or ['base']),
    ]
    if not demo:
        cmd.append('--without-demo')
    if addons_path:
        cmd += ['--addons-path', addons_path]
    if pg.get('port'):
        cmd += ['--db_port', str(pg['port'])]
    if pg.get('user'):
        cmd += ['-r', pg['user']]
    env = {k: v for k, v in os.environ.items() if not k.startswith('OPENERP_LITE_') and k != 'OPENERP_SERVER'}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError('preparing %s failed:\n%s%s' % (names, proc.stdout, proc.stderr))
