"""What a signal written inside the changing transaction costs: concurrent writes that clear a
cache in every process, against the same writes that clear nothing, side by side in one run.

Usage::

    .venv/bin/python benchmarks/signal_cost.py [--seconds 3] [--rounds 3] [--clients 4] [--workers 2]

Starts one ``./openerp-server --workers N`` (gunicorn, stateless) on a free 127.0.0.1 port with a
scratch database where ``bench_tools`` is installed, then alternates rounds of the same workload —
each client writes one field of rows of its own — on ``bench.plain.row`` (no signal) and on
``bench.signalling.row`` (each write bumps the ``config`` counter in its transaction, so every
concurrent writer contends on that counter's row and the losers are retried), so that a noisy
machine affects both alike. Prints requests/s and latency per round, the medians, the ratio
signalling / plain, and the serialization retries the server counted per 1,000 writes.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.orm_rpc import PASSWORD, run_workload  # noqa: E402
from tests.support import pg as pgsupport  # noqa: E402
from tests.support import server as server_support  # noqa: E402

MODELS = ('bench.plain.row', 'bench.signalling.row')
ROWS_PER_CLIENT = 20


def _retries(server, db, uid, workers):
    """``{pid: calls run again}`` of every worker, asked until each has answered: serialization
    failures retried, and commits refused because another process had signalled meanwhile."""
    seen = {}
    proxy = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object')
    for _ in range(50 * workers):
        stats = proxy.execute_kw(db, uid, PASSWORD, 'bench.stats', 'retries', [])
        seen[stats['pid']] = stats['retries'] + stats['refused']
        if len(seen) >= workers:
            break
    return seen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=3.0, help='duration of each round')
    parser.add_argument('--rounds', type=int, default=3, help='rounds per model, alternated')
    parser.add_argument('--clients', type=int, default=4, help='client processes')
    parser.add_argument('--workers', type=int, default=2, help='gunicorn workers')
    args = parser.parse_args(argv)
    if not (
        0 < args.seconds <= 120
        and 0 < args.rounds <= 20
        and 0 < args.clients <= 32
        and 0 < args.workers <= 16
    ):
        parser.error('--seconds in (0, 120], --rounds in [1, 20], --clients in [1, 32], --workers in [1, 16]')
    pg = pgsupport.params()
    db = 'bench_%s' % uuid.uuid4().hex[:10]
    server = None
    try:
        server = server_support.start_server(pg, ['--workers', str(args.workers)], timeout=60)
        server.xmlrpc('db').create_database(server.admin_passwd, db, False, 'en_US', PASSWORD)
        uid = server.xmlrpc('common').authenticate(db, 'admin', PASSWORD, {})
        objects = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object')

        def call(model, method, *call_args):
            return objects.execute_kw(db, uid, PASSWORD, model, method, list(call_args))

        call('ir.module.module', 'update_list')
        call(
            'ir.module.module',
            'button_immediate_install',
            call('ir.module.module', 'search', [('name', '=', 'bench_tools')]),
        )
        rows = {
            model: call(
                model,
                'create',
                [{'name': 'row %d' % n, 'value': 0} for n in range(ROWS_PER_CLIENT * args.clients)],
            )
            for model in MODELS
        }
        rates = {model: [] for model in MODELS}
        p50s = {model: [] for model in MODELS}
        p99s = {model: [] for model in MODELS}
        retries = {model: 0 for model in MODELS}
        writes = {model: 0 for model in MODELS}
        errors = 0
        print('gunicorn %d workers, %d clients, %.0fs rounds' % (args.workers, args.clients, args.seconds))
        print('round  model                 writes/s  p50 ms  p99 ms  re-runs  errors')
        for round_no in range(1, args.rounds + 1):
            for model in MODELS if round_no % 2 else tuple(reversed(MODELS)):
                before = _retries(server, db, uid, args.workers)
                row = run_workload(
                    'xmlrpc',
                    'write_value',
                    server.url,
                    db,
                    uid,
                    rows[model],
                    args.seconds,
                    args.clients,
                    model=model,
                )
                after = _retries(server, db, uid, args.workers)
                moved = sum(after[pid] - before.get(pid, 0) for pid in after)
                rates[model].append(row['rps'])
                p50s[model].append(row['p50'])
                p99s[model].append(row['p99'])
                retries[model] += moved
                writes[model] += row['requests']
                errors += row['errors']
                print(
                    '%5d  %-20s  %8.0f  %6.2f  %6.2f  %7d  %6d'
                    % (round_no, model, row['rps'], row['p50'], row['p99'], moved, row['errors']),
                    flush=True,
                )
        plain, signalling = (statistics.median(rates[m]) for m in MODELS)
        print('\nmedian writes/s:  plain %.0f, signalling %.0f' % (plain, signalling))
        print(
            'median p50 ms:    plain %.2f, signalling %.2f'
            % tuple(statistics.median(p50s[m]) for m in MODELS)
        )
        print(
            'median p99 ms:    plain %.2f, signalling %.2f'
            % tuple(statistics.median(p99s[m]) for m in MODELS)
        )
        print(
            'calls run again per 1,000 writes: plain %.1f, signalling %.1f'
            % tuple(1000.0 * retries[m] / writes[m] if writes[m] else float('nan') for m in MODELS)
        )
        print(
            'ratio signalling / plain writes/s (%d clients, %d workers): %.3f'
            % (args.clients, args.workers, signalling / plain if plain else float('nan'))
        )
        return 0 if errors == 0 else 1
    finally:
        if server is not None:
            server.stop()
        time.sleep(0.2)
        pgsupport.drop_database(pg, db)
        pgsupport.stop_embedded()


if __name__ == '__main__':
    sys.exit(main())
