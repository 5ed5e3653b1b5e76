"""``/web/status``: the operator's page, seen in a real headless Chromium, and who may see it."""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

from tests.support import pg as pgsupport
from tests.support.server import free_port, prepare_databases, start_server


def _chromium():
    """The Chromium binary; installed from Debian when missing and this is a root shell with
    apt-get (as on CI), else the test is skipped."""
    found = shutil.which('chromium') or shutil.which('chromium-browser')
    if found:
        return found
    if os.geteuid() == 0 and shutil.which('apt-get'):
        subprocess.run(
            ['apt-get', 'install', '-y', '-qq', 'chromium'],
            env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'),
            capture_output=True,
            timeout=600,
        )
        found = shutil.which('chromium')
    if not found:
        pytest.skip('chromium is not installed (apt-get install chromium)')
    return found


class Browser:
    """A headless Chromium showing one page, observed through its DevTools HTTP endpoint (the
    title of the page as it is now, after the page refreshed itself) and ``--dump-dom``."""

    def __init__(self, url):
        self.binary = _chromium()
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix='oel-chromium-')
        self.proc = subprocess.Popen(
            [
                self.binary,
                '--headless',
                '--no-sandbox',
                '--disable-gpu',
                '--no-first-run',
                '--remote-debugging-address=127.0.0.1',
                '--remote-debugging-port=%d' % self.port,
                '--user-data-dir=%s' % self.profile,
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def title(self):
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/json/list' % self.port, timeout=5) as reply:
                pages = [t for t in json.load(reply) if t.get('type') == 'page']
        except OSError:
            return None
        return pages[0]['title'] if pages else None

    def wait_for_title(self, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        title = None
        while time.monotonic() < deadline:
            title = self.title()
            if title and re.search(pattern, title):
                return title
            time.sleep(0.3)
        raise AssertionError('the page title never matched %r (last: %r)' % (pattern, title))

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the session this test started
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def dump_dom(url):
    done = subprocess.run(
        [_chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def health(server):
    with urllib.request.urlopen(server.url + '/web/health', timeout=10) as reply:
        return json.load(reply)


def rows_of(dom, kind):
    return sorted(int(pid) for pid in re.findall(r'<tr><td>(\d+)</td><td>%s</td>' % kind, dom))


@pytest.fixture(scope='module')
def status_db(pg):
    name = pgsupport.new_db_name('oelstatus')
    try:
        prepare_databases(pg, [name], ['base'])
        yield name
    finally:
        pgsupport.drop_database(pg, name)


def test_the_page_lists_every_worker_and_follows_a_ttin_in_chromium(pg, status_db):
    server = start_server(
        pg,
        ['-d', status_db, '--db-filter', '^%s$' % status_db, '--workers', '3', '--max-cron-threads', '1'],
    )
    browser = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            len(health(server)['workers']) == 3 and health(server)['cron']
        ):
            time.sleep(0.2)
        report = health(server)
        dom = dump_dom(server.url + '/web/status')
        assert rows_of(dom, 'worker') == sorted(e['pid'] for e in report['workers'])
        assert rows_of(dom, 'cron') == [e['pid'] for e in report['cron']]
        assert 'Vacuum transient records' in dom and status_db in dom
        assert 'Registries held by this process' in dom and server.admin_passwd not in dom

        browser = Browser(server.url + '/web/status?refresh=1')
        browser.wait_for_title(r'\b3 serving process')
        os.kill(server.pid, signal.SIGTTIN)
        browser.wait_for_title(r'\b4 serving process')  # the page refreshed itself
        dom = dump_dom(server.url + '/web/status')
        assert rows_of(dom, 'worker') == sorted(e['pid'] for e in health(server)['workers'])
        assert len(rows_of(dom, 'worker')) == 4
    finally:
        if browser is not None:
            browser.close()
        server.stop()


@pytest.fixture(scope='module')
def servers(start_server_module):
    """A threaded server without and with ``--proxy-mode``, by that flag."""
    return {False: start_server_module(), True: start_server_module(['--proxy-mode'])}


def _get(server, headers=None, method='GET'):
    return server.request(method, '/web/status', headers=headers or {})


def _basic(password):
    return 'Basic ' + base64.b64encode(('operator:%s' % password).encode()).decode()


@pytest.mark.parametrize(
    'headers',
    [
        {'X-Forwarded-For': '203.0.113.9'},
        {'X-Forwarded-For': '127.0.0.1, 203.0.113.9'},
        {'X-Forwarded-For': '203.0.113.9, 127.0.0.1'},
        {'X-Real-IP': '203.0.113.9'},
        {'Forwarded': 'for="[2001:db8::1]:4711";proto=https'},
        {'Forwarded': 'for=127.0.0.1, for=198.51.100.7'},
        {'Host': 'rebound.example:8069'},
        {'X-Forwarded-Host': 'rebound.example'},
    ],
    ids=[
        'xff',
        'xff-proxied',
        'xff-forged-last',
        'x-real-ip',
        'forwarded-v6',
        'forwarded-two',
        'host',
        'xfh',
    ],
)
@pytest.mark.parametrize('proxy_mode', [False, True], ids=['direct', 'proxy-mode'])
def test_a_client_named_remote_by_any_header_needs_the_master_password(servers, headers, proxy_mode):
    server = servers[proxy_mode]
    status, reply_headers, body = _get(server, headers)
    assert status == 401 and reply_headers['Content-Type'].startswith('text/plain')
    assert 'Basic' in reply_headers['WWW-Authenticate'] and b'master password' in body
    status, _headers, body = _get(server, dict(headers, Authorization=_basic('not it')))
    assert status == 401
    status, reply_headers, body = _get(server, dict(headers, Authorization=_basic(server.admin_passwd)))
    assert status == 200 and reply_headers['Content-Type'].startswith('text/html')
    assert server.admin_passwd.encode() not in body


def test_a_local_client_sees_the_page_without_a_password(servers):
    for server in servers.values():
        status, headers, body = _get(server)
        assert status == 200 and b'<title>openerp-lite status' in body
        assert 'no-store' in headers['Cache-Control'] and headers['X-Frame-Options'] == 'DENY'
        assert b'http-equiv="refresh"' in body
        status, headers, body = _get(server, method='HEAD')
        assert status == 200 and body == b''
        # a one-process server shows itself
        assert re.search(rb'<tr><td>%d</td><td>threaded</td>' % server.pid, _get(server)[2])


def test_a_malformed_authorization_header_is_a_plain_refusal(servers):
    server = servers[False]
    for value in ('Basic !!!', 'Basic ' + base64.b64encode(b'\xff\xfe').decode(), 'Bearer x', 'Basic'):
        status, _headers, _body = _get(server, {'X-Forwarded-For': '203.0.113.9', 'Authorization': value})
        assert status == 401
