"""``openerp-server bench --standby``: what a hot standby gives and costs, side by side in
alternating rounds of one run.

A durable primary (``fsync`` on) and an asynchronous hot standby are built on this machine with
``initdb`` and ``pg_basebackup -R`` on free 127.0.0.1 ports (:mod:`.cluster`). A scratch database
with the bench's partners is made through the primary, then two threaded servers are started on
it (:mod:`.servers`, :mod:`.launcher`): ``primary`` reads and writes on the primary only,
``standby`` also has ``--db_replica_host``. In each round, each setup in turn (the order swapped
every round) is measured on:

- ``read1``: the bench's ``read1`` workload by ``clients`` client processes for ``duration``
  seconds (rate, p50, p99);
- ``write1``: the bench's ``write1`` workload by one client, ``pairs`` writes (p50, p99): what
  read-your-writes costs a write;
- ``read after write``: ``pairs`` times, a partner is written through the *other* server and read
  at once through this one (p50, p99 of the read, and how many reads did not see their write):
  what waiting for the standby to replay costs the read right after another process's write.

Every figure is reported as the median of its rounds with the lowest and highest round beside it
(:mod:`.stats`), and the standby setup's figures over the primary's are taken round by round.
Everything it made (servers, cluster, database) is removed at the end.
"""

import json
import os
import secrets
import sys
import time
import urllib.request

from . import dataset, loadgen, measure, servers, stats
from .cluster import Cluster
from .protocol import XMLRPC, Credentials, decode, execute_kw
from .workloads import Read1, Write1

SETUPS = ('primary', 'standby')
LABELS = {'primary': 'primary only', 'standby': 'with a standby'}
READ = 'read1'
WRITE = 'write1'
AFTER_WRITE = 'read after write'
#: the field the write-then-read pairs write and read (no workload reads or writes it)
PAIR_FIELD = 'comment'
CONFIG = servers.Configuration('threaded', 'stateful')
#: a bound on a write cell, beside its request count
WRITE_SECONDS = 120.0


class Options:
    """What to run: ``rounds``, ``duration`` (s of each read cell), ``clients`` (of the read
    cells), ``pairs`` (writes, and write-then-read pairs, per cell), ``partners``, ``engine``,
    ``output`` (folder of ``standby.json``, ``standby.txt``, ``configs/`` and ``logs/``),
    ``log_level``."""

    def __init__(self, **values):
        self.rounds = values.get('rounds', 3)
        self.duration = values.get('duration', 5.0)
        self.clients = values.get('clients', 4)
        self.pairs = values.get('pairs', 300)
        self.partners = values.get('partners', 1000)
        self.engine = values.get('engine', 'auto')
        self.output = values.get('output', 'bench-report')
        self.log_level = values.get('log_level', 'warn')

    def as_dict(self):
        return dict(vars(self))


def _start(name, pg, master_password, dbname, options, extra=()):
    return servers.start(
        CONFIG, pg, master_password, dbname, options.output, options.log_level, name=name, extra=extra
    )


def prepare(primary, master_password, options, out):
    """A scratch database on ``primary`` filled with ``options.partners`` partners (no orders),
    through a set-up server stopped afterwards; returns :class:`.dataset.Data`."""
    dbname = 'bench_standby_%s' % secrets.token_hex(4)
    creds = Credentials(dbname, None, 'bench-' + secrets.token_hex(6))
    server = _start('standby-setup', primary.params, master_password, None, options)
    try:
        started = time.monotonic()
        dataset.create_database(server.url, master_password, dbname, creds.password)
        dataset.login(server.url, creds, 'admin')
        data = dataset.populate(server.url, creds, options.partners, 0)
        out.write('data ready in %.0fs: %d partners\n' % (time.monotonic() - started, data.partner_count))
        return data
    finally:
        server.stop()


def read_after_write(writer, reader, data, partner, count, tag):
    """``count`` writes of ``partner`` through ``writer`` each followed at once by its read through
    ``reader``: a cell row of the reads, with ``stale`` (reads that did not see their write)."""
    writes = loadgen.Connection(servers.HOST, writer.port)
    reads = loadgen.Connection(servers.HOST, reader.port)
    latencies, stale, errors, first_error = [], 0, 0, None
    started = time.perf_counter()
    try:
        for number in range(count):
            value = '%s-%d-%d' % (tag, time.monotonic_ns(), number)
            try:
                path, body = execute_kw(
                    XMLRPC, data.creds, 'res.partner', 'write', [[partner], {PAIR_FIELD: value}]
                )
                decode(XMLRPC, writes.post(path, body, 'text/xml')[1])
                path, body = execute_kw(XMLRPC, data.creds, 'res.partner', 'read', [[partner], [PAIR_FIELD]])
                begin = time.perf_counter()
                reply = reads.post(path, body, 'text/xml')[1]
                latencies.append(time.perf_counter() - begin)
                stale += decode(XMLRPC, reply)[0][PAIR_FIELD] != value
            except Exception as exc:  # counted and reported; the cell goes on
                errors += 1
                first_error = first_error or repr(exc)[:300]
    finally:
        writes.close()
        reads.close()
    elapsed = time.perf_counter() - started
    latencies.sort()
    row = {
        'engine': 'python',
        'operations': len(latencies),
        'errors': errors,
        'first_error': first_error,
        'seconds': round(elapsed, 3),
        'rate': len(latencies) / elapsed if elapsed else 0.0,
        'loadgen_cpu_pct': None,
        'server_cpu_pct': None,
        'stale': stale,
    }
    for pct in measure.PERCENTILES:
        row['p%d_ms' % pct] = measure._percentile(latencies, pct) * 1000.0
    return row


def _row(setup, turn, key, clients, measured):
    row = {'config': setup, 'round': turn, 'key': key, 'workload': key, 'unit': 'req', 'concurrency': clients}
    row.update(measured)
    row.setdefault('stale', 0)
    return row


def measure_setup(setup, running, data, turn, options):
    """The three cells of one setup in one round, as report rows."""
    server = running[setup]
    other = running['primary' if setup == 'standby' else 'standby']
    # the read load first, then one client alone (the read load's processes gone)
    read = measure.load(server, Read1(), data, options.clients, options.duration, options.engine)
    write = measure.load(server, Write1(), data, 1, WRITE_SECONDS, 'python', requests=options.pairs)
    # the write goes through the other server: this read is another process's read of it, the
    # case read-your-writes is about
    after = read_after_write(other, server, data, data.partner_ids[0], options.pairs, 'r%d' % turn)
    return [
        _row(setup, turn, READ, options.clients, read),
        _row(setup, turn, WRITE, 1, write),
        _row(setup, turn, AFTER_WRITE, 1, after),
    ]


def _round_line(turn, setup, rows):
    read, write, after = rows
    line = '%5d  %-15s %8.0f %9.2f %9.2f | %9.2f %9.2f | %9.2f %9.2f' % (
        turn,
        LABELS[setup],
        read['rate'],
        read['p50_ms'],
        read['p99_ms'],
        write['p50_ms'],
        write['p99_ms'],
        after['p50_ms'],
        after['p99_ms'],
    )
    problems = ['%s: %d errors (%s)' % (r['key'], r['errors'], r['first_error']) for r in rows if r['errors']]
    if after['stale']:
        problems.append('STALE READS: %d' % after['stale'])
    return line + ('  ' + '; '.join(problems) if problems else '') + '\n'


ROUND_HEADER = (
    'round  setup             read/s  read p50  read p99 | write p50 write p99 | after-write p50   p99\n'
)


def measure_rounds(running, data, options, out):
    """Every round, the setups in turn (swapped every round); returns the rows."""
    rows = []
    out.write(ROUND_HEADER)
    for turn in range(1, options.rounds + 1):
        for setup in SETUPS if turn % 2 else tuple(reversed(SETUPS)):
            measured = measure_setup(setup, running, data, turn, options)
            for row in measured:
                row['sequence'] = len(rows)
                rows.append(row)
            out.write(_round_line(turn, setup, measured))
            out.flush()
    return rows


def summarize(rows):
    """``{setup: {key: cell summary with stale}}`` and the standby/primary ratios, round by round."""
    summary = {setup: {} for setup in SETUPS}
    for cell in stats.cells(rows):
        cell['stale'] = sum(
            r['stale'] for r in rows if r['config'] == cell['config'] and r['key'] == cell['key']
        )
        summary[cell['config']][cell['key']] = cell
    ratios = {
        '%s %s' % (key, field): stats.paired_ratio(rows, 'standby', 'primary', key, field=field)
        for key, field in (
            (READ, 'rate'),
            (READ, 'p50_ms'),
            (READ, 'p99_ms'),
            (WRITE, 'p50_ms'),
            (WRITE, 'p99_ms'),
            (AFTER_WRITE, 'p50_ms'),
            (AFTER_WRITE, 'p99_ms'),
        )
    }
    return {'setups': summary, 'ratios': ratios}


#: the report's lines: label, cell key, field, format
LINES = (
    ('read1 ops/s', READ, 'rate', '%.0f'),
    ('read1 p50 ms', READ, 'p50_ms', '%.2f'),
    ('read1 p99 ms', READ, 'p99_ms', '%.2f'),
    ('write p50 ms', WRITE, 'p50_ms', '%.2f'),
    ('write p99 ms', WRITE, 'p99_ms', '%.2f'),
    ("read right after another process's write p50 ms", AFTER_WRITE, 'p50_ms', '%.2f'),
    ("read right after another process's write p99 ms", AFTER_WRITE, 'p99_ms', '%.2f'),
)


def render(report):
    """The text report: medians [lowest..highest round] of both setups, the ratios, the stale
    reads and the standby's own figures."""
    options, summary = report['options'], report['summary']
    setups = summary['setups']
    lines = [
        'STANDBY COST: medians over %d alternating rounds [lowest..highest round]; read1 by %d clients '
        'for %gs, %d writes and %d write-then-read pairs a round'
        % (options['rounds'], options['clients'], options['duration'], options['pairs'], options['pairs']),
        '',
        '%-50s %-26s %-26s %s' % ('', LABELS['primary'], LABELS['standby'], 'standby / primary'),
    ]
    for label, key, field, fmt in LINES:
        ratio = summary['ratios'].get('%s %s' % (key, field))
        lines.append(
            '%-50s %-26s %-26s %s'
            % (
                label,
                stats.show(setups['primary'][key][field], fmt),
                stats.show(setups['standby'][key][field], fmt),
                'x' + stats.show(ratio, '%.2f') if ratio else '-',
            )
        )
    lines.append(
        '%-50s %-26d %-26d'
        % ('stale reads', setups['primary'][AFTER_WRITE]['stale'], setups['standby'][AFTER_WRITE]['stale'])
    )
    errors = sum(cell['errors'] for cells in setups.values() for cell in cells.values())
    lines.append('%-50s %d' % ('errors', errors))
    for figures in report.get('standby_figures') or []:
        lines.append(
            "\nthe standby setup's standby %s: %s reads served, %s needed no replay check, %s waited "
            'for replay, %s went to the primary instead'
            % (
                figures.get('server'),
                figures.get('reads'),
                figures.get('unchecked'),
                figures.get('waited'),
                figures.get('skipped'),
            )
        )
    return '\n'.join(line.rstrip() for line in lines) + '\n'


def _standby_figures(server):
    try:
        with urllib.request.urlopen(server.url + '/web/health', timeout=30) as response:
            return json.loads(response.read()).get('replicas')
    except (OSError, ValueError):
        return None


def run(options, out=sys.stdout):
    """Build the cluster, measure, write ``standby.json`` and ``standby.txt`` into
    ``options.output``, remove everything made; returns the report."""
    cluster = Cluster(durable=True)
    running = {}
    master_password = secrets.token_hex(12)
    try:
        out.write('building a durable primary and a hot standby (initdb, pg_basebackup -R)\n')
        primary = cluster.start_primary()
        standby = cluster.add_standby()
        data = prepare(primary, master_password, options, out)
        replica = ['--db_replica_host', servers.HOST, '--db_replica_port', str(standby.port)]
        running['primary'] = _start('primary', primary.params, master_password, data.creds.db, options)
        running['standby'] = _start(
            'standby', primary.params, master_password, data.creds.db, options, extra=replica
        )
        cluster.wait_replayed(standby)
        rows = measure_rounds(running, data, options, out)
        report = {
            'options': options.as_dict(),
            'commands': {setup: servers.shown(server.cmdline) for setup, server in running.items()},
            'rows': rows,
            'summary': summarize(rows),
            'standby_figures': _standby_figures(running['standby']),
        }
    finally:
        for server in running.values():
            server.stop()
        cluster.destroy()
    text = render(report)
    os.makedirs(options.output, exist_ok=True)
    with open(os.path.join(options.output, 'standby.json'), 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=1, default=str)
    with open(os.path.join(options.output, 'standby.txt'), 'w', encoding='utf-8') as handle:
        handle.write(text)
    out.write('\n' + text)
    out.write('written: %s\n' % os.path.join(options.output, 'standby.json'))
    return report


def failed(report):
    """True when any cell had an error or any read missed its write."""
    cells = [cell for setup in report['summary']['setups'].values() for cell in setup.values()]
    return any(cell['errors'] or cell['stale'] for cell in cells)
