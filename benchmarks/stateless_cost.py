"""What the stateless check costs: one process in stateful mode against one in stateless mode,
``read`` of one record, side by side in one run.

Usage::

    .venv/bin/python benchmarks/stateless_cost.py [--seconds 3] [--rounds 3] [--clients 2]

Starts two threaded ``./openerp-server`` processes on free 127.0.0.1 ports (``--mode stateful``
and ``--mode stateless``) on one scratch database, then alternates rounds of the same ``read``
workload against each so that a noisy machine affects both alike, and prints requests/s and
latency per round, the medians, and the ratio stateless / stateful (goal: at least 0.95).
"""

import argparse
import os
import statistics
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.orm_rpc import PASSWORD, populate, run_workload  # noqa: E402
from tests.support import pg as pgsupport  # noqa: E402
from tests.support import server as server_support  # noqa: E402

MODES = ('stateful', 'stateless')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=3.0, help='duration of each round')
    parser.add_argument('--rounds', type=int, default=3, help='rounds per mode, alternated')
    parser.add_argument('--clients', type=int, default=2, help='client processes')
    parser.add_argument('--protocol', default='xmlrpc', choices=('xmlrpc', 'jsonrpc'))
    parser.add_argument('--partners', type=int, default=1000)
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 120 and 0 < args.rounds <= 20 and 0 < args.clients <= 32):
        parser.error('--seconds in (0, 120], --rounds in [1, 20], --clients in [1, 32]')
    pg = pgsupport.params()
    db = 'bench_%s' % uuid.uuid4().hex[:10]
    servers = {}
    try:
        for mode in MODES:
            servers[mode] = server_support.start_server(pg, ['--mode', mode], timeout=60)
        first = servers['stateless']
        first.xmlrpc('db').create_database(first.admin_passwd, db, False, 'en_US', PASSWORD)
        uid = first.xmlrpc('common').authenticate(db, 'admin', PASSWORD, {})
        ids = populate(first.url, db, uid, args.partners)
        rates = {mode: [] for mode in MODES}
        p50s = {mode: [] for mode in MODES}
        errors = 0
        print('round  mode       requests/s  p50 ms  p99 ms  errors')
        for round_no in range(1, args.rounds + 1):
            for mode in MODES if round_no % 2 else tuple(reversed(MODES)):
                row = run_workload(
                    args.protocol, 'read', servers[mode].url, db, uid, ids, args.seconds, args.clients
                )
                rates[mode].append(row['rps'])
                p50s[mode].append(row['p50'])
                errors += row['errors']
                print(
                    '%5d  %-9s  %10.0f  %6.2f  %6.2f  %6d'
                    % (round_no, mode, row['rps'], row['p50'], row['p99'], row['errors']),
                    flush=True,
                )
        stateful, stateless = (statistics.median(rates[m]) for m in MODES)
        print('\nmedian requests/s: stateful %.0f, stateless %.0f' % (stateful, stateless))
        print(
            'median p50 ms:     stateful %.2f, stateless %.2f'
            % tuple(statistics.median(p50s[m]) for m in MODES)
        )
        print(
            'ratio stateless / stateful on read (%s, %d clients): %.3f  (goal >= 0.95)'
            % (args.protocol, args.clients, stateless / stateful if stateful else float('nan'))
        )
        return 0 if errors == 0 else 1
    finally:
        for server in servers.values():
            server.stop()
        time.sleep(0.2)
        pgsupport.drop_database(pg, db)
        pgsupport.stop_embedded()


if __name__ == '__main__':
    sys.exit(main())
