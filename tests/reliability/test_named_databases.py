"""Databases named by the wire are checked before they are touched.

A database name arrives in an RPC argument, in a web session id, in a db-service call, or through
the Host header of a host-based ``--db-filter``. Before anything connects to it, the server checks
that the filter lets it through and that the database carries the openerp-lite mark; otherwise no
connection is opened, nothing is created in it, and the caller learns nothing about it. Cron, under
every server kind, polls only those databases too.

Checked with two foreign databases beside the served one: a plain PostgreSQL database (someone
else's) and an openerp-lite database outside ``--db-filter``; each must end with no session ever
opened to it by the server.
"""

import json
import time
import uuid
import xmlrpc.client

import pytest

from tests.support import pg as pgsupport
from tests.support.orm import TEST_ADDONS

from .support import CLEAN, Client, proxy, sql, terminate_backends, wait_for, wait_sessions_gone

FORGED_SECRET = 'A' * 43


@pytest.fixture(scope='module')
def foreign(pg, rel_db, rel_server):
    """``{'plain': name, 'marked': name}``: a database that is not openerp-lite's, and one that is
    but that the filtered server below must not serve."""
    plain = pgsupport.new_db_name('oelforeign')
    pgsupport.create_database(pg, plain)
    sql(pg, plain, 'CREATE TABLE their_data (id serial PRIMARY KEY, secret text)')
    marked = pgsupport.new_db_name('oelforeign')
    proxy(rel_server, 'db', timeout=300).create_database(
        rel_server.admin_passwd, marked, False, 'en_US', 'admin'
    )
    _disconnect(pg, plain, marked)
    yield {'plain': plain, 'marked': marked}
    for name in (plain, marked):
        pgsupport.drop_database(pg, name)


def _disconnect(pg, *names):
    """End the sessions the creating server keeps open to ``names``, so that what the server
    under test opens is what is counted."""
    for name in names:
        terminate_backends(pg, name)
        assert wait_sessions_gone(pg, name)
    time.sleep(0.5)  # the ended sessions reach pg_stat_database


def sessions_on(pg, name):
    """Sessions ever opened to ``name`` (counted by PostgreSQL when each ends) and open now."""
    ended = sql(pg, 'postgres', 'SELECT sessions FROM pg_stat_database WHERE datname = %s', (name,))
    open_now = sql(pg, 'postgres', 'SELECT count(*) FROM pg_stat_activity WHERE datname = %s', (name,))
    return (ended[0][0] if ended else 0), open_now[0][0]


def _tables(pg, name):
    return [
        t
        for (t,) in sql(
            pg, name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]


def test_no_route_touches_a_database_the_server_does_not_serve(pg, rel_db, foreign, start_server, scenario):
    row = scenario('databases named by the wire: forged session ids, logins, db service')
    served = rel_db['name']
    running = start_server(['--addons-path', TEST_ADDONS, '--db-filter', '^%s$' % served])
    names = [foreign['plain'], foreign['marked']]
    tables_before = {name: _tables(pg, name) for name in names}
    time.sleep(0.5)  # this test's own look at the tables reaches pg_stat_database
    before = {name: sessions_on(pg, name)[0] for name in names}
    findings = []

    def refused(label, ok):
        row.count(CLEAN if ok else 'unexpected', expected=(CLEAN,))
        if not ok:
            findings.append(label)

    def web(path, params, sid):
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': params}).encode()
        _s, _h, data = running.request(
            'POST', path, body, {'Content-Type': 'application/json', 'Cookie': 'session_id=%s' % sid}
        )
        return json.loads(data)

    pwd = running.admin_passwd
    db = proxy(running, 'db')
    for name in names:
        sid = '%s.%s' % (FORGED_SECRET, name)
        for path in ('/web/session/get_session_info', '/web/dataset/call_kw'):
            reply = web(path, {'model': 'res.users', 'method': 'search', 'args': [[]]}, sid)
            refused('%s %s' % (path, name), reply.get('error', {}).get('code') == 100)
        reply = web('/web/session/destroy', {}, sid)
        refused('destroy %s' % name, 'error' not in reply)
        # the database list is public here, so the answer names the database as missing, as
        # db.list would (with --no-database-list it is a wrong-credentials answer instead)
        reply = web('/web/session/authenticate', {'db': name, 'login': 'admin', 'password': 'admin'}, 'none')
        refused(
            'web login %s' % name,
            'does not exist' in reply.get('error', {}).get('data', {}).get('message', ''),
        )
        for label, attempt in (
            ('login', lambda name=name: proxy(running, 'common').login(name, 'admin', 'admin')),
            (
                'authenticate',
                lambda name=name: proxy(running, 'common').authenticate(name, 'admin', 'admin', {}),
            ),
            ('execute_kw', lambda name=name: Client(running, name)('res.users', 'search', [])),
        ):
            try:
                attempt()
                refused('%s %s' % (label, name), False)
            except xmlrpc.client.Fault as fault:
                refused(
                    '%s %s' % (label, name), fault.faultCode == 2 and 'does not exist' in fault.faultString
                )
        refused('exist %s' % name, db.exist(name) is False)
        refused('list %s' % name, name not in db.list())
        refused('drop %s' % name, db.drop(pwd, name) is False)
        for method, args in (
            ('dump', (pwd, name)),
            ('duplicate_database', (pwd, name, 'oel_copy_%s' % uuid.uuid4().hex[:6])),
            ('rename', (pwd, name, 'oel_moved_%s' % uuid.uuid4().hex[:6])),
        ):
            try:
                getattr(db, method)(*args)
                refused('%s %s' % (method, name), False)
            except xmlrpc.client.Fault as fault:
                refused(
                    '%s %s' % (method, name), fault.faultCode == 2 and 'does not exist' in fault.faultString
                )
    try:
        db.create_database(pwd, 'oeloutside_%s' % uuid.uuid4().hex[:6], False, 'en_US')
        refused('create outside the filter', False)
    except xmlrpc.client.Fault as fault:
        refused('create outside the filter', '--db-filter' in fault.faultString)
    open_now = {name: sessions_on(pg, name)[1] for name in names}
    # the served database itself works, and the server's connections are closed when it stops
    assert Client(running, served)('res.users', 'search_count', []) > 0
    running.stop()
    time.sleep(1.0)
    after = {name: sessions_on(pg, name)[0] for name in names}
    tables_after = {name: _tables(pg, name) for name in names}
    row.note(
        '%d attempts on 2 foreign databases; sessions opened to them: %s; tables unchanged: %s'
        % (row.calls, {n: after[n] - before[n] for n in names}, tables_before == tables_after)
    )
    assert findings == []
    assert open_now == {name: 0 for name in names}
    assert after == before
    assert tables_after == tables_before


def _set_job(pg, db):
    """A due job on ``db`` that records it ran (a system parameter), and no such record yet."""
    sql(pg, db, "DELETE FROM ir_config_parameter WHERE key = 'cron.ran'")
    sql(pg, db, "DELETE FROM ir_cron WHERE name = 'cron filter probe'")
    sql(
        pg,
        db,
        'INSERT INTO ir_cron (name, user_id, active, interval_number, interval_type, '
        'numbercall, nextcall, model, function, args, priority, failure_count) VALUES '
        "('cron filter probe', 1, TRUE, 1, 'minutes', -1, "
        "(now() at time zone 'UTC') - interval '1 minute', 'ir.config_parameter', "
        "'set_param', '(''cron.ran'', ''yes'')', 5, 0)",
    )


def _ran(pg, db):
    return bool(sql(pg, db, "SELECT 1 FROM ir_config_parameter WHERE key = 'cron.ran'"))


@pytest.fixture(scope='module')
def cron_databases(pg, rel_server):
    """Two openerp-lite databases: ``served`` (matched by the filter) and ``other`` (not)."""
    tag = uuid.uuid4().hex[:6]
    made = {'served': 'oelcron_in_%s' % tag, 'other': 'oelcron_out_%s' % tag}
    for name in made.values():
        proxy(rel_server, 'db', timeout=300).create_database(
            rel_server.admin_passwd, name, False, 'en_US', 'admin'
        )
    _disconnect(pg, *made.values())
    yield made
    for name in made.values():
        pgsupport.drop_database(pg, name)


@pytest.mark.parametrize(
    'kind,extra',
    [
        ('threaded', []),
        ('waitress', ['--server', 'waitress']),
        ('gunicorn', ['--server', 'gunicorn', '--workers', '2']),
        ('threaded -d both', ['-d', 'BOTH']),
    ],
)
def test_cron_polls_only_the_databases_the_filter_lets_through(
    pg, cron_databases, start_server, scenario, kind, extra
):
    row = scenario('cron and --db-filter: %s' % kind)
    served, other = cron_databases['served'], cron_databases['other']
    for name in (served, other):
        _set_job(pg, name)
    extra = [served + ',' + other if arg == 'BOTH' else arg for arg in extra]
    time.sleep(0.5)  # this test's own sessions reach pg_stat_database
    before_other = sessions_on(pg, other)[0]
    running = start_server(
        extra + ['--db-filter', '^oelcron_in_', '--max-cron-threads', '1', '--cron-interval', '0.3']
    )
    # a one-process server polls the databases it has served: use the served one, try the other
    Client(running, served)('res.users', 'search_count', [])
    with pytest.raises(xmlrpc.client.Fault):
        Client(running, other)('res.users', 'search_count', [])
    ran = wait_for(lambda: _ran(pg, served), timeout=30)
    time.sleep(1.5)  # several more polls
    open_other = sessions_on(pg, other)[1]
    log = running.log()
    running.stop()
    time.sleep(1.0)
    touched = sessions_on(pg, other)[0] - before_other
    ran_other = _ran(pg, other)
    row.count(CLEAN if ran else 'unexpected', expected=(CLEAN,))
    row.count(CLEAN if not ran_other else 'unexpected', expected=(CLEAN,))
    row.note(
        'job ran in the served database: %s; in the other: %s; sessions opened to the other: %d'
        % (ran, ran_other, touched)
    )
    assert ran, log[-3000:]
    assert not ran_other
    assert open_other == 0 and touched == 0
