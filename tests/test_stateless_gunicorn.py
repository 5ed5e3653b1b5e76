"""Stateless mode under Gunicorn: four sync workers behind one socket share one database.

Each change is made through one connection; then calls on fresh connections (several at once,
each holding its worker for a moment, so that they spread) go on until every worker has
answered, and every answer must already reflect the change. Workers are told apart by the pid
the test addon's probe returns, and the set of pids is checked against the master's children.
"""

import os
import re
import threading
import time
import xmlrpc.client

import pytest

from openerp_lite.orm.environment import SUPERUSER_ID
from tests.support import pg as pgsupport
from tests.support import rpc
from tests.support.server import start_server

ADMIN = 'admin'
WORKERS = 4
#: concurrent calls per round; each pauses so the others land on other workers
SPREAD = 8
PAUSE = 0.05
MAX_ROUNDS = 25
RELOADING = 'changed in another process: reloading'


def _children(pid):
    """Pids of the live processes whose parent is ``pid`` (gunicorn's workers)."""
    found = set()
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='ascii', errors='replace') as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name (field 2) may hold spaces: fields after its closing parenthesis
        fields = stat[stat.rindex(')') + 2 :].split()
        if int(fields[1]) == pid:
            found.add(int(entry))
    return found


class Client:
    """``execute_kw`` with a new connection for every call (thread-safe), from loopback address
    ``source`` when given."""

    def __init__(self, server, db, uid=SUPERUSER_ID, password=ADMIN, source=None):
        self.server, self.db, self.uid, self.password, self.source = server, db, uid, password, source

    def __call__(self, model, method, *args, **kwargs):
        with rpc.proxy(self.server, 'object', source=self.source) as proxy:
            return proxy.execute_kw(self.db, self.uid, self.password, model, method, list(args), kwargs)

    def as_user(self, uid, password, source=None):
        return Client(self.server, self.db, uid, password, source)


def _concurrently(calls):
    """Run the zero-argument ``calls`` at once, one thread each; ``[(result, error)]``."""
    outcomes = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index):
        barrier.wait(10)
        try:
            outcomes[index] = (calls[index](), None)
        except Exception as error:  # reported to the test, which fails on any
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def on_every_worker(workers, call):
    """Answers of ``call()`` (dicts carrying 'pid') from rounds of concurrent calls on fresh
    connections until every pid in ``workers`` has answered; fails on any error."""
    answers = []
    for _round in range(MAX_ROUNDS):
        for result, error in _concurrently([call] * SPREAD):
            assert error is None, error
            answers.append(result)
        if {answer['pid'] for answer in answers} >= workers:
            return answers
    pytest.fail('only workers %s answered of %s' % (sorted({a['pid'] for a in answers}), sorted(workers)))


@pytest.fixture(scope='module')
def prefork(pg):
    server = start_server(
        pg, ['--workers', str(WORKERS), '--addons-path', 'tests/addons', '--limit-time-real', '120']
    )
    name = pgsupport.new_db_name('oelt_slg')
    try:
        with xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/db') as db_proxy:
            db_proxy.create_database(server.admin_passwd, name, False, 'en_US', ADMIN)
        workers = _children(server.pid)
        assert len(workers) == WORKERS, workers
        yield server, name, workers
    finally:
        server.stop()
        pgsupport.drop_database(pg, name)


def _module_action(client, name, action):
    client('ir.module.module', 'update_list')
    ids = client('ir.module.module', 'search', [('name', '=', name)])
    client('ir.module.module', action, ids)


@pytest.fixture(scope='module')
def env(prefork):
    server, db, workers = prefork
    admin = Client(server, db)
    _module_action(admin, 'test_stateless', 'button_immediate_install')
    group_user = admin('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    uid = admin(
        'res.users',
        'create',
        {'name': 'Prefork User', 'login': 'pf_user', 'password': 'pw1', 'groups_id': [(6, 0, [group_user])]},
    )
    user = admin.as_user(uid, 'pw1')
    # every worker loads the registry and fills its caches before the changes below
    on_every_worker(workers, lambda: user('test.stateless.probe', 'observe', PAUSE))
    return server, admin, user, uid, workers


def _observe(client, **kwargs):
    return lambda: client('test.stateless.probe', 'observe', PAUSE, **kwargs)


def test_every_worker_serves_a_module_installed_on_one_then_forgets_it_after_uninstall(env):
    _server, admin, user, _uid, workers = env
    _module_action(admin, 'test_stateless_extra', 'button_immediate_install')
    try:
        for seen in on_every_worker(workers, _observe(user)):
            assert seen['models'] == ['test.stateless.extra'], seen
        assert admin('test.stateless.extra', 'search_count', []) == 0
    finally:
        _module_action(admin, 'test_stateless_extra', 'button_immediate_uninstall')
    for seen in on_every_worker(workers, _observe(user)):
        assert seen['models'] == [], seen


def test_every_worker_enforces_an_access_right_changed_on_one(env):
    _server, admin, user, _uid, workers = env
    assert not any(s['can_create_item'] for s in on_every_worker(workers, _observe(user)))
    acl = admin('ir.model.access', 'search', [('name', '=', 'item user')])
    admin('ir.model.access', 'write', acl, {'perm_create': True})
    try:
        assert all(s['can_create_item'] for s in on_every_worker(workers, _observe(user)))
    finally:
        admin('ir.model.access', 'write', acl, {'perm_create': False})
    assert not any(s['can_create_item'] for s in on_every_worker(workers, _observe(user)))


def test_every_worker_applies_a_record_rule_added_on_one(env):
    _server, admin, user, uid, workers = env
    mine = admin('test.stateless.item', 'create', {'name': 'mine', 'owner_id': uid})
    theirs = admin('test.stateless.item', 'create', {'name': 'theirs', 'owner_id': SUPERUSER_ID})
    assert all(theirs in s['visible_items'] for s in on_every_worker(workers, _observe(user)))
    model_id = admin('ir.model', 'search', [('model', '=', 'test.stateless.item')])[0]
    group_user = admin('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    rule = admin(
        'ir.rule',
        'create',
        {
            'name': 'own items',
            'model_id': model_id,
            'domain_force': "[('owner_id', '=', user.id)]",
            'groups': [(6, 0, [group_user])],
        },
    )
    try:
        for seen in on_every_worker(workers, _observe(user)):
            assert mine in seen['visible_items'] and theirs not in seen['visible_items'], seen
    finally:
        admin('ir.rule', 'unlink', [rule])
    assert all(theirs in s['visible_items'] for s in on_every_worker(workers, _observe(user)))


def test_every_worker_refuses_a_user_whose_group_was_removed_on_one(env):
    _server, admin, user, uid, workers = env
    group_user = admin('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    admin('res.users', 'write', [uid], {'groups_id': [(3, group_user)]})
    try:
        assert all(s['visible_items'] is None for s in on_every_worker(workers, _observe(user)))
    finally:
        admin('res.users', 'write', [uid], {'groups_id': [(4, group_user)]})
    assert all(s['visible_items'] is not None for s in on_every_worker(workers, _observe(user)))


def test_every_worker_refuses_the_old_password_once_changed_on_one(env):
    _server, admin, user, uid, workers = env
    # every worker has the old password in its credentials cache
    assert all(
        s['credentials']
        for s in on_every_worker(workers, _observe(admin, check_uid=uid, check_password='pw1'))
    )
    admin('res.users', 'write', [uid], {'password': 'pw2'})
    try:
        for seen in on_every_worker(workers, _observe(admin, check_uid=uid, check_password='pw1')):
            assert seen['credentials'] is False, seen
        # and real calls with the old password, on fresh connections, are all refused (sent from
        # another address: that many failures slow the user down where they come from)
        stale = admin.as_user(uid, 'pw1', source='127.0.0.2')
        for _result, error in _concurrently([lambda: stale('res.users', 'context_get')] * SPREAD):
            assert isinstance(error, xmlrpc.client.Fault) and error.faultCode == 3, error
        renewed = admin.as_user(uid, 'pw2')
        assert all(s['pid'] for s in on_every_worker(workers, _observe(renewed)))
    finally:
        admin('res.users', 'write', [uid], {'password': 'pw1'})
    assert all(s['pid'] for s in on_every_worker(workers, _observe(user)))


def test_every_worker_reads_a_config_parameter_set_on_one(env):
    _server, admin, user, _uid, workers = env
    for value in ('first', 'second'):
        admin('ir.config_parameter', 'set_param', 'stateless.key', value)
        assert {s['param'] for s in on_every_worker(workers, _observe(user))} == {value}


def test_every_worker_rounds_with_a_decimal_precision_changed_on_one(env):
    _server, admin, _user, _uid, workers = env
    rounded = lambda: admin('test.stateless.probe', 'round_value', 1.23456)  # noqa: E731
    assert {s['value'] for s in on_every_worker(workers, rounded)} == {1.23}
    precision = admin('decimal.precision', 'search', [('name', '=', 'Stateless Precision')])
    admin('decimal.precision', 'write', precision, {'digits': 4})
    try:
        assert {s['value'] for s in on_every_worker(workers, rounded)} == {1.2346}
        assert {tuple(s['digits']) for s in on_every_worker(workers, _observe(admin))} == {(16, 4)}
    finally:
        admin('decimal.precision', 'write', precision, {'digits': 2})


def test_a_wizard_created_on_one_worker_is_finished_on_every_other(env):
    _server, admin, user, uid, workers = env
    item = admin('test.stateless.item', 'create', {'name': 'wizard target', 'owner_id': uid})
    made = user('test.stateless.probe', 'create_wizard', 'done elsewhere')
    finished = on_every_worker(
        workers, lambda: user('test.stateless.probe', 'apply_wizard', made['id'], item)
    )
    assert {s['pid'] for s in finished} - {made['pid']}
    assert {s['note'] for s in finished} == {'done elsewhere'}


def test_four_workers_noticing_one_install_at_once_each_reload_once_without_errors(env):
    server, admin, user, _uid, workers = env
    on_every_worker(workers, _observe(user))  # all current before the change
    offset = os.path.getsize(server.log_path)
    _module_action(admin, 'test_stateless_extra', 'button_immediate_install')
    try:
        # eight clients at once, right after the install returned; then more rounds until every
        # worker has answered: nobody gets an error, everybody sees the new model
        answers = on_every_worker(workers, _observe(user))
        assert all(s['models'] == ['test.stateless.extra'] for s in answers)
        for _result, error in _concurrently(
            [lambda: user('test.stateless.extra', 'search_count', [])] * SPREAD
        ):
            assert error is None, error
        time.sleep(0.2)  # the log handler of the last worker may still be writing
        with open(server.log_path, encoding='utf-8', errors='replace') as handle:
            handle.seek(offset)
            log = handle.read()
    finally:
        _module_action(admin, 'test_stateless_extra', 'button_immediate_uninstall')
    installer = {
        int(pid)
        for pid in re.findall(
            r'^\S+ \S+ (\d+) INFO \S+: module test_stateless_extra: '
            r'installed$',
            log,
            re.M,
        )
    }
    assert len(installer) == 1, log
    reloads = {
        pid: len(re.findall(r'^\S+ \S+ %d INFO \S+: registry of \S+ %s$' % (pid, RELOADING), log, re.M))
        for pid in workers
    }
    expected = {pid: 0 if pid in installer else 1 for pid in workers}
    assert reloads == expected, log
    assert ' ERROR ' not in log and 'Traceback' not in log, log
