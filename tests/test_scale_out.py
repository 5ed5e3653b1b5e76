"""Past one database server: hot standbys with read-your-writes, and failover without a restart.

A primary and a plain asynchronous hot standby are made here with ``initdb`` and ``pg_basebackup
-R`` (``openerp_lite/bench/cluster.py``); real server processes talk to them over XML-RPC. The
standby's own statistics show that it served the reads; every read after a write made on another
process sees the write; a standby that stops costs no call; stopping the primary and promoting
the standby under load loses no committed row and needs no restart. (PgBouncer in transaction
pooling: ``test_pgbouncer.py``.)
"""

import json
import threading
import time
import urllib.request
import xmlrpc.client

import pytest

from openerp_lite.bench.cluster import Cluster, Unavailable
from openerp_lite.orm.environment import SUPERUSER_ID
from tests.support import pg as pgsupport
from tests.support.server import free_port, start_server

ADMIN = 'admin'


class Client:
    """``execute_kw`` on one server as one user, over its own HTTP connection."""

    def __init__(self, server, db, uid=SUPERUSER_ID, password=ADMIN):
        self.server, self.db, self.uid, self.password = server, db, uid, password
        self.proxy = server.xmlrpc('object')

    def __call__(self, model, method, *args, **kwargs):
        return self.proxy.execute_kw(self.db, self.uid, self.password, model, method, list(args), kwargs)

    def fresh(self):
        return Client(self.server, self.db, self.uid, self.password)


def health(server):
    with urllib.request.urlopen(server.url + '/web/health', timeout=30) as response:
        return json.loads(response.read())


def standby_figures(server):
    (figures,) = health(server)['replicas']
    return figures


@pytest.fixture(scope='module')
def cluster():
    try:
        made = Cluster()
    except Unavailable as missing:
        pytest.skip(str(missing))
    try:
        made.start_primary()
        made.add_standby()
        yield made
    finally:
        made.destroy()


@pytest.fixture(scope='module')
def servers(cluster):
    """Two server processes reading on the standby, and the database they share."""
    standby = cluster.standbys[0]
    args = [
        '--db_replica_host',
        '127.0.0.1',
        '--db_replica_port',
        str(standby.port),
        '--addons-path',
        'tests/addons',
    ]
    first = start_server(cluster.primary.params, args)
    second = start_server(cluster.primary.params, args)
    name = 'oelt_scale'
    first.xmlrpc('db').create_database(first.admin_passwd, name, False, 'en_US', ADMIN)
    cluster.wait_replayed(standby)
    yield first, second, name
    first.stop()
    second.stop()


def test_read_only_calls_are_served_by_the_standby(cluster, servers):
    first, _second, db = servers
    standby = cluster.standbys[0]
    client = Client(first, db)
    partner = client('res.partner', 'create', {'name': 'Read Where'})
    before = standby.xact_commits(db)
    reads_before = standby_figures(first)['reads']
    for _ in range(50):
        assert client('res.partner', 'read', [partner], ['name'])[0]['name'] == 'Read Where'
    # a backend publishes its counts at the end of a transaction a second after its last report
    # (else when idle for ten): one more read then
    time.sleep(1.1)
    client('res.partner', 'read', [partner], ['name'])
    # the standby's own statistics: each read is a transaction there (and its replay check one more)
    assert standby.xact_commits(db, at_least=before + 50) - before >= 50
    assert standby.sessions_of(db) >= 1
    figures = standby_figures(first)
    assert figures['state'] == 'up'
    assert figures['reads'] - reads_before == 51
    assert figures['lag_bytes'] is not None
    # a write never goes there: the standby refuses any, and the call succeeds
    client('res.partner', 'write', [partner], {'name': 'Written'})
    assert client('res.partner', 'read', [partner], ['name'])[0]['name'] == 'Written'
    # the operator's status page shows the standby, its state and its reads
    with urllib.request.urlopen(first.url + '/web/status', timeout=30) as response:
        page = response.read().decode()
    assert 'Hot standbys of this process' in page and figures['server'] in page, page[-3000:]


def test_every_read_after_a_write_on_another_process_sees_it(servers):
    """1,000 write-then-read pairs: written through one process, read at once through another,
    whose reads go to an asynchronous standby."""
    first, second, db = servers
    writer, reader = Client(first, db), Client(second, db)
    partner = writer('res.partner', 'create', {'name': 'rw-start', 'ref': '0'})
    reads_before = standby_figures(second)
    stale = []
    for round_number in range(1000):
        value = 'rw-%d' % round_number
        writer('res.partner', 'write', [partner], {'ref': value})
        seen = reader('res.partner', 'read', [partner], ['ref'])[0]['ref']
        if seen != value:
            stale.append((value, seen))
    assert stale == []
    figures = standby_figures(second)
    served = figures['reads'] - reads_before['reads']
    skipped = figures['skipped'] - reads_before['skipped']
    # every read ran somewhere, most of them on the standby (the rest on the primary, never stale)
    assert served > 0
    assert served + skipped >= 1000


def test_rights_removed_on_one_process_are_enforced_by_standby_reads_on_another(servers):
    """The cache signals and credentials read on a standby are never older than what the caller
    could know: a password changed or a group removed through A is refused at once through B."""
    first, second, db = servers
    admin_a = Client(first, db)
    group_user = admin_a('ir.model.data', 'xmlid_to_res_id', 'base.group_user')
    uid = admin_a(
        'res.users',
        'create',
        {
            'name': 'Standby User',
            'login': 'standby_user',
            'password': 'pw1',
            'groups_id': [(6, 0, [group_user])],
        },
    )
    user_b = Client(second, db, uid, 'pw1')
    for _ in range(3):
        assert user_b('res.partner', 'search_count', []) >= 0
    admin_a('res.users', 'write', [uid], {'password': 'pw2'})
    with pytest.raises(xmlrpc.client.Fault) as refused:
        user_b('res.partner', 'search_count', [])
    assert 'denied' in refused.value.faultString.lower() or refused.value.faultCode in (3, '3')
    user_b = Client(second, db, uid, 'pw2')
    assert user_b('res.partner', 'search_count', []) >= 0
    admin_a('res.users', 'write', [uid], {'groups_id': [(3, group_user)]})
    with pytest.raises(xmlrpc.client.Fault):
        user_b('res.partner', 'search', [])


def test_a_module_installed_on_one_process_is_served_by_standby_reads_on_another(servers):
    """The registry signal read on a standby: B's next read there reloads its registry (from the
    standby, caught up) and serves the new model; after the uninstall it is gone again."""
    first, second, db = servers
    a, b = Client(first, db), Client(second, db)
    assert b('res.partner', 'search_count', []) >= 1
    a('ir.module.module', 'update_list')
    (module,) = a('ir.module.module', 'search', [('name', '=', 'test_stateless_extra')])
    a('ir.module.module', 'button_immediate_install', [module])
    reads_before = standby_figures(second)['reads']
    assert b('res.partner', 'search_count', []) >= 1
    assert b('ir.model', 'search_count', [('model', '=', 'test.stateless.extra')]) == 1
    assert b('test.stateless.extra', 'search', []) == []
    assert standby_figures(second)['reads'] - reads_before == 3
    a('ir.module.module', 'button_immediate_uninstall', [module])
    with pytest.raises(xmlrpc.client.Fault) as gone:
        b('test.stateless.extra', 'search', [])
    assert "doesn't exist" in gone.value.faultString
    assert b('ir.model', 'search_count', [('model', '=', 'test.stateless.extra')]) == 0


def test_prefork_workers_read_on_the_standby(cluster, servers):
    """Each gunicorn worker opens its own standby connections after the fork."""
    _first, _second, db = servers
    standby = cluster.standbys[0]
    started = standby.query('SELECT now()')[0][0]
    prefork = start_server(
        cluster.primary.params,
        ['--workers', '2', '--db_replica_host', '127.0.0.1', '--db_replica_port', str(standby.port)],
    )
    try:
        for _ in range(20):
            client = Client(prefork, db)  # a new connection each time: both workers answer
            assert client('res.partner', 'search_count', []) >= 1
        # sessions a worker opened on the standby after the fork, their last statement a read's commit
        assert standby.sessions_of(db, since=started, last_statement='COMMIT') >= 1
    finally:
        prefork.stop()


def test_a_stopped_standby_costs_no_failed_call(cluster, servers):
    first, _second, db = servers
    standby = cluster.standbys[0]
    client = Client(first, db)
    partner = client('res.partner', 'create', {'name': 'Still Readable'})
    failures, done = [], []
    stop = threading.Event()

    def reader():
        mine = client.fresh()
        count = 0
        while not stop.is_set() and count < 2000:
            try:
                assert mine('res.partner', 'read', [partner], ['name'])[0]['name'] == 'Still Readable'
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                failures.append(repr(error))
            count += 1
        done.append(count)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        standby.stop('fast')  # sessions in flight are terminated
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    try:
        assert failures == []
        assert sum(done) > 0
        figures = standby_figures(first)
        assert figures['state'] == 'down', figures
        assert client('res.partner', 'read', [partner], ['name'])[0]['name'] == 'Still Readable'
    finally:
        standby.start()
    cluster.wait_replayed(standby)
    # back in service after its rest, with no restart of the server
    served = standby_figures(first)['reads']
    for _ in range(200):
        client('res.partner', 'read', [partner], ['name'])
        if standby_figures(first)['reads'] > served:
            break
        time.sleep(0.1)
    assert standby_figures(first)['reads'] > served


def test_failover_under_load_loses_no_committed_row(cluster, servers):
    """The primary stops, the standby is promoted: calls in flight fail with a fault naming the
    lost connection, new calls succeed on the new primary, the server is not restarted, and every
    row whose create returned is there. (Runs last: it leaves the standby as the primary.)"""
    _first, _second, db = servers
    old, new = cluster.primary, cluster.standbys[0]
    server = start_server(
        old.params,
        [
            '--db_host',
            '127.0.0.1,127.0.0.1',
            '--db_port',
            '%d,%d' % (old.port, new.port),
            '--db_replica_host',
            '127.0.0.1',
            '--db_replica_port',
            str(new.port),
        ],
    )
    try:
        _failover_under_load(cluster, server, db, old, new)
    finally:
        server.stop()


def _failover_under_load(cluster, server, db, old, new):
    pid = server.pid
    created, faults, unexpected = [], [], []
    after_promotion = threading.Event()
    stop = threading.Event()
    successes_after = []

    def writer(number):
        client = Client(server, db)
        for index in range(100000):
            if stop.is_set():
                return
            try:
                partner = client('res.partner', 'create', {'name': 'fo-%d-%d' % (number, index)})
                created.append(partner)
                client('res.partner', 'read', [partner], ['name'])
                if after_promotion.is_set():
                    successes_after.append(partner)
            except xmlrpc.client.Fault as fault:
                faults.append(fault.faultString)
                time.sleep(0.05)
            except Exception as error:  # noqa: BLE001 - anything else than a fault is a finding
                unexpected.append(repr(error))
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(created) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        old.stop('fast')
        new.promote()
        after_promotion.set()
        deadline = time.monotonic() + 90
        while len(successes_after) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert unexpected == []
    assert len(successes_after) >= 40, (len(successes_after), faults[-5:])
    for text in faults:
        lowered = text.lower()
        assert 'connection' in lowered or 'unavailable' in lowered, text
    assert server.alive() and server.pid == pid
    rows = new.query('SELECT id FROM res_partner WHERE id = ANY(%s)', (created,), dbname=db)
    assert {row[0] for row in rows} == set(created)


def test_a_standby_that_never_answers_or_is_a_primary_is_skipped(pg):
    """Misconfigured standbys cost no call: one address where nothing listens, and the primary
    itself named as a standby (not in recovery: its data may be anything)."""
    primary_port = pg.get('port') or 5432
    server = start_server(
        pg,
        [
            '--db_replica_host',
            '127.0.0.1,127.0.0.1',
            '--db_replica_port',
            '%d,%d' % (free_port(), primary_port),
        ],
    )
    name = pgsupport.new_db_name('oelt_sk')
    try:
        server.xmlrpc('db').create_database(server.admin_passwd, name, False, 'en_US', ADMIN)
        uid = server.xmlrpc('common').login(name, 'admin', ADMIN)
        client = Client(server, name, uid)
        for _ in range(10):
            assert client('res.partner', 'search_count', []) >= 1
        states = {figures['state'] for figures in health(server)['replicas']}
        assert states == {'down', 'not a standby'}
        assert all(figures['reads'] == 0 for figures in health(server)['replicas'])
    finally:
        server.stop()
        pgsupport.drop_database(pg, name)
