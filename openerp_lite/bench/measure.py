"""One measurement against a running server: a workload cell, the isolation pair, the memory probe.

Each returns a plain dict (a row of the JSON report). Rates are operations per second of wall
time; latencies are in milliseconds; CPU figures are percentages of one core over the cell.
"""

import threading
import time
import xmlrpc.client

from . import loadgen, wrk
from .workloads import Read1

#: latency percentiles reported for every cell
PERCENTILES = (50, 95, 99)


def _percentile(sorted_values, pct):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(round(pct / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[index]


def choose_engine(workload, engine, requests):
    """``'wrk'`` or ``'python'`` for one cell: wrk for simple workloads by time when it is there."""
    if engine == 'python' or not workload.simple or requests or not wrk.available():
        return 'python'
    return 'wrk'


def load(server, workload, data, clients, seconds, engine='auto', requests=None, on_progress=None):
    """Run one load and return the row's measured part (rate, percentiles, errors, CPU)."""
    chosen = choose_engine(workload, engine, requests)
    server_cpu = server.cpu_seconds()
    if chosen == 'wrk':
        result = wrk.run('127.0.0.1', server.port, workload, data, clients, seconds, on_progress)
        percentiles = result.percentiles
    else:
        result = loadgen.run(
            '127.0.0.1', server.port, workload, data, clients, seconds, requests, on_progress
        )
        percentiles = {p: _percentile(result.latencies, p) for p in PERCENTILES}
    server_cpu = server.cpu_seconds() - server_cpu
    elapsed = result.elapsed or 1e-9
    row = {
        'engine': chosen,
        'operations': result.operations,
        'errors': result.errors,
        'first_error': result.first_error,
        'seconds': round(result.elapsed, 3),
        'rate': result.operations / elapsed if result.elapsed else 0.0,
        'loadgen_cpu_pct': 100.0 * result.cpu_seconds / elapsed,
        'server_cpu_pct': 100.0 * server_cpu / elapsed,
    }
    for pct in PERCENTILES:
        row['p%d_ms' % pct] = percentiles[pct] * 1000.0
    return row


def cell(server, workload, data, clients, seconds, engine, requests, on_progress):
    """A workload cell: the row with its identity and the server's RSS after it."""
    row = {
        'config': server.config.name,
        'workload': workload.name,
        'key': workload.key,
        'protocol': workload.protocol,
        'unit': workload.unit,
        'concurrency': clients,
    }
    row.update(load(server, workload, data, clients, seconds, engine, requests, on_progress))
    row['rss_bytes'] = server.rss()
    return row


class _HogThread(threading.Thread):
    """Calls the CPU hog again and again until stopped; counts calls and errors."""

    def __init__(self, url, data, seconds):
        super().__init__(daemon=True)
        self.url, self.data, self.seconds = url, data, seconds
        self.stopping = threading.Event()
        self.calls, self.errors, self.first_error = 0, 0, None

    def run(self):
        proxy = xmlrpc.client.ServerProxy(self.url + '/xmlrpc/2/object', allow_none=True)
        creds = self.data.creds
        for _turn in range(10000):
            if self.stopping.is_set():
                break
            try:
                proxy.execute_kw(
                    creds.db, creds.uid, creds.password, 'bench.tools', 'cpu_burn', [self.seconds]
                )
                self.calls += 1
            except Exception as exc:  # reported in the row, the run goes on
                self.errors += 1
                self.first_error = self.first_error or repr(exc)[:300]
                time.sleep(0.1)


def isolation(server, data, clients, seconds, hog_seconds, engine, on_progress):
    """``clients`` clients run ``read1`` alone, then while one more client runs the CPU hog.

    Returns a row with the well-behaved clients' rate, p50 and p99 in both phases.
    """
    workload = Read1()
    row = {
        'config': server.config.name,
        'workload': 'isolation',
        'key': 'isolation',
        'protocol': workload.protocol,
        'unit': 'req',
        'concurrency': clients,
        'hog_seconds': hog_seconds,
        'hog_method': 'bench.tools.cpu_burn(%g)' % hog_seconds,
    }
    alone = load(
        server,
        workload,
        data,
        clients,
        seconds,
        engine,
        on_progress=lambda f: on_progress and on_progress(f / 2),
    )
    hog = _HogThread(server.url, data, hog_seconds)
    hog.start()
    time.sleep(min(0.5, hog_seconds / 4))  # let the first hog call be running
    during = load(
        server,
        workload,
        data,
        clients,
        seconds,
        engine,
        on_progress=lambda f: on_progress and on_progress(0.5 + f / 2),
    )
    hog.stopping.set()
    hog.join(hog_seconds + 60)
    for name, measured in (('alone', alone), ('hog', during)):
        for field in (
            'rate',
            'p50_ms',
            'p95_ms',
            'p99_ms',
            'errors',
            'operations',
            'engine',
            'loadgen_cpu_pct',
            'first_error',
        ):
            row['%s_%s' % (field, name)] = measured[field]
    row['errors'] = alone['errors'] + during['errors'] + hog.errors
    row['first_error'] = alone['first_error'] or during['first_error'] or hog.first_error
    row['hog_calls'] = hog.calls
    row['p99_ratio'] = during['p99_ms'] / alone['p99_ms'] if alone['p99_ms'] else None
    row['p50_ratio'] = during['p50_ms'] / alone['p50_ms'] if alone['p50_ms'] else None
    row['rate'] = during['rate']
    return row


def memory(server, data, clients, total_requests, first=100, on_progress=None):
    """RSS of each serving process after ``first`` read1 calls and after ``total_requests``."""
    workload = Read1()
    seconds = 3600.0  # bounded by the request count; the time bound is only a safety net
    row = {
        'config': server.config.name,
        'workload': 'memory',
        'key': 'memory',
        'protocol': workload.protocol,
        'concurrency': clients,
        'requests': total_requests,
        'first': first,
    }
    # each client makes one warm-up call before its quota: counted in the totals
    warm = loadgen.run('127.0.0.1', server.port, workload, data, clients, seconds, max(1, first - clients))
    row['rss_first'] = server.rss()
    rest = loadgen.run(
        '127.0.0.1',
        server.port,
        workload,
        data,
        clients,
        seconds,
        max(1, total_requests - first - clients),
        on_progress=on_progress,
    )
    row['rss_last'] = server.rss()
    row['errors'] = warm.errors + rest.errors
    row['first_error'] = warm.first_error or rest.first_error
    row['operations'] = warm.operations + rest.operations + 2 * clients  # with warm-up calls
    ratios = [
        row['rss_last'][pid] / size
        for pid, size in row['rss_first'].items()
        if pid in row['rss_last'] and size
    ]
    row['rss_ratio'] = max(ratios) if ratios else None
    row['same_processes'] = set(row['rss_first']) == set(row['rss_last'])
    return row
