"""Every request's cost bounded, under the threaded, waitress and gunicorn servers: SQL time,
memory while decoding, connections per process, slow clients, and every malformed body answered
in the protocol of its route.

Each server runs with small limits so that reaching them takes seconds: ``--limit-time-read 2``,
``--limit-time-sql 2``, ``--db_maxconn 6``, ``--db-idle-timeout 1``.
"""

import json
import socket
import threading
import time
import xmlrpc.client

import psutil
import pytest

from tests.support import pg as pgsupport
from tests.support import rpc
from tests.support.orm import TEST_ADDONS

from .support import CLEAN, OK, UNEXPECTED, children, sql, wait_for

KINDS = {
    'threaded': [],
    'waitress': ['--server', 'waitress', '--threads', '4'],
    'gunicorn': ['--server', 'gunicorn', '--workers', '2'],
}
LIMITS = [
    '--limit-time-read',
    '2',
    '--limit-time-sql',
    '2',
    '--db_maxconn',
    '6',
    '--db-idle-timeout',
    '1',
    '--max-cron-threads',
    '0',
]


@pytest.fixture(scope='module')
def bounds_db(pg, rel_server):
    """A database with ``test_misbehave`` installed (its methods misbehave on purpose)."""
    name = pgsupport.new_db_name('oelbound')
    rpc.proxy(rel_server, 'db', timeout=300).create_database(
        rel_server.admin_passwd, name, False, 'en_US', 'admin'
    )
    admin = rpc.proxy(rel_server, 'object', timeout=300)

    def call(model, method, *args):
        return admin.execute_kw(name, 1, 'admin', model, method, list(args))

    call('ir.module.module', 'update_list')
    call(
        'ir.module.module',
        'button_immediate_install',
        call('ir.module.module', 'search', [('name', '=', 'test_misbehave')]),
    )
    yield name
    pgsupport.drop_database(pg, name)


@pytest.fixture(scope='module', params=sorted(KINDS))
def bounded(request, bounds_db, start_server_module):
    kind = request.param
    server = start_server_module(['--addons-path', TEST_ADDONS] + KINDS[kind] + LIMITS)
    if kind == 'gunicorn':
        assert wait_for(lambda: len(children(server.pid)) == 2, timeout=30)
    server.kind = kind
    return server


def _call(server, db, method, *args, timeout=60):
    return rpc.proxy(server, 'object', timeout=timeout, resend=False).execute_kw(
        db, 1, 'admin', 'test.misbehave', method, list(args)
    )


def _serving_pids(server):
    return children(server.pid) if server.kind == 'gunicorn' else [server.pid]


def _running_sleeps(pg):
    return sql(
        pg,
        'postgres',
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
        "application_name LIKE 'openerp-lite sql_sleep pid %%'",
    )[0][0]


# -- SQL time --------------------------------------------------------------------------------


def test_a_runaway_statement_is_cancelled_with_a_clean_fault(pg, bounds_db, bounded, scenario):
    row = scenario('SQL time: a 30 s statement under --limit-time-sql 2 (%s)' % bounded.kind)
    rows_before = _call(bounded, bounds_db, 'search_count', [])
    started = time.monotonic()
    with pytest.raises(xmlrpc.client.Fault) as info:
        _call(bounded, bounds_db, 'sql_sleep', 30)
    took = time.monotonic() - started
    row.count(CLEAN)
    assert 'ran longer than 2 s (--limit-time-sql)' in info.value.faultString
    assert took < 10, took
    assert wait_for(lambda: _running_sleeps(pg) == 0, timeout=5)
    # the server goes on serving, and the cancelled call left no row behind
    assert _call(bounded, bounds_db, 'search_count', []) == rows_before
    row.note('refused after %.1fs; no statement left running' % took)


def test_read_only_methods_run_in_read_only_transactions(bounds_db, bounded, scenario):
    row = scenario('read-only methods cannot write (%s)' % bounded.kind)
    with pytest.raises(xmlrpc.client.Fault) as info:
        _call(bounded, bounds_db, 'write_in_a_read', 'never')
    row.count(CLEAN)
    assert 'read-only transaction' in info.value.faultString
    assert _call(bounded, bounds_db, 'search_count', [('name', '=', 'never')]) == 0


def test_a_worker_killed_for_its_time_limit_leaves_no_query_running(pg, bounds_db, start_server, scenario):
    row = scenario('SQL time: worker killed by --limit-time-real 3, statement unbounded (gunicorn)')
    server = start_server(
        [
            '--addons-path',
            TEST_ADDONS,
            '--workers',
            '2',
            '--limit-time-real',
            '3',
            '--limit-time-sql',
            '0',
            '--max-cron-threads',
            '0',
        ]
    )
    server.kind = 'gunicorn'
    assert wait_for(lambda: len(children(server.pid)) == 2, timeout=30)
    before = set(children(server.pid))
    try:
        _call(server, bounds_db, 'sql_sleep', 60, timeout=30)
        row.count(UNEXPECTED)
    except (OSError, xmlrpc.client.ProtocolError, http_errors()):
        row.count(CLEAN)
    assert wait_for(lambda: set(children(server.pid)) != before, timeout=10)
    # the backend noticed its client was gone (client_connection_check_interval) and stopped
    gone = wait_for(lambda: _running_sleeps(pg) == 0, timeout=5)
    row.note('worker replaced; statement still running 5 s later: %s' % (not gone))
    assert gone


def http_errors():
    import http.client

    return http.client.HTTPException


# -- memory and malformed bodies ----------------------------------------------------------------


def _post(server, path, body, content_type='application/json', timeout=60):
    return server.request('POST', path, body, {'Content-Type': content_type}, timeout=timeout)


def _rss(server):
    return sum(psutil.Process(pid).memory_info().rss for pid in _serving_pids(server))


BAD_BODIES = {
    'JSON: 30 MB of empty objects': (
        '/jsonrpc',
        b'{"jsonrpc":"2.0","method":"call","params":{"service":'
        b'"common","method":"version","args":[' + b'{},' * 10_000_000 + b'{}]},"id":1}',
    ),
    'JSON: 100,000 levels deep': ('/jsonrpc', b'[' * 100_000 + b']' * 100_000),
    'JSON: NaN in the arguments': (
        '/jsonrpc',
        b'{"jsonrpc":"2.0","method":"call","id":2,"params":'
        b'{"service":"common","method":"version","args":[NaN]}}',
    ),
    'JSON: 1e999': (
        '/jsonrpc',
        b'{"jsonrpc":"2.0","method":"call","id":3,"params":'
        b'{"service":"common","method":"version","args":[1e999]}}',
    ),
    'web: 100,000 levels deep': ('/web/session/authenticate', b'[' * 100_000 + b']' * 100_000),
    'XML-RPC: unknown value element': (
        '/xmlrpc/2/common',
        b"<?xml version='1.0'?><methodCall>"
        b'<methodName>version</methodName><params><param><value>'
        b'<foo>1</foo></value></param></params></methodCall>',
    ),
    'XML-RPC: nan': (
        '/xmlrpc/2/common',
        b"<?xml version='1.0'?><methodCall><methodName>version"
        b'</methodName><params><param><value><double>nan</double></value></param>'
        b'</params></methodCall>',
    ),
    'XML-RPC: 10,000 levels deep': (
        '/xmlrpc/2/common',
        b"<?xml version='1.0'?><methodCall>"
        b'<methodName>version</methodName><params><param>'
        + b'<value><array><data>' * 10_000
        + b'</data></array></value>' * 10_000
        + b'</param></params></methodCall>',
    ),
    'XML-RPC: 1.2 million values': (
        '/xmlrpc/2/common',
        b"<?xml version='1.0'?><methodCall>"
        b'<methodName>version</methodName><params><param><value><array>'
        b'<data>'
        + b'<value><i4>1</i4></value>' * 1_200_000
        + b'</data></array></value></param></params></methodCall>',
    ),
}


def _protocol_error(path, status, headers, data):
    """The error named in the protocol of ``path``, or None when the answer is anything else."""
    if status not in (200, 413):
        return None
    if path.startswith('/xmlrpc'):
        try:
            xmlrpc.client.loads(data)
        except xmlrpc.client.Fault as fault:
            return str(fault.faultString)[:120]
        except Exception:  # noqa: BLE001 - not XML-RPC: the finding
            return None
        return None
    try:
        reply = json.loads(data)
    except ValueError:
        return None
    error = reply.get('error') if isinstance(reply, dict) else None
    return (error.get('data') or {}).get('message', error.get('message')) if error else None


def test_every_malformed_or_amplifying_body_gets_the_protocol_error(bounded, scenario):
    row = scenario('malformed and amplifying bodies (%s)' % bounded.kind)
    before = _rss(bounded)
    workers = _serving_pids(bounded)
    findings, notes = [], []
    for label, (path, body) in BAD_BODIES.items():
        started = time.monotonic()
        status, headers, data = _post(
            bounded, path, body, 'text/xml' if path.startswith('/xmlrpc') else 'application/json'
        )
        message = _protocol_error(path, status, headers, data)
        row.count(CLEAN if message else UNEXPECTED, expected=(CLEAN,))
        if not message:
            findings.append((label, status, data[:200]))
        notes.append('%s: %.1fs' % (label.split(':')[0], time.monotonic() - started))
    grown = (_rss(bounded) - before) / 2**20
    row.note('server memory +%.0f MB; %s' % (grown, '; '.join(notes[:2])))
    assert findings == []
    assert grown < 150, grown
    assert _serving_pids(bounded) == workers, 'a worker died'


def test_a_body_over_the_size_limit_is_refused_unread_with_the_protocol_error(bounded, scenario):
    row = scenario('body over --max-request-size: 413 with the protocol error (%s)' % bounded.kind)
    for path in ('/jsonrpc', '/xmlrpc/2/object', '/xmlrpc/object'):
        sock = socket.create_connection(('127.0.0.1', bounded.port), timeout=30)
        try:
            sock.sendall(
                b'POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n'
                b'Content-Length: %d\r\n\r\n' % (path.encode(), 100 * 2**20)
            )
            data = b''
            while True:  # the server closes the connection after its answer
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            sock.close()
        head, _sep, payload = data.partition(b'\r\n\r\n')
        # waitress refuses it itself, before the application, with its own text naming the size
        named = b'max_body of %d' % (32 * 2**20) if bounded.kind == 'waitress' else b'--max-request-size'
        ok = b' 413 ' in head.split(b'\r\n')[0] and named in payload
        row.count(CLEAN if ok else UNEXPECTED, expected=(CLEAN,))
        assert ok, data[:400]


# -- slow clients -----------------------------------------------------------------------------


def _slow_sockets(server, count, body=False):
    """``count`` connections that send half a request and stall."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(('127.0.0.1', server.port), timeout=15)
        if body:
            sock.sendall(
                b'POST /jsonrpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
                b'Content-Length: 1000\r\n\r\n{"jsonrpc":'
            )
        else:
            sock.sendall(b'POST /xmlrpc/2/common HTTP/1.1\r\nHost: x\r\nContent-Ty')
        sockets.append(sock)
    return sockets


def _closed_by_server(sock, timeout):
    sock.settimeout(timeout)
    try:
        return sock.recv(4096) is not None  # b'' (closed) or an error status: either is an end
    except socket.timeout:
        return False
    except OSError:
        return True


def test_slow_clients_are_dropped_and_do_not_stop_the_server(bounded, scenario):
    row = scenario('slow clients: half-sent headers and bodies (%s)' % bounded.kind)
    count = 4 if bounded.kind == 'gunicorn' else 6
    slow = _slow_sockets(bounded, count // 2) + _slow_sockets(bounded, count // 2, body=True)
    try:
        time.sleep(0.3)
        started = time.monotonic()
        version = rpc.proxy(bounded, 'common', timeout=20).version()
        served_after = time.monotonic() - started
        row.count(OK if version else UNEXPECTED, expected=())
        closed = [_closed_by_server(sock, 6) for sock in slow]
        for was_closed in closed:
            row.count(CLEAN if was_closed else UNEXPECTED, expected=(CLEAN,))
    finally:
        for sock in slow:
            sock.close()
    row.note(
        '%d slow clients; a call served in %.1fs meanwhile; all dropped within the deadline: %s'
        % (count, served_after, all(closed))
    )
    assert served_after < 6, served_after
    assert all(closed)


def test_waitress_keeps_serving_past_a_hundred_slow_sockets(start_server, scenario):
    """waitress reads asynchronously: a slow client costs a socket, not a thread, and its
    connection limit (100 by default) comes from --connection-limit (1000)."""
    row = scenario('slow clients: 150 idle sockets (waitress)')
    server = start_server(KINDS['waitress'] + LIMITS)
    slow = []
    try:
        for _ in range(150):
            slow.append(socket.create_connection(('127.0.0.1', server.port), timeout=10))
        time.sleep(0.3)
        version = rpc.proxy(server, 'common', timeout=20).version()
        row.count(OK if version else UNEXPECTED, expected=())
        assert version['server_version']
    finally:
        for sock in slow:
            sock.close()


# -- connections --------------------------------------------------------------------------------


def _backends(pg, db):
    return sql(pg, 'postgres', 'SELECT count(*) FROM pg_stat_activity WHERE datname = %s', (db,))[0][0]


def test_connections_are_capped_per_process_and_idle_ones_closed(pg, rel_server, bounded, scenario):
    row = scenario('connections: 30 wrong-password clients, --db_maxconn 6 (%s)' % bounded.kind)
    db = pgsupport.new_db_name('oelconn')
    rpc.proxy(rel_server, 'db', timeout=300).create_database(
        rel_server.admin_passwd, db, False, 'en_US', 'admin'
    )
    try:
        sql(
            pg, 'postgres', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s', (db,)
        )
        wait_for(lambda: _backends(pg, db) == 0, timeout=10)
        peak = [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], _backends(pg, db))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def guess(index):
            source = '127.0.1.%d' % (index + 1)  # one source each: no back-off between them
            return rpc.proxy(bounded, 'common', timeout=60, source=source).login(db, 'admin', 'wrong')

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        stop.set()
        watcher.join(5)
        processes = len(_serving_pids(bounded))
        after = wait_for(lambda: _backends(pg, db) <= processes, timeout=15)
        health = json.loads(bounded.request('GET', '/web/health')[2])
        pools = (
            [health['process']['pool']]
            if 'process' in health
            else [worker['pool'] for worker in health['workers']]
        )
        row.count(OK if peak[0] <= 6 * processes else UNEXPECTED, expected=())
        row.note(
            'peak %d backends for %d process(es); %s idle left after the idle timeout'
            % (peak[0], processes, _backends(pg, db))
        )
        assert peak[0] <= 6 * processes, peak
        assert after, _backends(pg, db)
        assert all({'open', 'in_use', 'idle', 'waiting', 'refused'} <= set(pool) for pool in pools)
    finally:
        pgsupport.drop_database(pg, db)


# -- a database restored under the same name -----------------------------------------------------


def test_a_database_restored_under_the_same_name_is_noticed(pg, rel_server, bounded, scenario):
    row = scenario('database dropped and restored under the same name (%s)' % bounded.kind)
    db = pgsupport.new_db_name('oelident')
    dbs = rpc.proxy(rel_server, 'db', timeout=300)
    dbs.create_database(rel_server.admin_passwd, db, False, 'en_US', 'admin')
    try:
        admin = rpc.proxy(rel_server, 'object', timeout=60)
        dump = dbs.dump(rel_server.admin_passwd, db)  # the counters as they are now: low
        for value in ('first', 'second', 'third'):
            admin.execute_kw(db, 1, 'admin', 'ir.config_parameter', 'set_param', ['identity.key', value])
        served = rpc.proxy(bounded, 'object', timeout=60)
        for _ in range(6):  # every process of the server loads it and caches the parameter
            assert (
                served.execute_kw(db, 1, 'admin', 'ir.config_parameter', 'get_param', ['identity.key'])
                == 'third'
            )
        dbs.drop(rel_server.admin_passwd, db)
        dbs.restore(rel_server.admin_passwd, db, dump)
        # three changes again: the counters are back where the server last saw them, only the
        # database's identity says it is another one
        for value in ('one', 'two', 'restored'):
            admin.execute_kw(db, 1, 'admin', 'ir.config_parameter', 'set_param', ['identity.key', value])
        seen = {
            served.execute_kw(db, 1, 'admin', 'ir.config_parameter', 'get_param', ['identity.key'])
            for _ in range(8)
        }
        row.count(OK if seen == {'restored'} else UNEXPECTED, expected=())
        row.note('after the restore every call read: %s' % ', '.join(sorted(seen)))
        assert seen == {'restored'}
    finally:
        pgsupport.drop_database(pg, db)


def test_the_memory_limit_striking_while_decoding_gets_the_documented_fault(start_server, scenario):
    """Under gunicorn, --limit-memory-hard makes an allocation past it fail: while a big body is
    decoded too, the call gets the "memory limit exceeded" error, and the worker goes on."""
    row = scenario('memory limit striking inside the JSON decoder (gunicorn)')
    server = start_server(
        [
            '--workers',
            '1',
            '--max-cron-threads',
            '0',
            '--limit-memory-hard',
            str(380 * 2**20),
            '--max-request-size',
            str(100 * 2**20),
        ]
    )
    assert wait_for(lambda: len(children(server.pid)) == 1, timeout=30)
    [worker] = children(server.pid)
    body = (
        b'{"jsonrpc":"2.0","method":"call","id":7,"params":{"service":"common","method":'
        b'"version","args":["' + b'x' * (90 * 2**20) + b'"]}}'
    )
    status, _headers, data = _post(server, '/jsonrpc', body)
    del body
    reply = json.loads(data)
    message = (reply.get('error') or {}).get('data', {}).get('message', '')
    row.count(
        CLEAN if status == 200 and 'memory limit exceeded' in message else UNEXPECTED, expected=(CLEAN,)
    )
    assert status == 200 and 'memory limit exceeded' in message, (status, data[:300])
    assert rpc.proxy(server, 'common').version()['server_version']
    assert children(server.pid) == [worker]
    row.note('HTTP %s, "%s"; the worker kept serving' % (status, message[:40]))


def test_a_stored_nan_never_reaches_a_reply_as_text_that_is_not_json(pg, bounds_db, bounded, scenario):
    """A NaN written behind the ORM's back (Float fields refuse one): read_group's sum over it
    gets an error naming the problem, in valid JSON and as a fault, not a broken reply."""
    row = scenario('a NaN stored behind the ORM, read back (%s)' % bounded.kind)
    sql(pg, bounds_db, "UPDATE res_currency SET rate = 'NaN' WHERE id = 1")
    try:
        body = json.dumps(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 9,
                'params': {
                    'service': 'object',
                    'method': 'execute_kw',
                    'args': [
                        bounds_db,
                        1,
                        'admin',
                        'res.currency',
                        'read_group',
                        [[], ['rate:sum'], ['name']],
                    ],
                },
            }
        )
        _status, _headers, data = _post(bounded, '/jsonrpc', body.encode())
        reply = json.loads(data)  # valid JSON whatever happened
        message = (reply.get('error') or {}).get('data', {}).get('message', '')
        row.count(CLEAN if 'error' in reply and 'JSON' in message else UNEXPECTED, expected=(CLEAN,))
        assert 'error' in reply and 'JSON' in message, reply
        with pytest.raises(xmlrpc.client.Fault) as info:
            rpc.proxy(bounded, 'object').execute_kw(
                bounds_db, 1, 'admin', 'res.currency', 'read_group', [[], ['rate:sum'], ['name']]
            )
        assert 'cannot carry' in info.value.faultString
        row.count(CLEAN)
    finally:
        sql(pg, bounds_db, 'UPDATE res_currency SET rate = 1.0 WHERE id = 1')
