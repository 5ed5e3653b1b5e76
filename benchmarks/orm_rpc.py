"""ORM calls over XML-RPC and JSON-RPC against the threaded server: requests/s, p50 and p99.

Usage::

    .venv/bin/python benchmarks/orm_rpc.py [--partners 10000] [--seconds 5] [--clients 4]

Starts ``./openerp-server`` (threaded) as a subprocess on a free 127.0.0.1 port, against the
PostgreSQL at PGHOST/PGPORT (127.0.0.1:5432 by default) or, when none answers, an embedded one;
creates a scratch database through the ``db`` service, fills it with partners (batched ``create``
calls over XML-RPC), then runs each workload for ``--seconds`` per protocol with ``--clients``
worker processes, each with its own connection, so the client's GIL is not what is measured.
The database is dropped and the server stopped (by pid) at the end, whatever happens.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import random
import sys
import time
import uuid
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.support import pg as pgsupport  # noqa: E402
from tests.support import server as server_support  # noqa: E402

LOGIN = 'admin'
PASSWORD = 'bench-admin'
BATCH = 500
MAX_REQUESTS_PER_WORKER = 1_000_000  # a second bound, beside the duration
READ_FIELDS = ['name', 'email', 'city', 'country_id', 'is_company']
SEARCH_READ_FIELDS = ['name', 'email', 'city', 'zip', 'country_id']
WORKLOADS = ('read', 'search_read', 'create', 'write')
PROTOCOLS = ('xmlrpc', 'jsonrpc')
CITIES = ['Brussels', 'Paris', 'Berlin', 'London', 'Gent', 'Lyon', 'Zurich', 'Taipei']


# -- clients ---------------------------------------------------------------------------------------


class XmlRpcClient:
    def __init__(self, url, db, uid):
        self.proxy = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/object', allow_none=True)
        self.db, self.uid = db, uid

    def call(self, model, method, args, kwargs=None):
        return self.proxy.execute_kw(self.db, self.uid, PASSWORD, model, method, args, kwargs or {})


class JsonRpcClient:
    def __init__(self, url, db, uid):
        host, port = url.split('//', 1)[1].split(':')
        # HTTPConnection reopens the socket by itself when the server closes it after a reply
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.db, self.uid = db, uid
        self.request_id = 0

    def call(self, model, method, args, kwargs=None):
        self.request_id += 1
        body = json.dumps(
            {
                'jsonrpc': '2.0',
                'method': 'call',
                'id': self.request_id,
                'params': {
                    'service': 'object',
                    'method': 'execute_kw',
                    'args': [self.db, self.uid, PASSWORD, model, method, args, kwargs or {}],
                },
            }
        )
        try:
            self.conn.request('POST', '/jsonrpc', body, {'Content-Type': 'application/json'})
            reply = json.loads(self.conn.getresponse().read())
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        if 'error' in reply:
            raise RuntimeError(reply['error'].get('message'))
        return reply['result']


def make_client(protocol, url, db, uid):
    return (XmlRpcClient if protocol == 'xmlrpc' else JsonRpcClient)(url, db, uid)


def make_request(workload, ids, rng, counter):
    """``(method, args, kwargs)`` of one call of ``workload``."""
    if workload == 'read':
        return 'read', [[rng.choice(ids)]], {'fields': READ_FIELDS}
    if workload == 'search_read':
        return (
            'search_read',
            [[('customer', '=', True)]],
            {
                'fields': SEARCH_READ_FIELDS,
                'offset': rng.randrange(0, max(1, len(ids) - 160)),
                'limit': 80,
                'order': 'id',
            },
        )
    if workload == 'create':
        return (
            'create',
            [
                {
                    'name': 'Bench %d-%d' % (os.getpid(), counter),
                    'city': rng.choice(CITIES),
                    'email': 'bench%d@example.com' % counter,
                }
            ],
            {},
        )
    if workload == 'write':
        return 'write', [[rng.choice(ids)], {'city': rng.choice(CITIES), 'ref': str(counter)}], {}
    if workload == 'write_value':
        return 'write', [[rng.choice(ids)], {'value': counter}], {}
    raise ValueError(workload)


# -- workers ---------------------------------------------------------------------------------------


def worker(protocol, workload, url, db, uid, ids, seconds, ready, go, results, model='res.partner'):
    """One client process: warm up, wait for ``go``, call for ``seconds``, report latencies."""
    rng = random.Random(os.getpid())
    latencies, errors, first_error = [], 0, None
    try:
        client = make_client(protocol, url, db, uid)
        method, args, kwargs = make_request(workload, ids, rng, 0)
        client.call(model, method, args, kwargs)
    except Exception as exc:  # reported as one error; the worker still joins the run
        errors, first_error = 1, repr(exc)
    ready.set()
    if not go.wait(60):
        results.put((protocol, workload, [], errors, 0.0, 'never started'))
        return
    started = time.perf_counter()
    deadline = started + seconds
    for counter in range(1, MAX_REQUESTS_PER_WORKER + 1):
        now = time.perf_counter()
        if now >= deadline:
            break
        method, args, kwargs = make_request(workload, ids, rng, counter)
        try:
            client.call(model, method, args, kwargs)
        except Exception as exc:
            errors += 1
            first_error = first_error or repr(exc)
            continue
        latencies.append(time.perf_counter() - now)
    results.put((protocol, workload, latencies, errors, time.perf_counter() - started, first_error))


def run_workload(protocol, workload, url, db, uid, ids, seconds, clients, model='res.partner'):
    """Run ``clients`` worker processes for one workload on ``model``; returns a result row."""
    ctx = multiprocessing.get_context('fork')
    results = ctx.Queue()
    go = ctx.Event()
    processes = []
    readies = []
    for index in range(clients):
        ready = ctx.Event()
        chunk = ids[index::clients] or ids  # disjoint rows per writer: no lock waits measured
        proc = ctx.Process(
            target=worker,
            args=(protocol, workload, url, db, uid, chunk, seconds, ready, go, results, model),
            daemon=True,
        )
        proc.start()
        processes.append(proc)
        readies.append(ready)
    try:
        for ready in readies:
            ready.wait(60)
        go.set()
        latencies, errors, elapsed, first_error = [], 0, 0.0, None
        for _ in processes:
            try:
                _, _, lat, err, took, message = results.get(timeout=seconds + 120)
            except queue.Empty:
                errors += 1
                first_error = first_error or 'a worker did not report'
                continue
            latencies.extend(lat)
            errors += err
            elapsed = max(elapsed, took)
            first_error = first_error or message
    finally:
        for proc in processes:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
    return summarize(workload, protocol, latencies, errors, elapsed, first_error)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float('nan')
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarize(workload, protocol, latencies, errors, elapsed, first_error):
    latencies.sort()
    return {
        'workload': workload,
        'protocol': protocol,
        'rps': len(latencies) / elapsed if elapsed else 0.0,
        'p50': percentile(latencies, 0.50) * 1000,
        'p99': percentile(latencies, 0.99) * 1000,
        'requests': len(latencies),
        'errors': errors,
        'first_error': first_error,
    }


# -- set-up ----------------------------------------------------------------------------------------


def populate(url, db, uid, count):
    """Create ``count`` partners in batches; returns their ids."""
    client = XmlRpcClient(url, db, uid)
    countries = client.call('res.country', 'search', [[]])
    rng = random.Random(7)
    ids = []
    for start in range(0, count, BATCH):
        batch = [
            {
                'name': 'Partner %05d' % n,
                'email': 'p%05d@example.com' % n,
                'city': rng.choice(CITIES),
                'zip': '%05d' % rng.randrange(100000),
                'country_id': rng.choice(countries) if countries else False,
                'is_company': n % 10 == 0,
                'customer': n % 3 != 0,
            }
            for n in range(start, min(count, start + BATCH))
        ]
        ids.extend(client.call('res.partner', 'create', [batch]))
    return ids


def print_table(rows, out=sys.stdout):
    header = ('workload', 'protocol', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'errors')
    lines = [header] + [
        (
            r['workload'],
            r['protocol'],
            '%.0f' % r['rps'],
            '%.2f' % r['p50'],
            '%.2f' % r['p99'],
            str(r['requests']),
            str(r['errors']),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        out.write(
            '  '.join(
                cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))
            ).rstrip()
            + '\n'
        )
        if number == 0:
            out.write('  '.join('-' * w for w in widths) + '\n')
    for row in rows:
        if row['first_error']:
            out.write('%s/%s first error: %s\n' % (row['workload'], row['protocol'], row['first_error']))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--partners', type=int, default=10000, help='partners to create first')
    parser.add_argument('--seconds', type=float, default=5.0, help='duration of each workload')
    parser.add_argument('--clients', type=int, default=4, help='client processes per workload')
    parser.add_argument('--workloads', default=','.join(WORKLOADS), help='comma-separated subset')
    parser.add_argument('--protocols', default=','.join(PROTOCOLS), help='comma-separated subset')
    args = parser.parse_args(argv)
    if args.partners < 1 or args.clients < 1 or not 0 < args.seconds <= 600:
        parser.error('--partners and --clients must be positive, --seconds in (0, 600]')
    workloads = [w for w in args.workloads.split(',') if w]
    protocols = [p for p in args.protocols.split(',') if p]
    for name in workloads + protocols:
        if name not in WORKLOADS + PROTOCOLS:
            parser.error('unknown workload or protocol %r' % name)

    pg = pgsupport.params()
    server = None
    db = 'bench_%s' % uuid.uuid4().hex[:10]
    created = False
    try:
        server = server_support.start_server(pg, timeout=60)
        print(
            'server pid %d on %s, PostgreSQL %s (%s)'
            % (server.pid, server.url, pg['host'], pgsupport.kind(pg)),
            flush=True,
        )
        dbservice = server.xmlrpc('db')
        started = time.perf_counter()
        created = True  # from here on, drop it even if the creation fails half-way
        dbservice.create_database(server.admin_passwd, db, False, 'en_US', PASSWORD)
        uid = server.xmlrpc('common').authenticate(db, LOGIN, PASSWORD, {})
        if not uid:
            raise RuntimeError('cannot log in as %s on %s' % (LOGIN, db))
        print('database %s created in %.1fs' % (db, time.perf_counter() - started), flush=True)
        started = time.perf_counter()
        ids = populate(server.url, db, uid, args.partners)
        print('%d partners created in %.1fs' % (len(ids), time.perf_counter() - started), flush=True)
        rows = []
        for workload in workloads:
            for protocol in protocols:
                rows.append(
                    run_workload(protocol, workload, server.url, db, uid, ids, args.seconds, args.clients)
                )
                print('  %s/%s done' % (workload, protocol), flush=True)
        print(
            '\n%d client processes, %.0fs per row, %d partners, threaded server\n'
            % (args.clients, args.seconds, args.partners)
        )
        print_table(rows)
        return 0 if all(row['errors'] == 0 for row in rows) else 1
    finally:
        if server is not None:
            if created and server.alive():
                try:
                    server.xmlrpc('db').drop(server.admin_passwd, db)
                except Exception as exc:
                    print('could not drop %s through the server: %r' % (db, exc), file=sys.stderr)
            server.stop()
        if created:
            pgsupport.drop_database(pg, db)  # no-op when the server dropped it already
        pgsupport.stop_embedded()


if __name__ == '__main__':
    sys.exit(main())
