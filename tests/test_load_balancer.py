"""The README's nginx example, run: two servers in ``--proxy-mode`` behind nginx on loopback
ports, one PostgreSQL. Calls spread over both servers; a change made through the balancer is seen
on every later call whichever server answers; a web session opened on one server is served by the
other (no sticky sessions); a client cannot forge its address through nginx.

Needs the ``nginx`` binary (skipped without it). nginx runs in the foreground under its own
prefix directory and is stopped by pid."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from tests.support import pg as pgsupport
from tests.support.server import ROOT, free_port, start_server

pytestmark = pytest.mark.slow

EXAMPLE = os.path.join(ROOT, 'examples', 'load_balancer', 'nginx-openerp-lite.conf')
NGINX = shutil.which('nginx', path=os.environ.get('PATH', '') + os.pathsep + '/usr/sbin:/sbin')
ADMIN = 'admin'

MAIN_CONF = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
{temp_paths}
    include {dir}/site.conf;
}}
"""


def _temp_paths(directory):
    """Temporary paths of the modules this nginx has, inside ``directory`` (the packaged ones
    under /var/lib/nginx are for the system's nginx)."""
    built = subprocess.run([NGINX, '-V'], capture_output=True, text=True, check=True).stderr
    lines = ['    client_body_temp_path %s/body;' % directory, '    proxy_temp_path %s/proxy;' % directory]
    for module in ('fastcgi', 'uwsgi', 'scgi'):
        if '--without-http_%s_module' % module not in built:
            lines.append('    %s_temp_path %s/%s;' % (module, directory, module))
    return '\n'.join(lines)


class Nginx:
    def __init__(self, first_port, second_port):
        self.dir = tempfile.mkdtemp(prefix='oel-nginx-')
        os.chmod(self.dir, 0o755)  # its worker may run as another user when the test is root
        self.port = free_port()
        with open(EXAMPLE, encoding='utf-8') as handle:
            site = handle.read()
        site = site.replace('listen 80;', 'listen 127.0.0.1:%d;' % self.port)
        site = site.replace('127.0.0.1:8069', '127.0.0.1:%d' % first_port)
        site = site.replace('127.0.0.1:8070', '127.0.0.1:%d' % second_port)
        with open(os.path.join(self.dir, 'site.conf'), 'w', encoding='utf-8') as handle:
            handle.write(site)
        self.conf = os.path.join(self.dir, 'nginx.conf')
        with open(self.conf, 'w', encoding='utf-8') as handle:
            handle.write(MAIN_CONF.format(dir=self.dir, temp_paths=_temp_paths(self.dir)))
        self.url = 'http://127.0.0.1:%d' % self.port
        self.proc = None

    def start(self, timeout=15):
        check = subprocess.run([NGINX, '-t', '-p', self.dir, '-c', self.conf], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(
            [NGINX, '-p', self.dir, '-c', self.conf, '-g', 'daemon off;'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.error_log()
            try:
                with urllib.request.urlopen(self.url + '/web/health', timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError('nginx did not answer:\n' + self.error_log())

    def error_log(self):
        path = os.path.join(self.dir, 'error.log')
        if not os.path.exists(path):
            return ''
        with open(path, encoding='utf-8') as handle:
            return handle.read()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGQUIT)  # graceful: its workers go with it
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope='module')
def cluster(pg):
    if NGINX is None:
        pytest.skip('nginx is not installed')
    servers, balancer, name = [], None, pgsupport.new_db_name('oelt_lb')
    try:
        servers = [start_server(pg, ['--proxy-mode']) for _ in range(2)]
        balancer = Nginx(servers[0].port, servers[1].port)
        balancer.start()
        yield balancer, servers, name
    finally:
        if balancer is not None:
            balancer.stop()
        for server in servers:
            server.stop()
        pgsupport.drop_database(pg, name)


def _post(url, payload, headers=None):
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), dict({'Content-Type': 'application/json'}, **(headers or {}))
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read()), response.headers


def _call(balancer, service, method, *args, headers=None):
    reply, _headers = _post(
        balancer.url + '/jsonrpc',
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'service': service, 'method': method, 'args': list(args)},
        },
        headers,
    )
    if 'error' in reply:
        raise AssertionError(reply['error'])
    return reply['result']


def test_the_example_config_spreads_calls_and_every_server_sees_every_change(cluster):
    balancer, servers, db = cluster
    answered = set()
    for _ in range(8):
        with urllib.request.urlopen(balancer.url + '/web/health', timeout=10) as response:
            answered.add(json.loads(response.read())['pid'])
    assert answered == {server.pid for server in servers}

    _call(balancer, 'db', 'create_database', servers[0].admin_passwd, db, False, 'en_US', ADMIN)
    uid = _call(balancer, 'common', 'login', db, 'admin', ADMIN)
    assert uid
    for value in ('first', 'second', 'third'):
        _call(
            balancer,
            'object',
            'execute_kw',
            db,
            uid,
            ADMIN,
            'ir.config_parameter',
            'set_param',
            ['lb.key', value],
        )
        # whichever server answers each later call, it reads the new value
        for _ in range(4):
            assert (
                _call(
                    balancer,
                    'object',
                    'execute_kw',
                    db,
                    uid,
                    ADMIN,
                    'ir.config_parameter',
                    'get_param',
                    ['lb.key'],
                )
                == value
            )


def test_a_web_session_needs_no_sticky_routing(cluster):
    balancer, servers, db = cluster
    reply, headers = _post(
        balancer.url + '/web/session/authenticate',
        {'jsonrpc': '2.0', 'params': {'db': db, 'login': 'admin', 'password': ADMIN}},
    )
    assert reply['result']['uid']
    cookie = headers['Set-Cookie'].split(';')[0]
    before = [server.log().count('get_session_info') for server in servers]
    for _ in range(6):
        info, _headers = _post(
            balancer.url + '/web/session/get_session_info',
            {'jsonrpc': '2.0', 'params': {}},
            {'Cookie': cookie},
        )
        assert info['result']['uid'] == reply['result']['uid'], info
    after = [server.log().count('get_session_info') for server in servers]
    assert all(a > b for a, b in zip(after, before)), (before, after)


def test_a_client_cannot_forge_its_address_through_nginx(cluster):
    balancer, servers, _db = cluster
    forged = {'X-Forwarded-For': '198.51.100.66'}
    for _ in range(2):  # once on each server
        reply, _headers = _post(
            balancer.url + '/jsonrpc',
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {'service': 'db', 'method': 'drop', 'args': ['wrong', 'nothing']},
            },
            forged,
        )
        assert 'error' in reply
    for server in servers:
        refused = re.findall(r'wrong master password from (\S+)', server.log())
        assert refused and set(refused) == {'127.0.0.1'}, server.log()
