"""Start ``./openerp-server`` in a subprocess against the test PostgreSQL, for end-to-end tests.

The server listens on a free 127.0.0.1 port; :func:`start_server` waits for ``/web/health`` and
returns a :class:`RunningServer`, which stops it by pid (SIGTERM, then SIGKILL).
"""

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import uuid
import xmlrpc.client

from openerp_lite.bench import launcher
from openerp_lite.bench.launcher import ROOT, free_port  # noqa: F401  (re-exported for the tests)

EXECUTABLE = launcher.SCRIPT
#: prefix of the master password of a test server; each server gets its own (a random suffix),
#: so the failures one test provokes on purpose never slow down another test's master password
ADMIN_PASSWD = 'admin-test-pw'


class JsonRpcError(Exception):
    """A JSON-RPC reply carrying ``error``; ``.error`` is that object."""

    def __init__(self, error):
        super().__init__(error.get('message'), error)
        self.error = error
        self.code = error.get('code')


class RunningServer(launcher.Launched):
    """A started server: its URL, master password, config file, and helpers to talk to it."""

    def __init__(
        self, proc, port, admin_passwd, config_path, log_path, workdir, log_handle=None, cmdline=None
    ):
        super().__init__(proc, port, cmdline, log_path, log_handle)
        self.admin_passwd = admin_passwd
        self.config_path = config_path
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

    def cleanup(self):
        """The config and log files go with the server."""
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


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
    cmd = launcher.server_executable() + [
        '-c',
        config_path,
        '--http-interface',
        launcher.HOST,
        '--http-port',
        str(port),
        # no cron unless a test asks for it (a later --max-cron-threads wins): a server
        # without -d would otherwise poll every database of the shared test cluster
        '--max-cron-threads',
        '0',
    ]
    cmd += launcher.db_args(pg) + list(args)

    def factory(proc, port, cmdline, log_path, log_handle):
        return RunningServer(proc, port, admin_passwd, config_path, log_path, workdir, log_handle, cmdline)

    try:
        return launcher.launch(
            cmd, port, os.path.join(workdir, 'server.log'), timeout=timeout, factory=factory
        )
    except RuntimeError:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def prepare_databases(pg, names, modules=(), addons_path=None, demo=False, timeout=240):
    """Create ``names`` with base and ``modules`` (with demo data or not) through
    ``openerp-server -d ... -i ... --stop-after-init``, the way an operator would."""
    cmd = launcher.server_executable() + [
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
    cmd += launcher.db_args(pg)
    env = launcher.clean_environ()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError('preparing %s failed:\n%s%s' % (names, proc.stdout, proc.stderr))
