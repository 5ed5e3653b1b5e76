"""The terminal report: plain-text tables of the cells, the isolation pairs, memory and targets."""

from . import targets

MB = 1024.0 * 1024.0
#: seconds of grace before SIGKILL (the runner's value, repeated here to avoid an import cycle)
STOP_TIMEOUT = 10


def _mb(sizes):
    """``max MB x n`` of a ``{pid: bytes}`` dict."""
    if not sizes:
        return '-'
    values = list(sizes.values())
    if len(values) == 1:
        return '%.0f' % (values[0] / MB)
    return '%.0f x%d' % (max(values) / MB, len(values))


def _num(value, fmt='%.0f'):
    return '-' if value is None else fmt % value


def table(header, lines, left=1):
    """Columns padded to their widest cell; the first ``left`` columns aligned left."""
    lines = [[str(cell) for cell in line] for line in lines]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]
    out = []
    for number, line in enumerate([header] + lines):
        out.append(
            '  '.join(
                cell.ljust(w) if i < left else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))
            ).rstrip()
        )
        if number == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def cell_summary(row):
    return '%8.1f %s/s  p50 %6.2f  p99 %7.2f ms  errors %d  %s' % (
        row['rate'],
        row['unit'],
        row['p50_ms'],
        row['p99_ms'],
        row['errors'],
        row['engine'],
    )


def isolation_summary(row):
    return 'p99 %.1f -> %.1f ms with the hog (x%s), errors %d' % (
        row['p99_ms_alone'],
        row['p99_ms_hog'],
        _num(row['p99_ratio'], '%.2f'),
        row['errors'],
    )


def memory_summary(row):
    return 'RSS %s -> %s MB after %d calls, errors %d' % (
        _mb(row['rss_first']),
        _mb(row['rss_last']),
        row['requests'],
        row['errors'],
    )


def render(report):
    m = report['machine']
    parts = [
        'Machine: %s cores (%s), %.1f GiB, PostgreSQL %s, Python %s, load generator %s'
        % (
            m['cores'],
            m['cpu_model'],
            m['memory_bytes'] / MB / 1024,
            m['postgresql'],
            m['python'],
            m['wrk'] or 'python processes',
        )
    ]
    d = report.get('dataset', {})
    parts.append(
        'Data: %s partners, %s orders (database %s)' % (d.get('partners'), d.get('orders'), d.get('database'))
    )
    cells = [r for r in report['rows'] if r['key'] not in ('isolation', 'memory')]
    lines = []
    for row in cells:
        fraction = targets.floor_fraction(report, row)
        lines.append(
            [
                row['config'],
                row['key'],
                row['concurrency'],
                row['engine'],
                '%.1f' % row['rate'],
                '%.2f' % row['p50_ms'],
                '%.2f' % row['p95_ms'],
                '%.2f' % row['p99_ms'],
                row['errors'],
                _mb(row.get('rss_bytes')),
                '%.0f' % row['loadgen_cpu_pct'],
                '%.0f' % row['server_cpu_pct'],
                _num(fraction, '%.2f'),
            ]
        )
    parts.append(
        table(
            [
                'configuration',
                'workload',
                'c',
                'gen',
                'ops/s',
                'p50 ms',
                'p95 ms',
                'p99 ms',
                'err',
                'RSS MB',
                'gen CPU%',
                'srv CPU%',
                'of floor',
            ],
            lines,
            left=2,
        )
    )
    iso = [r for r in report['rows'] if r['key'] == 'isolation']
    if iso:
        parts.append(
            'Isolation: %d clients read1, alone then with one client calling %s'
            % (iso[0]['concurrency'], iso[0]['hog_method'])
        )
        parts.append(
            table(
                [
                    'configuration',
                    'req/s alone',
                    'p50 alone',
                    'p99 alone',
                    'req/s hog',
                    'p50 hog',
                    'p99 hog',
                    'p99 x',
                    'hog calls',
                    'err',
                ],
                [
                    [
                        r['config'],
                        '%.1f' % r['rate_alone'],
                        '%.2f' % r['p50_ms_alone'],
                        '%.2f' % r['p99_ms_alone'],
                        '%.1f' % r['rate_hog'],
                        '%.2f' % r['p50_ms_hog'],
                        '%.2f' % r['p99_ms_hog'],
                        _num(r['p99_ratio'], '%.2f'),
                        r['hog_calls'],
                        r['errors'],
                    ]
                    for r in iso
                ],
            )
        )
    mem = [r for r in report['rows'] if r['key'] == 'memory']
    if mem:
        parts.append(
            'Memory: RSS of each serving process after the first %d read1 calls and '
            'after %d' % (mem[0]['first'], mem[0]['requests'])
        )
        parts.append(
            table(
                ['configuration', 'RSS first MB', 'RSS last MB', 'growth x', 'err'],
                [
                    [
                        r['config'],
                        _mb(r['rss_first']),
                        _mb(r['rss_last']),
                        _num(r['rss_ratio'], '%.3f'),
                        r['errors'],
                    ]
                    for r in mem
                ],
            )
        )
    if report.get('targets'):
        parts.append(
            'Targets (ratios within this run, concurrency %s):' % report['targets'][0]['concurrency']
        )
        parts.append(
            table(
                ['target', 'ratio', 'goal', 'met'],
                [
                    [
                        t['description'],
                        _num(t['ratio'], '%.2f'),
                        '%s %.2f' % (t['op'], t['goal']),
                        {True: 'yes', False: 'NO', None: 'not measured'}[t['met']],
                    ]
                    for t in report['targets']
                ],
            )
        )
    errors = [r for r in report['rows'] if r.get('first_error')]
    for row in errors:
        parts.append('%s / %s first error: %s' % (row['config'], row['key'], row['first_error']))
    for entry in report['configurations']:
        if entry.get('error'):
            parts.append('%s did not start: %s' % (entry['name'], entry['error'][-500:]))
        elif entry.get('exit_status') not in (0, None):
            parts.append(
                '%s: exit status %s when stopped (a negative status is the signal that '
                'ended it: -9 means it did not stop within %ss of SIGTERM; see logs/)'
                % (entry['name'], entry['exit_status'], STOP_TIMEOUT)
            )
    return '\n\n'.join(parts)
