"""The terminal and text report: the verdict first, then the headline ratios, the tables of the
cells (medians over the rounds with their spread), isolation, signal cost, memory, the command
lines, and last the project's development targets."""

from . import stats, targets

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


def verdict_lines(report):
    """The verdict as lines: the configuration, how to run it, the measured reasons."""
    v = report.get('verdict') or {}
    if not v.get('config'):
        return ['VERDICT: none (%s)' % '; '.join(v.get('reasons') or ['nothing measured'])]
    lines = [
        'VERDICT: run %s on this machine for this data' % v['config'],
        '  how: %s  (plus your usual options)' % v['command'],
    ]
    lines += ['  - %s' % reason for reason in v['reasons']]
    lines.append('  (chosen as: %s)' % v['how'])
    return lines


def headline_ratios(report):
    """``[(what, spread)]``: each configuration's read1 rate over the baseline's, the stateless
    cost and each signal-cost pair, all taken round by round."""
    rows = report['rows']
    v = report.get('verdict') or {}
    baseline, level = v.get('baseline'), v.get('concurrency')
    result = []
    if baseline:
        for entry in report['configurations']:
            if entry['name'] == baseline or entry.get('error') or entry['floor']:
                continue
            ratio = stats.paired_ratio(rows, entry['name'], baseline, 'read1', level)
            if ratio:
                result.append(('read1 %s / %s' % (entry['name'], baseline), ratio))
    for entry in report['configurations']:
        ratio = stats.same_server_ratio(
            rows, entry['name'], 'signal_write signalling', 'signal_write plain', level
        )
        if ratio:
            result.append(('signal cost %s: signalling / plain writes' % entry['name'], ratio))
    return result


def per_round(rows, summary):
    """The rates of the rounds of one cell, as the tables show them."""
    return ' '.join('%.0f' % v for v in stats.rates_by_round(rows, summary))


def _cells(report):
    lines = []
    for s in report['summary']['cells']:
        lines.append(
            [
                s['config'],
                s['key'],
                s['concurrency'],
                s['engine'],
                stats.show(s['rate']),
                per_round(report['rows'], s),
                _num(s['p50_ms']['median'], '%.2f'),
                stats.show(s['p99_ms'], '%.2f'),
                s['errors'],
                _mb(s.get('rss_bytes')),
                _num(s['server_cpu_pct']['median']),
                _num(targets.floor_fraction(report, s), '%.2f'),
            ]
        )
    return table(
        [
            'configuration',
            'workload',
            'c',
            'gen',
            'ops/s median [range]',
            'ops/s by round',
            'p50 ms',
            'p99 ms median [range]',
            'err',
            'RSS MB',
            'srv CPU%',
            'of floor',
        ],
        lines,
        left=2,
    )


def _isolation(report):
    iso = report['summary']['isolation']
    if not iso:
        return []
    return [
        'Isolation: %d clients read1, alone then with one client calling %s (medians [range] of %d rounds)'
        % (
            iso[0]['concurrency'],
            iso[0]['hog_method'],
            iso[0]['p99_ratio']['rounds'] if iso[0]['p99_ratio'] else 0,
        ),
        table(
            [
                'configuration',
                'req/s alone',
                'p99 alone',
                'req/s hog',
                'p99 hog',
                'p99 x',
                'hog calls',
                'err',
            ],
            [
                [
                    s['config'],
                    stats.show(s['rate_alone']),
                    stats.show(s['p99_ms_alone'], '%.1f'),
                    stats.show(s['rate_hog']),
                    stats.show(s['p99_ms_hog'], '%.1f'),
                    stats.show(s['p99_ratio'], '%.2f'),
                    s['hog_calls'],
                    s['errors'],
                ]
                for s in iso
            ],
        ),
    ]


def _signal(report):
    cells = report['summary']['cells']
    lines = []
    for entry in report['configurations']:
        plain = stats.find_cell(cells, entry['name'], 'signal_write plain')
        signalling = stats.find_cell(cells, entry['name'], 'signal_write signalling')
        if not plain or not signalling:
            continue
        ratio = stats.same_server_ratio(
            report['rows'],
            entry['name'],
            'signal_write signalling',
            'signal_write plain',
            plain['concurrency'],
        )
        lines.append(
            [
                entry['name'],
                stats.show(plain['rate']),
                stats.show(signalling['rate']),
                stats.show(ratio, '%.2f'),
                _num(plain['reruns_per_1000'], '%.1f'),
                _num(signalling['reruns_per_1000'], '%.1f'),
            ]
        )
    if not lines:
        return []
    return [
        'Signal cost: writes that clear a cache in every process (bench.signalling.row) against the '
        'same writes clearing nothing (bench.plain.row), back to back in each round',
        table(
            [
                'configuration',
                'plain writes/s',
                'signalling writes/s',
                'signalling / plain',
                're-runs/1000 plain',
                're-runs/1000 signalling',
            ],
            lines,
        ),
    ]


def _memory(report):
    mem = [r for r in report['rows'] if r['key'] == 'memory']
    if not mem:
        return []
    return [
        'Memory: RSS of each serving process after the first %d read1 calls and after %d'
        % (mem[0]['first'], mem[0]['requests']),
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
        ),
    ]


def _commands(report):
    lines = ['Command lines (re-runnable: each config file is kept in configs/, each log is in logs/):']
    for entry in report['configurations']:
        if entry.get('command'):
            lines.append('  %s (log %s):\n    %s' % (entry['name'], entry['log_file'], entry['command']))
    return ['\n'.join(lines)]


def _targets(report):
    if not report.get('targets'):
        return []
    return [
        "For the project's developers: development targets (ratios of medians in this run, concurrency %s;\n"
        'they track the code, not your set-up)' % report['targets'][0]['concurrency'],
        table(
            ['target', 'ratio', 'goal', 'reached'],
            [
                [
                    t['description'],
                    _num(t['ratio'], '%.2f'),
                    '%s %.2f' % (t['op'], t['goal']),
                    {True: 'yes', False: 'no', None: 'not measured'}[t['met']],
                ]
                for t in report['targets']
            ],
        ),
    ]


def _problems(report):
    parts = []
    for s in report['summary']['cells']:
        if s['errors']:
            firsts = [
                r['first_error']
                for r in report['rows']
                if r['config'] == s['config'] and r['key'] == s['key'] and r.get('first_error')
            ]
            parts.append('%s / %s: %d errors, first: %s' % (s['config'], s['key'], s['errors'], firsts[:1]))
    for row in report['rows']:
        if row['key'] in stats.SPECIAL_KEYS and row.get('first_error'):
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
    return parts


def render(report):
    m = report['machine']
    d = report.get('dataset', {})
    parts = ['\n'.join(verdict_lines(report))]
    ratios = headline_ratios(report)
    if ratios:
        parts.append(
            'Headline ratios (median [lowest..highest] of the per-round ratios):\n'
            + '\n'.join('  %s: x%s' % (what, stats.show(r, '%.2f')) for what, r in ratios)
        )
    parts.append(
        'Machine: %s cores (%s), %.1f GiB, PostgreSQL %s, Python %s, load generator %s\n'
        'Data: %s partners, %s orders (database %s); %s rounds; measured in %s (estimated %s)'
        % (
            m['cores'],
            m['cpu_model'],
            m['memory_bytes'] / MB / 1024,
            m['postgresql'],
            m['python'],
            m['wrk'] or 'python processes',
            d.get('partners'),
            d.get('orders'),
            d.get('database'),
            report['settings'].get('rounds'),
            _clock(report.get('measured_seconds')),
            _clock(report.get('estimate_seconds')),
        )
    )
    parts.append(_cells(report))
    parts += _isolation(report) + _signal(report) + _memory(report) + _commands(report)
    parts += _problems(report) + _targets(report)
    return '\n\n'.join(parts)


def _clock(seconds):
    if seconds is None:
        return '-'
    return '%dm%02ds' % divmod(int(seconds), 60)
