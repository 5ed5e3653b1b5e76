"""What a hot standby gives and costs: reads with and without one, and the write-then-read
latency of read-your-writes, side by side in alternating rounds of one run.

Usage::

    .venv/bin/python benchmarks/standby_cost.py [--seconds 3] [--rounds 3] [--clients 4]

Builds a primary (durable: fsync on) and an asynchronous hot standby with ``initdb`` and
``pg_basebackup -R`` on free 127.0.0.1 ports (``tests/support/cluster.py``), starts two threaded
``./openerp-server`` processes on the primary — one without a standby (``primary``), one with
``--db_replica_host`` (``standby``) — and alternates, per round, for each of them:

- ``read``: ``--clients`` processes calling ``read`` of a random partner for ``--seconds``
  (requests/s, p50, p99; ``benchmarks/orm_rpc.py``'s workload);
- ``write``: one client writing a partner (p50, p99): what read-your-writes costs a write;
- ``write+read``: one client writing a partner, then reading it at once through the other server
  (p50, p99 of the read): what waiting for the standby to replay costs the read right after a write.

Prints each round, then the medians side by side, and removes everything it made.
"""

import argparse
import os
import statistics
import sys
import time
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.orm_rpc import PASSWORD, percentile, populate, run_workload  # noqa: E402

from tests.support import server as server_support  # noqa: E402
from tests.support.cluster import Cluster  # noqa: E402

SETUPS = ('primary', 'standby')


def timed_writes(url, db, uid, partner, count):
    """Sorted latencies (s) of ``count`` writes of one partner through ``url``."""
    proxy = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/object', allow_none=True)
    latencies = []
    for number in range(count):
        started = time.perf_counter()
        proxy.execute_kw(db, uid, PASSWORD, 'res.partner', 'write', [[partner], {'city': 'w%d' % number}])
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


def timed_pairs(writer_url, reader_url, db, uid, partner, count):
    """Sorted latencies (s) of the reads through ``reader_url`` of a value written through
    ``writer_url`` right before each (``count`` pairs), and how many did not see their write."""
    writer = xmlrpc.client.ServerProxy(writer_url + '/xmlrpc/2/object', allow_none=True)
    reader = xmlrpc.client.ServerProxy(reader_url + '/xmlrpc/2/object', allow_none=True)
    reads, stale = [], 0
    for number in range(count):
        value = 'bench-%d-%d' % (time.monotonic_ns(), number)
        writer.execute_kw(db, uid, PASSWORD, 'res.partner', 'write', [[partner], {'ref': value}])
        started = time.perf_counter()
        seen = reader.execute_kw(db, uid, PASSWORD, 'res.partner', 'read', [[partner], ['ref']])
        reads.append(time.perf_counter() - started)
        stale += seen[0]['ref'] != value
    return sorted(reads), stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=3.0, help='duration of each read round')
    parser.add_argument('--rounds', type=int, default=3, help='rounds per setup, alternated')
    parser.add_argument('--clients', type=int, default=4, help='client processes of the read rounds')
    parser.add_argument('--pairs', type=int, default=300, help='write-then-read pairs per round')
    parser.add_argument('--partners', type=int, default=1000)
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 60 and 0 < args.rounds <= 10 and 0 < args.clients <= 16):
        parser.error('--seconds in (0, 60], --rounds in [1, 10], --clients in [1, 16]')
    if not 0 < args.pairs <= 5000:
        parser.error('--pairs in [1, 5000]')
    cluster = Cluster(durable=True)
    servers = {}
    try:
        primary = cluster.start_primary()
        standby = cluster.add_standby()
        replica_args = ['--db_replica_host', '127.0.0.1', '--db_replica_port', str(standby.port)]
        servers['primary'] = server_support.start_server(primary.params, timeout=60)
        servers['standby'] = server_support.start_server(primary.params, replica_args, timeout=60)
        db = 'bench_standby'
        first = servers['primary']
        first.xmlrpc('db').create_database(first.admin_passwd, db, False, 'en_US', PASSWORD)
        uid = first.xmlrpc('common').authenticate(db, 'admin', PASSWORD, {})
        ids = populate(first.url, db, uid, args.partners)
        cluster.wait_replayed(standby)
        figures = {
            setup: {'rps': [], 'p50': [], 'p99': [], 'w50': [], 'w99': [], 'r50': [], 'r99': []}
            for setup in SETUPS
        }
        failures = 0
        print(
            'round  setup     read/s  read p50  read p99 | write p50  write p99 | read-after-write p50  p99'
        )
        for round_no in range(1, args.rounds + 1):
            for setup in SETUPS if round_no % 2 else tuple(reversed(SETUPS)):
                server = servers[setup]
                other = servers['primary' if setup == 'standby' else 'standby']
                # one client first (the processes of the read workload gone), then the read load
                writes = timed_writes(server.url, db, uid, ids[1], args.pairs)
                # the write goes through the other server: the read on this one is another
                # process's read of it, the case read-your-writes is about
                reads, stale = timed_pairs(other.url, server.url, db, uid, ids[0], args.pairs)
                row = run_workload('xmlrpc', 'read', server.url, db, uid, ids, args.seconds, args.clients)
                failures += row['errors'] + stale
                results = figures[setup]
                results['rps'].append(row['rps'])
                results['p50'].append(row['p50'])
                results['p99'].append(row['p99'])
                for key, values in (('w', writes), ('r', reads)):
                    results[key + '50'].append(percentile(values, 0.5) * 1000)
                    results[key + '99'].append(percentile(values, 0.99) * 1000)
                print(
                    '%5d  %-8s %7.0f  %8.2f  %8.2f | %9.2f  %9.2f | %20.2f  %5.2f  %s'
                    % (
                        round_no,
                        setup,
                        row['rps'],
                        row['p50'],
                        row['p99'],
                        results['w50'][-1],
                        results['w99'][-1],
                        results['r50'][-1],
                        results['r99'][-1],
                        'STALE READS: %d' % stale if stale else '',
                    ),
                    flush=True,
                )
        print(
            '\nmedians over %d rounds (%d read clients, %d write-then-read pairs a round)'
            % (args.rounds, args.clients, args.pairs)
        )
        print('setup     read/s  read p50  read p99 | write p50  write p99 | read-after-write p50  p99')
        for setup in SETUPS:
            med = {key: statistics.median(values) for key, values in figures[setup].items()}
            print(
                '%-8s %7.0f  %8.2f  %8.2f | %9.2f  %9.2f | %20.2f  %5.2f'
                % (setup, med['rps'], med['p50'], med['p99'], med['w50'], med['w99'], med['r50'], med['r99'])
            )
        status = servers['standby'].request('GET', '/web/health')[2]
        print('\nstandby figures of the standby setup: %s' % status.decode()[:2000])
        return 0 if failures == 0 else 1
    finally:
        for server in servers.values():
            server.stop()
        cluster.destroy()


if __name__ == '__main__':
    sys.exit(main())
