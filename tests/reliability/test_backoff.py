"""Password guessing, throttled on every route that checks a password: ``common.login``,
``execute_kw`` (and ``execute``), the web session login and the master password; keyed by login
(or the master password) and source address; race-free under a burst of parallel attempts (at
most the limit is checked); shared by every worker of a gunicorn server through PostgreSQL.

Each test guesses for a user of its own (or from a loopback address of its own), so the blocks it
provokes slow down nobody else.
"""

import json
import re
import threading
import uuid
import xmlrpc.client

import pytest

from openerp_lite.service import login_guard
from tests.support import rpc
from tests.support.orm import TEST_ADDONS, RpcClient, make_user

from .support import CLEAN, OK, children, sql, wait_for

BURST = 40
FREE = login_guard.FREE_FAILURES


@pytest.fixture(scope='module')
def prefork(rel_db, start_server_module):
    """A gunicorn server with three workers serving the reliability database."""
    running = start_server_module(
        ['--addons-path', TEST_ADDONS, '--server', 'gunicorn', '--workers', '3', '--max-cron-threads', '0']
    )
    assert wait_for(lambda: len(children(running.pid)) >= 3, timeout=30)
    return running


@pytest.fixture(params=['threaded', 'gunicorn'])
def server(request, rel_server, prefork):
    return rel_server if request.param == 'threaded' else prefork


def fresh_user(rel_db, rel_server):
    """``(uid, login, password)`` of a new internal user, for one test's guesses."""
    login = 'guess_%s' % uuid.uuid4().hex[:8]
    password = 'right-%s' % uuid.uuid4().hex[:8]
    admin = RpcClient(rel_server, 'xmlrpc2', rel_db['name'], 1, 'admin')
    return make_user(admin, login, ['base.group_user'], password), login, password


def failures(pg, db, key, source='127.0.0.1', table='auth_failure'):
    """The failures counted for ``key`` from ``source`` (the passwords actually checked)."""
    rows = sql(pg, db, 'SELECT failures FROM %s WHERE key = %%s AND source = %%s' % table, (key, source))
    return rows[0][0] if rows else 0


def burst(call, count=BURST):
    """``call(index)`` from ``count`` threads released together; the results (or errors)."""
    results = [None] * count
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(30)
        try:
            results[index] = call(index)
        except Exception as error:  # noqa: BLE001 - the test looks at each outcome
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def denied(value):
    return isinstance(value, xmlrpc.client.Fault) and value.faultCode == 3


def test_a_burst_of_wrong_logins_gets_exactly_the_limit_of_password_checks(
    pg, rel_db, rel_server, server, scenario
):
    row = scenario(
        'back-off: %d parallel wrong logins, %s' % (BURST, 'threaded' if server is rel_server else 'gunicorn')
    )
    db = rel_db['name']
    _uid, login, password = fresh_user(rel_db, rel_server)
    offset = len(server.log())
    results = burst(lambda _i: rpc.proxy(server, 'common').login(db, login, 'wrong'))
    for result in results:
        row.count(CLEAN if result is False else 'unexpected', expected=(CLEAN,))
    checked = failures(pg, db, login)
    log = server.log()[offset:]
    failed = len(re.findall(r"login failed for '%s'" % login, log))
    row.note(
        '%d passwords checked of %d attempts (limit %d); %d logged as failed' % (checked, BURST, FREE, failed)
    )
    assert all(result is False for result in results)
    assert checked == FREE and failed == FREE
    # the right password is refused from there too while the block lasts...
    assert rpc.proxy(server, 'common').login(db, login, password) is False
    # ...but not from another address: a stranger cannot lock the owner out
    assert rpc.proxy(server, 'common', source='127.0.0.2').login(db, login, password) == _uid


def test_execute_kw_guesses_count_with_logins_and_a_locked_user_is_refused_the_right_password(
    pg, rel_db, rel_server, server, scenario
):
    row = scenario('back-off: execute_kw guesses, %s' % ('threaded' if server is rel_server else 'gunicorn'))
    db = rel_db['name']
    uid, login, password = fresh_user(rel_db, rel_server)
    # the owner works from 127.0.0.1 (every worker may have its password cached)...
    for _ in range(6):
        assert rpc.proxy(server, 'object').execute_kw(db, uid, password, 'res.users', 'context_get', [])
    # ...a guesser at the same address sends a burst of wrong passwords through execute_kw
    results = burst(
        lambda _i: rpc.proxy(server, 'object').execute_kw(db, uid, 'guess', 'res.users', 'context_get', [])
    )
    for result in results:
        row.count(CLEAN if denied(result) else 'unexpected', expected=(CLEAN,))
    checked = failures(pg, db, login)
    assert all(denied(result) for result in results)
    assert checked == FREE, checked
    # the right password is now refused from that address, through execute_kw and login alike,
    # even by a worker that had it cached (a wrong guess there dropped the proof)
    after = burst(
        lambda _i: rpc.proxy(server, 'object').execute_kw(db, uid, password, 'res.users', 'context_get', []),
        count=8,
    )
    row.count(CLEAN if all(denied(r) for r in after) else 'unexpected', expected=(CLEAN,))
    assert all(denied(r) for r in after), after
    assert rpc.proxy(server, 'common').login(db, login, password) is False
    # from another address the owner is not slowed down
    other = rpc.proxy(server, 'object', source='127.0.0.3')
    assert other.execute_kw(db, uid, password, 'res.users', 'context_get', [])['uid'] == uid
    row.note(
        '%d checks of %d guesses; the right password refused at the guessing address, '
        'accepted from another' % (checked, BURST)
    )


def test_the_web_session_login_is_throttled_with_the_others(pg, rel_db, rel_server, scenario):
    row = scenario('back-off: /web/session/authenticate')
    db = rel_db['name']
    _uid, login, password = fresh_user(rel_db, rel_server)

    def web_login(secret):
        body = json.dumps(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {'db': db, 'login': login, 'password': secret},
            }
        ).encode()
        _s, _h, data = rel_server.request(
            'POST', '/web/session/authenticate', body, {'Content-Type': 'application/json'}
        )
        return json.loads(data)['result']['uid']

    for _ in range(FREE + 3):
        row.count(CLEAN if web_login('wrong') is False else 'unexpected', expected=(CLEAN,))
    assert failures(pg, db, login) == FREE
    assert web_login(password) is False
    row.count(OK)
    assert rpc.proxy(rel_server, 'common', source='127.0.0.4').login(db, login, password)


def test_master_password_guesses_are_throttled_and_shared(pg, rel_server, prefork, scenario):
    row = scenario('back-off: %d parallel wrong master passwords, gunicorn' % BURST)
    source = '127.0.0.%d' % (10 + uuid.uuid4().int % 200)

    def guess(index):
        return rpc.proxy(prefork, 'db', source=source).drop('wrong-%d' % index, 'oelt_absent')

    results = burst(guess)
    for result in results:
        row.count(CLEAN if denied(result) else 'unexpected', expected=(CLEAN,))
    key = login_guard.master_key(prefork.admin_passwd)
    checked = failures(pg, 'postgres', key, source, table=login_guard.MASTER_TABLE)
    row.note('%d master passwords checked of %d attempts from %s' % (checked, BURST, source))
    assert all(denied(result) for result in results)
    assert checked == FREE
    with pytest.raises(xmlrpc.client.Fault):
        rpc.proxy(prefork, 'db', source=source).drop(prefork.admin_passwd, 'oelt_absent')
    assert rpc.proxy(prefork, 'db').drop(prefork.admin_passwd, 'oelt_absent') is False


def test_the_default_master_password_works_from_loopback_only_and_is_announced(pg, start_server, scenario):
    row = scenario('default master password: loopback only, warned at start')
    running = start_server(['--proxy-mode'], admin_passwd=False)
    log = running.log()
    assert 'the master password is the default "admin"' in log
    body = xmlrpc.client.dumps(('admin', 'oelt_absent'), 'drop').encode()

    def drop_from(address):
        _s, _h, data = running.request(
            'POST', '/xmlrpc/2/db', body, {'Content-Type': 'text/xml', 'X-Forwarded-For': address}
        )
        try:
            return xmlrpc.client.loads(data)[0][0]
        except xmlrpc.client.Fault as fault:
            return fault

    remote = drop_from('203.0.113.50')
    row.count(CLEAN if denied(remote) else 'unexpected', expected=(CLEAN,))
    local = drop_from('127.0.0.1')
    row.count(OK if local is False else 'unexpected', expected=())
    assert denied(remote) and local is False
    assert 'default master password is refused from 203.0.113.50' in running.log()
