"""The stateless contract when a changing call fails: a gunicorn server of three workers, one
shared change (a password, a group membership, an access right, a record rule, a parameter, a
custom field) made by a call that fails at each point — an error after the change, the process
dying before the commit, the process killed *during* the commit, the process dying right after it.
Afterwards every
worker must hold exactly what the database holds: the change on all of them or on none.

The signal that tells the other processes is written inside the changing transaction, so the
commit publishes both or neither; before, it was a separate step after the commit, and a worker
that died in between left the others accepting an old password.
"""

import os
import signal
import threading
import time
import uuid
import xmlrpc.client

import pytest
from passlib.context import CryptContext

from tests.support import pg as pgsupport
from tests.support import rpc
from tests.support.orm import TEST_ADDONS

from .support import CLEAN, OK, children, sql, wait_for

WORKERS = 3
POINTS = ('raise', 'exit', 'commit_slowly', 'exit_after_commit', 'none')
KINDS = ('password', 'group', 'acl', 'rule', 'param', 'custom')
#: concurrent calls of a verification round: each pauses, so that they spread over the workers
SPREAD, PAUSE, ROUNDS = 6, 0.05, 30
CRYPT = CryptContext(['pbkdf2_sha512'])


def call(server, db, uid, password, model, method, *args, **kwargs):
    return rpc.proxy(server, 'object', timeout=60, resend=False).execute_kw(
        db, uid, password, model, method, list(args), kwargs
    )


@pytest.fixture(scope='module')
def cluster(pg, start_server_module):
    server = start_server_module(
        [
            '--addons-path',
            TEST_ADDONS,
            '--workers',
            str(WORKERS),
            '--max-cron-threads',
            '0',
            '--limit-time-real',
            '60',
        ]
    )
    db = pgsupport.new_db_name('oelsig')
    rpc.proxy(server, 'db', timeout=300).create_database(server.admin_passwd, db, False, 'en_US', 'admin')
    try:
        admin = lambda model, method, *a, **k: call(server, db, 1, 'admin', model, method, *a, **k)  # noqa: E731
        admin('ir.module.module', 'update_list')
        admin(
            'ir.module.module',
            'button_immediate_install',
            admin('ir.module.module', 'search', [('name', '=', 'test_stateless')]),
        )
        group = admin('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
        assert wait_for(lambda: len(children(server.pid)) == WORKERS, timeout=30)
        yield {'server': server, 'db': db, 'admin': admin, 'group': group}
    finally:
        pgsupport.drop_database(pg, db)


def _user(cluster):
    """A fresh internal user (uid, password) for one scenario."""
    login = 'sig_%s' % uuid.uuid4().hex[:8]
    password = 'pw-%s' % uuid.uuid4().hex[:6]
    uid = cluster['admin'](
        'res.users',
        'create',
        {'name': login, 'login': login, 'password': password, 'groups_id': [(6, 0, [cluster['group']])]},
    )
    return uid, password


def _round(cluster, uid, password, check_password):
    """One round of :data:`SPREAD` concurrent pairs of calls, each on a fresh connection: the
    administrator's view with a check of ``check_password`` (the way every call checks
    credentials), and the user's own view. Returns the observations (errors left out)."""
    server, db = cluster['server'], cluster['db']
    results = []

    def one():
        try:
            results.append(
                (
                    'check',
                    call(
                        server,
                        db,
                        1,
                        'admin',
                        'test.stateless.probe',
                        'observe',
                        PAUSE,
                        check_uid=uid,
                        check_password=check_password,
                    ),
                )
            )
            results.append(
                ('user', call(server, db, uid, password, 'test.stateless.probe', 'observe', PAUSE))
            )
        except (xmlrpc.client.Fault, OSError):
            pass

    threads = [threading.Thread(target=one) for _ in range(SPREAD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _views(cluster, uid, password, check_password):
    """What every worker sees: ``{'check': {pid: observation}, 'user': {pid: observation}}``,
    from rounds of concurrent calls until each current worker answered both kinds."""
    server = cluster['server']
    seen = {'check': {}, 'user': {}}
    for _round_number in range(ROUNDS):
        for kind, observation in _round(cluster, uid, password, check_password):
            seen[kind][observation['pid']] = observation
        wanted = set(children(server.pid))
        if all(set(by_pid) >= wanted for by_pid in seen.values()):
            return {kind: {pid: by_pid[pid] for pid in wanted} for kind, by_pid in seen.items()}
    pytest.fail(
        'workers %s did not all answer: %s'
        % (sorted(children(server.pid)), {kind: sorted(by_pid) for kind, by_pid in seen.items()})
    )


def _truth(pg, cluster, what, uid, old_password, setup):
    """What the database holds now, in the terms :func:`_view_of` reads."""
    db = cluster['db']
    if what == 'password':
        stored = sql(pg, db, 'SELECT password_hash FROM res_users WHERE id = %s', (uid,))[0][0]
        return CRYPT.verify(old_password, stored)
    if what == 'group':
        return bool(
            sql(
                pg,
                db,
                'SELECT 1 FROM res_groups_users_rel WHERE uid = %s AND gid = %s',
                (uid, cluster['group']),
            )
        )
    if what == 'acl':
        return sql(pg, db, 'SELECT perm_create FROM ir_model_access WHERE id = %s', (setup,))[0][0]
    if what == 'rule':
        return sql(pg, db, 'SELECT active FROM ir_rule WHERE id = %s', (setup,))[0][0]
    if what == 'custom':
        return tuple(
            row[0]
            for row in sql(
                pg,
                db,
                'SELECT name FROM ir_model_fields WHERE model = '
                "'test.stateless.item' AND left(name, 2) = 'x_' "
                'ORDER BY name',
            )
        )
    rows = sql(pg, db, "SELECT value FROM ir_config_parameter WHERE key = 'stateless.key'")
    return rows[0][0] if rows else False


def _view_of(what, views):
    """The same fact as each worker sees it: ``{pid: value}``."""
    if what == 'password':
        return {pid: seen['credentials'] for pid, seen in views['check'].items()}
    if what == 'param':
        return {pid: seen['param'] or False for pid, seen in views['check'].items()}
    if what == 'custom':
        return {pid: tuple(seen['custom_fields']) for pid, seen in views['check'].items()}
    user = views['user']
    if what == 'group':
        return {pid: seen['visible_items'] is not None for pid, seen in user.items()}
    if what == 'acl':
        return {pid: seen['can_create_item'] for pid, seen in user.items()}
    return {pid: seen['visible_items'] == [] for pid, seen in user.items()}


def _setup(cluster, what, uid):
    """``(args of the change, id of the record it changes)``, the old state in place everywhere."""
    admin = cluster['admin']
    if what == 'password':
        return (uid, 'new-%s' % uuid.uuid4().hex[:6]), None
    if what == 'group':
        return (uid, 'base.group_user'), None
    if what == 'acl':
        [acl] = admin('ir.model.access', 'search', [('name', '=', 'item user')])
        admin('ir.model.access', 'write', [acl], {'perm_create': False})
        return (acl, True), acl
    if what == 'rule':
        admin('test.stateless.item', 'create', {'name': 'an item', 'owner_id': 1})
        rules = admin(
            'ir.rule', 'search', [('name', '=', 'nobody sees items')], context={'active_test': False}
        )
        if not rules:
            model = admin('ir.model', 'search', [('model', '=', 'test.stateless.item')])[0]
            rules = [
                admin(
                    'ir.rule',
                    'create',
                    {'name': 'nobody sees items', 'model_id': model, 'domain_force': "[(0, '=', 1)]"},
                )
            ]
        admin('ir.rule', 'write', rules, {'active': False})
        return (rules[0], True), rules[0]
    if what == 'custom':
        existing = admin(
            'ir.model.fields', 'search', [('model', '=', 'test.stateless.item'), ('state', '=', 'manual')]
        )
        if existing:
            admin('ir.model.fields', 'unlink', existing)
        return ('x_sig_%s' % uuid.uuid4().hex[:6],), None
    admin('ir.config_parameter', 'set_param', 'stateless.key', 'old-value')
    return ('stateless.key', 'new-%s' % uuid.uuid4().hex[:6]), None


def _slow_commit_backend(pg):
    rows = sql(
        pg,
        'postgres',
        "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'slow commit pid %%'",
    )
    return int(rows[0][0].rsplit(' ', 1)[1]) if rows else None


#: what the database holds before each change (see :func:`_truth`)
BEFORE = {'password': True, 'group': True, 'acl': False, 'rule': False, 'param': 'old-value', 'custom': ()}


def _change(pg, cluster, what, args, point):
    """Make the change failing at ``point`` (killing the worker during the commit for
    ``commit_slowly``); returns what the caller got: a result, or the error."""
    server, db = cluster['server'], cluster['db']
    outcome = {}

    def run():
        try:
            outcome['result'] = call(
                server, db, 1, 'admin', 'test.stateless.faults', 'change_then', what, list(args), point, 1.5
            )
        except Exception as error:  # noqa: BLE001 - the failure is the point
            outcome['error'] = error

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    if point == 'commit_slowly':
        killed = wait_for(lambda: _slow_commit_backend(pg), timeout=20)
        assert killed, 'the slow commit never started'
        time.sleep(0.3)
        os.kill(killed, signal.SIGKILL)
        assert wait_for(lambda: _slow_commit_backend(pg) is None, timeout=30)
    thread.join(60)
    if point in ('exit', 'exit_after_commit', 'commit_slowly'):
        # the master replaces the worker that died
        assert wait_for(
            lambda: len(children(server.pid)) == WORKERS and killed not in children(server.pid), timeout=30
        )
    return outcome


@pytest.mark.parametrize('point', POINTS)
def test_every_worker_holds_what_the_database_holds_after_a_failing_change(pg, cluster, scenario, point):
    row = scenario('signals with the change: %s, %d gunicorn workers' % (point, WORKERS))
    notes = []
    for what in KINDS:
        uid, password = _user(cluster)
        args, setup = _setup(cluster, what, uid)
        # every worker knows the old state (and has the user's password cached) before the change
        assert set(_view_of(what, _views(cluster, uid, password, password)).values()) == {BEFORE[what]}
        outcome = _change(pg, cluster, what, args, point)
        row.count(OK if 'result' in outcome else CLEAN, expected=(CLEAN,))
        truth = _truth(pg, cluster, what, uid, password, setup)
        committed = truth != BEFORE[what]
        # the user's own calls go on with the password the database holds
        current = args[1] if what == 'password' and committed else password
        seen = _view_of(what, _views(cluster, uid, current, password))
        stale = {pid: value for pid, value in seen.items() if value != truth}
        row.count(OK if not stale else 'unexpected', expected=())
        notes.append('%s %s' % (what, 'committed' if committed else 'rolled back'))
        assert stale == {}, (what, point, truth, outcome, stale)
        if point in ('raise', 'exit'):
            assert not committed, (what, point)
        if point in ('exit_after_commit', 'none'):
            assert committed, (what, point)
    row.note('every worker agrees with the database: %s' % ', '.join(notes))
