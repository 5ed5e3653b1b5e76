"""Security through the wire: team B never reaches team A's records by any route, private and
internal attributes are unreachable, the db service guards every destructive call, ``--db-filter``
holds on every route, passwords exist only hashed, failed logins are logged and slowed down, web
session cookies are safe, and ``X-Forwarded-*`` is trusted only in proxy mode.

Every attempt is counted in the report: a refusal is an expected failure, an attempt that worked
is an unexpected one (and fails the test).
"""

import json
import os
import re
import time
import uuid

import pytest

from tests.support.orm import TEST_ADDONS

from .support import CLEAN, OK, PASSWORDS, Client, outcome, proxy, sql


@pytest.fixture(scope='module')
def teams(rel_db, rel_server):
    """Records of both teams, created by the administrator: ``{'a': {...}, 'b': {...}}``."""
    admin = Client(rel_server, rel_db['name'])
    data = {}
    for team in ('a', 'b'):
        tag = admin('test.reliability.tag', 'create', {'name': 'tag-%s' % team, 'team': team})
        folder = admin(
            'test.reliability.folder',
            'create',
            {'name': 'folder-%s' % team, 'team': team, 'tag_ids': [(6, 0, [tag])]},
        )
        note = admin(
            'test.reliability.note',
            'create',
            {
                'name': 'note-%s' % team,
                'secret': 'SECRET-%s' % team.upper(),
                'amount': 7,
                'team': team,
                'folder_id': folder,
            },
        )
        data[team] = {'tag': tag, 'folder': folder, 'note': note}
    data['ledger'] = admin('test.reliability.ledger', 'create', {'name': 'team A only'})
    return data


def _team_tables_digest(pg, db):
    from .support import table_digest

    return table_digest(
        pg,
        db,
        [
            'test_reliability_note',
            'test_reliability_folder',
            'test_reliability_tag',
            'test_reliability_ledger',
        ],
    )


def _user_b(rel_db, rel_server):
    return Client(rel_server, rel_db['name'], rel_db['uids']['team_b'], PASSWORDS['team_b'])


def test_team_b_never_reaches_team_a_records(pg, rel_db, rel_server, teams, scenario):
    row = scenario('team B vs team A records: every route')
    b = _user_b(rel_db, rel_server)
    a_note, a_folder, a_tag = teams['a']['note'], teams['a']['folder'], teams['a']['tag']
    b_folder = teams['b']['folder']
    before = _team_tables_digest(pg, rel_db['name'])
    leaks = []

    def refused(label, call):
        kind, detail = outcome(call)
        row.count(kind, expected=(CLEAN,))
        if kind != CLEAN or 'SECRET-A' in detail:
            leaks.append((label, kind, detail[:200]))

    def hidden(label, call, check):
        kind, value = outcome(call)
        row.count(kind, expected=())
        if kind != OK or not check(value) or 'SECRET-A' in json.dumps(value, default=str):
            leaks.append((label, kind, str(value)[:200]))

    note, folder = 'test.reliability.note', 'test.reliability.folder'
    refused('read', lambda: b(note, 'read', [a_note], ['secret']))
    refused('read folder', lambda: b(folder, 'read', [a_folder], ['note_ids']))
    refused('write', lambda: b(note, 'write', [a_note], {'secret': 'changed'}))
    refused('unlink', lambda: b(note, 'unlink', [a_note]))
    refused('copy', lambda: b(note, 'copy', a_note))
    refused('name_get', lambda: b(note, 'name_get', [a_note]))
    refused('ledger search', lambda: b('test.reliability.ledger', 'search', []))
    refused('ledger read', lambda: b('test.reliability.ledger', 'read', [teams['ledger']]))
    for label, command in [
        ('x2many update', (1, a_note, {'secret': 'changed'})),
        ('x2many delete', (2, a_note)),
        ('x2many unlink', (3, a_note)),
        ('x2many link', (4, a_note)),
        ('x2many replace', (6, 0, [a_note])),
    ]:
        refused(label, lambda c=command: b(folder, 'write', [b_folder], {'note_ids': [c]}))
    refused(
        'create with link',
        lambda: b(folder, 'create', {'name': 'steal', 'team': 'b', 'note_ids': [(4, a_note)]}),
    )
    refused(
        'm2m update of a foreign tag',
        lambda: b(folder, 'write', [b_folder], {'tag_ids': [(1, a_tag, {'name': 'changed'})]}),
    )
    hidden('search', lambda: b(note, 'search', []), lambda ids: a_note not in ids)
    hidden(
        'search_read',
        lambda: b(note, 'search_read', [], ['secret']),
        lambda rows: all(r['id'] != a_note for r in rows),
    )
    hidden('search_count', lambda: b(note, 'search_count', [('team', '=', 'a')]), lambda n: n == 0)
    hidden(
        'read_group',
        lambda: b(note, 'read_group', [], ['amount'], ['team']),
        lambda groups: all(g.get('team') != 'a' for g in groups),
    )
    hidden(
        'dotted domain',
        lambda: b(folder, 'search', [('note_ids.secret', '=', 'SECRET-A')]),
        lambda ids: ids == [],
    )
    hidden(
        'dotted domain through many2one',
        lambda: b(note, 'search_count', [('folder_id.name', '=', 'folder-a')]),
        lambda n: n == 0,
    )
    hidden('name_search', lambda: b(note, 'name_search', 'note-a'), lambda res: res == [])
    hidden(
        'order by a foreign value',
        lambda: b(note, 'search', [], order='secret desc'),
        lambda ids: a_note not in ids,
    )
    after = _team_tables_digest(pg, rel_db['name'])
    row.duplicated = sum(1 for t in before if before[t] != after[t])
    row.note('%d attempts, %d leaks; team tables unchanged: %s' % (row.calls, len(leaks), before == after))
    assert leaks == []
    assert before == after


def test_team_b_through_the_web_session_gets_nothing_more(pg, rel_db, rel_server, teams, scenario):
    row = scenario('team B vs team A records: web session call_kw')
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'db': rel_db['name'], 'login': 'team_b', 'password': PASSWORDS['team_b']},
        }
    ).encode()
    status, headers, data = rel_server.request(
        'POST', '/web/session/authenticate', body, {'Content-Type': 'application/json'}
    )
    cookie = headers['Set-Cookie'].split(';')[0]

    def call_kw(model, method, args, kwargs=None):
        payload = json.dumps(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 2,
                'params': {'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}},
            }
        ).encode()
        _s, _h, reply = rel_server.request(
            'POST', '/web/dataset/call_kw', payload, {'Content-Type': 'application/json', 'Cookie': cookie}
        )
        return json.loads(reply)

    attempts = [
        ('read', ('test.reliability.note', 'read', [[teams['a']['note']], ['secret']]), 'error'),
        ('write', ('test.reliability.note', 'write', [[teams['a']['note']], {'secret': 'x'}]), 'error'),
        ('unlink', ('test.reliability.note', 'unlink', [[teams['a']['note']]]), 'error'),
        ('ledger', ('test.reliability.ledger', 'search_read', [[]]), 'error'),
        ('sudo', ('test.reliability.note', 'sudo', [[]]), 'error'),
        ('search_read', ('test.reliability.note', 'search_read', [[], ['secret']]), 'result'),
    ]
    leaks = []
    for label, (model, method, args), want in attempts:
        reply = call_kw(model, method, args)
        text = json.dumps(reply)
        if want == 'error':
            row.count(CLEAN if 'error' in reply else OK, expected=(CLEAN,))
            if 'error' not in reply:
                leaks.append(label)
        else:
            row.count(OK if 'result' in reply else 'unexpected', expected=())
        if 'SECRET-A' in text:
            leaks.append(label + ' (secret in reply)')
    assert status == 200
    row.note('%d attempts, %d leaks' % (row.calls, len(leaks)))
    assert leaks == []


#: attributes of a recordset that must never be callable over RPC
INTERNAL = [
    '_write',
    '_read',
    '_create',
    '_search',
    '_check_access',
    'sudo',
    'browse',
    'with_context',
    'with_user',
    'env',
    '_cr',
    'cr',
    '__init__',
    '__class__',
    '_table',
    'mapped',
    'filtered',
    'ensure_one',
    'invalidate_cache',
    'flush',
    'init',
    'pool',
    '_name',
    'ids',
    '_ids',
    'registry',
    '_compute_display_name',
    'check_access',
]


@pytest.mark.parametrize('who', ['admin', 'team_b'])
def test_private_and_internal_attributes_are_unreachable(rel_db, rel_server, teams, scenario, who):
    row = scenario('private / internal attributes over RPC (%s)' % who)
    client = Client(rel_server, rel_db['name']) if who == 'admin' else _user_b(rel_db, rel_server)
    reached = []
    for name in INTERNAL:
        for args in ([], [[teams['b']['note']]]):
            kind, detail = outcome(lambda n=name, a=args: client('test.reliability.note', n, *a))
            row.count(kind, expected=(CLEAN,))
            if kind != CLEAN or 'Traceback' in detail:
                reached.append((name, kind, detail[:150]))
    assert reached == []


DESTRUCTIVE = {
    'create_database': lambda pw, db: [pw, 'oelrel_never_%s' % uuid.uuid4().hex[:6], False, 'en_US', 'x'],
    'duplicate_database': lambda pw, db: [pw, db, 'oelrel_never_%s' % uuid.uuid4().hex[:6]],
    'drop': lambda pw, db: [pw, db],
    'rename': lambda pw, db: [pw, db, 'oelrel_never_%s' % uuid.uuid4().hex[:6]],
    'dump': lambda pw, db: [pw, db],
    'restore': lambda pw, db: [pw, 'oelrel_never_%s' % uuid.uuid4().hex[:6], 'AAAA'],
    'change_admin_password': lambda pw, db: [pw, 'new-master'],
}


def test_db_service_requires_the_master_password_for_every_destructive_call(pg, rel_db, rel_server, scenario):
    row = scenario('db service: destructive calls with a wrong master password')
    db = rel_db['name']
    accepted = []
    for method, args in DESTRUCTIVE.items():
        for password in ('', 'admin', 'wrong', None, rel_server.admin_passwd + ' '):
            for legacy in (False, True):
                params = args(password, db)
                kind, detail = outcome(
                    lambda m=method, a=params, lg=legacy: getattr(proxy(rel_server, 'db', legacy=lg), m)(*a),
                    clean=r'AccessDenied|Access denied|^3 ',
                )
                row.count(kind, expected=(CLEAN,))
                if kind != CLEAN:
                    accepted.append((method, password, kind, detail[:120]))
    still_there = sql(pg, 'postgres', 'SELECT count(*) FROM pg_database WHERE datname = %s', (db,))
    leftovers = sql(pg, 'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'oelrel_never_%%'")
    row.lost = 1 - still_there[0][0]
    row.duplicated = leftovers[0][0]
    assert accepted == []
    assert still_there[0][0] == 1 and leftovers[0][0] == 0


@pytest.fixture(scope='module')
def guarded_server(rel_db, pg):
    """A server with the database list off and a filter that matches no test database."""
    from tests.support.server import start_server

    running = start_server(
        pg,
        [
            '--addons-path',
            TEST_ADDONS,
            '--no-database-list',
            '--db-filter',
            '^only_this_one$',
            '--max-cron-threads',
            '0',
        ],
    )
    yield running
    running.stop()


def test_list_db_off_hides_the_list_and_dbfilter_holds_on_every_route(rel_db, guarded_server, scenario):
    row = scenario('--no-database-list and --db-filter on every route')
    db = rel_db['name']
    served = []

    def refused(label, call, check=None):
        kind, value = outcome(call, clean=r'denied|disabled|session')
        if kind == OK and check is not None and check(value):
            kind = CLEAN  # a refusal that answers False / an empty list
        row.count(kind, expected=(CLEAN,))
        if kind != CLEAN:
            served.append((label, kind, str(value)[:150]))

    refused('db.list', lambda: proxy(guarded_server, 'db').list())
    refused('db.list (legacy)', lambda: proxy(guarded_server, 'db', legacy=True).list())
    refused(
        'common.login',
        lambda: proxy(guarded_server, 'common').login(db, 'admin', 'admin'),
        check=lambda uid: uid is False,
    )
    refused(
        'common.authenticate',
        lambda: proxy(guarded_server, 'common').authenticate(db, 'admin', 'admin', {}),
        check=lambda uid: uid is False,
    )
    refused('object.execute_kw', lambda: Client(guarded_server, db)('res.users', 'search', []))
    refused(
        'object.execute (legacy)',
        lambda: proxy(guarded_server, 'object', legacy=True).execute(
            db, 1, 'admin', 'res.users', 'search', []
        ),
    )

    def web(path, params):
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': params}).encode()
        _s, _h, data = guarded_server.request('POST', path, body, {'Content-Type': 'application/json'})
        return json.loads(data)

    refused('/web/database/list', lambda: web('/web/database/list', {}), check=lambda reply: 'error' in reply)
    refused(
        '/web/session/authenticate',
        lambda: web('/web/session/authenticate', {'db': db, 'login': 'admin', 'password': 'admin'}),
        check=lambda reply: 'error' in reply or not reply['result']['uid'],
    )
    refused(
        'jsonrpc object',
        lambda: web(
            '/jsonrpc',
            {
                'service': 'object',
                'method': 'execute_kw',
                'args': [db, 1, 'admin', 'res.users', 'search', [[]]],
            },
        ),
        check=lambda reply: 'error' in reply,
    )
    assert served == []


def test_passwords_exist_only_hashed(pg, rel_db, rel_server, teams, scenario):
    row = scenario('clear passwords at rest (tables, server log, sessions)')
    db = rel_db['name']
    secrets_ = ['admin'] + list(PASSWORDS.values())
    # a web session exists for team_b after the web test; make sure one exists anyway
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'db': db, 'login': 'team_a', 'password': PASSWORDS['team_a']},
        }
    ).encode()
    rel_server.request('POST', '/web/session/authenticate', body, {'Content-Type': 'application/json'})
    stored = sql(pg, db, 'SELECT login, password_hash FROM res_users WHERE password_hash IS NOT NULL')
    clear = [
        login for login, hashed in stored if hashed in secrets_ or not re.match(r'^\$[a-z0-9-]+\$', hashed)
    ]
    found = []
    columns = sql(
        pg,
        db,
        'SELECT table_name, column_name FROM information_schema.columns '
        "WHERE table_schema = 'public' AND table_name NOT LIKE 'pg_%%' "
        "AND data_type IN ('character varying', 'text')",
    )
    patterns = ['%%%s%%' % s for s in PASSWORDS.values()]
    for table, column in columns:
        hits = sql(
            pg, db, 'SELECT count(*) FROM "%s" WHERE "%s" LIKE ANY(%%s)' % (table, column), (patterns,)
        )
        if hits[0][0]:
            found.append('%s.%s' % (table, column))
    log = rel_server.log()
    in_log = [s for s in PASSWORDS.values() if s in log]
    row.calls = len(stored) + len(columns)
    row.duplicated = len(clear) + len(found) + len(in_log)
    row.note(
        '%d stored passwords all hashed; %d text columns and the server log scanned'
        % (len(stored), len(columns))
    )
    assert clear == [] and found == [] and in_log == []
    sessions = sql(pg, db, 'SELECT sid_hash, credential, context FROM web_session')
    assert sessions
    for _sid_hash, credential, context in sessions:
        assert not any(s.encode() in bytes(credential) for s in secrets_)
        assert 'password' not in context


def test_failed_logins_are_logged_with_the_address_and_slowed_down(rel_db, rel_server, scenario):
    from openerp_lite.service import login_guard

    row = scenario('failed logins: logged with the address, back-off per login')
    db = rel_db['name']
    common = proxy(rel_server, 'common')
    login = 'team_a'
    for _ in range(login_guard.FREE_FAILURES):
        row.count(CLEAN if common.login(db, login, 'wrong') is False else OK, expected=(CLEAN,))
    # now even the right password is refused until the cool-down ends
    refused = common.login(db, login, PASSWORDS[login]) is False
    row.count(CLEAN if refused else OK, expected=(CLEAN,))
    log = rel_server.log()
    assert re.search(r"login failed for 'team_a' on database %s from 127\.0\.0\.1" % db, log)
    assert re.search(
        r"password check of 'team_a' on database %s from 127\.0\.0\.1 refused without "
        r'checking' % db,
        log,
    )
    assert refused, 'the back-off did not refuse the attempt after %d failures' % login_guard.FREE_FAILURES
    # another login is not affected
    assert common.login(db, 'team_b', PASSWORDS['team_b'])
    time.sleep(login_guard.cooldown(login_guard.FREE_FAILURES) + 0.5)
    uid = common.login(db, login, PASSWORDS[login])
    row.count(OK if uid else 'unexpected', expected=())
    assert uid == rel_db['uids'][login]
    row.note(
        '%d failures free, then %.0fs cool-down doubling per failure (stored in PostgreSQL)'
        % (login_guard.FREE_FAILURES, login_guard.cooldown(login_guard.FREE_FAILURES))
    )


def test_session_cookies_are_httponly_samesite_unguessable_and_die_at_logout(rel_db, rel_server, scenario):
    row = scenario('web session cookies')
    db = rel_db['name']
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {'db': db, 'login': 'team_b', 'password': PASSWORDS['team_b']},
        }
    ).encode()
    sids = set()
    cookie = None
    for _ in range(10):
        _s, headers, _d = rel_server.request(
            'POST', '/web/session/authenticate', body, {'Content-Type': 'application/json'}
        )
        row.count(OK)
        cookie = headers['Set-Cookie']
        assert 'HttpOnly' in cookie and re.search(r'SameSite=(Lax|Strict)', cookie)
        sid = cookie.split(';')[0].split('=', 1)[1]
        secret = sid.split('.')[0]
        assert len(secret) >= 43 and re.match(r'^[A-Za-z0-9_-]+$', secret)
        sids.add(sid)
    assert len(sids) == 10
    jar = cookie.split(';')[0]
    info = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 2, 'params': {}}).encode()
    _s, _h, data = rel_server.request(
        'POST', '/web/session/get_session_info', info, {'Content-Type': 'application/json', 'Cookie': jar}
    )
    assert json.loads(data)['result']['uid'] == rel_db['uids']['team_b']
    rel_server.request(
        'POST', '/web/session/destroy', info, {'Content-Type': 'application/json', 'Cookie': jar}
    )
    _s, _h, data = rel_server.request(
        'POST', '/web/session/get_session_info', info, {'Content-Type': 'application/json', 'Cookie': jar}
    )
    expired = 'error' in json.loads(data)
    row.count(CLEAN if expired else OK, expected=(CLEAN,))
    assert expired, 'the session still works after logout'
    row.note('10 logins, 10 distinct 256-bit ids; HttpOnly, SameSite; refused after logout')


def _proxy_mode_landed():
    from openerp_lite.http import wsgi

    with open(wsgi.__file__, encoding='utf-8') as handle:
        return 'proxy_mode' in handle.read()


@pytest.mark.skipif(
    not _proxy_mode_landed(),
    reason='--proxy-mode is not implemented in '
    'openerp_lite/http/wsgi.py yet: this scenario runs once it lands',
)
@pytest.mark.parametrize('proxy_mode', [False, True])
def test_forwarded_headers_are_trusted_only_in_proxy_mode(pg, rel_db, start_server, scenario, proxy_mode):
    row = scenario('X-Forwarded-For with proxy mode %s' % ('on' if proxy_mode else 'off'))
    args = ['--addons-path', TEST_ADDONS, '--max-cron-threads', '0']
    running = start_server(args + (['--proxy-mode'] if proxy_mode else []))
    body = xml_login(rel_db['name'])
    running.request(
        'POST',
        '/xmlrpc/2/common',
        body,
        {'Content-Type': 'text/xml', 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Host': 'evil.example'},
    )
    row.count(OK)
    time.sleep(0.3)
    log = running.log()
    forwarded = re.search(r"login failed for 'nobody' on database \S+ from 203\.0\.113\.9", log)
    direct = re.search(r"login failed for 'nobody' on database \S+ from 127\.0\.0\.1", log)
    assert forwarded if proxy_mode else direct, log[-2000:]
    assert not (direct if proxy_mode else forwarded)


def test_a_cached_password_digest_is_worthless_in_another_worker():
    """The credential cache keeps HMAC digests keyed by a per-process secret; a worker forked
    from the master must make its own, or a digest leaked from one worker (a core dump, a
    debugger) would open every other one."""
    from openerp_lite.service import security

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as a forked worker: its digest of the same password
        try:
            os.write(write_end, security._digest('same password'))
        finally:
            os._exit(0)
    os.close(write_end)
    child_digest = os.read(read_end, 64)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert child_digest and child_digest != security._digest('same password')


def xml_login(db):
    import xmlrpc.client

    return xmlrpc.client.dumps((db, 'nobody', 'wrong'), 'login').encode()


if os.environ.get('OPENERP_LITE_RELIABILITY_DEBUG'):
    print('security scenarios loaded')
