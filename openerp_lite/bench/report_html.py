"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network), the
verdict first and the project's development targets last."""

from html import escape

from . import report_text, stats, svg, targets
from .report_text import MB

STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f0f0f0; } td.l, th.l { text-align: left; }
code { font-size: 11px; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.verdict { border: 2px solid #3465a4; background: #f3f6fb; padding: 8px 16px; max-width: 1000px; }
.verdict h2 { border: none; margin-top: 8px; }
.dev { color: #555; }
.note { color: #555; font-size: 12px; max-width: 900px; }
"""


def _table(header, lines, left=1):
    out = [
        '<table><tr>%s</tr>'
        % ''.join(
            '<th class="%s">%s</th>' % ('l' if i < left else '', escape(str(h))) for i, h in enumerate(header)
        )
    ]
    for line in lines:
        out.append(
            '<tr>%s</tr>'
            % ''.join(
                '<td class="%s">%s</td>' % ('l' if i < left else '', cell) for i, cell in enumerate(line)
            )
        )
    out.append('</table>')
    return '\n'.join(out)


def _n(value, fmt='%.1f'):
    return '-' if value is None else fmt % value


def _rss_max(sizes):
    return max(sizes.values()) / MB if sizes else None


def _machine(report):
    m = report['machine']
    d = report.get('dataset', {})
    s = report['settings']
    lines = [
        ['Cores', '%s (%s)' % (m['cores'], escape(m['cpu_model']))],
        ['Memory', '%.1f GiB' % (m['memory_bytes'] / MB / 1024)],
        ['PostgreSQL', '%s at %s' % (escape(m['postgresql']), escape(m['postgresql_at']))],
        ['System', '%s, Python %s' % (escape(m['os']), escape(m['python']))],
        [
            'Load generator',
            escape(m['wrk'] or 'Python processes') + ' (Python processes for sale_flow and the memory probe)',
        ],
        [
            'Load average (1, 5, 15 min)',
            'at start %s; at end %s'
            % (
                ' '.join('%.2f' % v for v in m['load_average_at_start']),
                ' '.join('%.2f' % v for v in m.get('load_average_at_end', [])) or '-',
            ),
        ],
        [
            'Data',
            '%s partners, %s products, %s sale orders'
            % (d.get('partners'), d.get('products'), d.get('orders')),
        ],
        [
            'Cells',
            '%s s each, concurrency %s, warm-up %s s'
            % (s['duration'], ', '.join(str(c) for c in s['concurrency']), s['warmup']),
        ],
        ['Rounds', '%s, each workload running the configurations in turn' % s.get('rounds')],
        [
            'Run',
            '%s to %s; measured in %s (estimated %s)'
            % (
                report['started'],
                report.get('finished', '?'),
                report_text._clock(report.get('measured_seconds')),
                report_text._clock(report.get('estimate_seconds')),
            ),
        ],
    ]
    return _table(['', ''], [[escape(k), v] for k, v in lines], left=2)


def _configurations(report):
    return _table(
        ['configuration', 'command line (run it again as is: its config file is kept)', 'log'],
        [
            [
                escape(e['name']),
                '<code>%s</code>' % escape(e.get('command') or 'did not start: ' + e.get('error', '')[-300:]),
                escape(e.get('log_file') or ''),
            ]
            for e in report['configurations']
        ],
        left=3,
    )


def _verdict(report):
    v = report.get('verdict') or {}
    if not v.get('config'):
        return '<div class="verdict"><h2>Verdict: none</h2><p>%s</p></div>' % escape(
            '; '.join(v.get('reasons') or ['nothing measured'])
        )
    ratios = report_text.headline_ratios(report)
    return (
        '<div class="verdict"><h2>Verdict: run %s on this machine for this data</h2>'
        '<p><code>%s</code> (plus your usual options)</p><ul>%s</ul>'
        '<p class="note">Chosen as: %s. Every figure is a median over alternating rounds; '
        '[low..high] is the lowest and highest round.</p>%s</div>'
        % (
            escape(v['config']),
            escape(v['command']),
            ''.join('<li>%s</li>' % escape(reason) for reason in v['reasons']),
            escape(v['how']),
            _table(
                ['headline ratio (round by round)', 'median [range]'],
                [[escape(what), 'x' + stats.show(r, '%.2f')] for what, r in ratios],
            )
            if ratios
            else '',
        )
    )


def _targets(report):
    lines = []
    for t in report.get('targets', []):
        reached = {True: 'yes', False: 'no', None: 'not measured'}[t['met']]
        lines.append(
            [
                escape(t['description']),
                _n(t['ratio'], '%.2f'),
                '%s %.2f' % (escape(t['op']), t['goal']),
                reached,
            ]
        )
    return _table(['target', 'ratio', 'goal', 'reached'], lines)


def _cells_table(report):
    lines = []
    for s in report['summary']['cells']:
        lines.append(
            [
                escape(s['config']),
                escape(s['key']),
                s['concurrency'],
                s['engine'],
                stats.show(s['rate']),
                report_text.per_round(report['rows'], s),
                stats.show(s['p50_ms'], '%.2f'),
                stats.show(s['p99_ms'], '%.2f'),
                s['errors'],
                _n(_rss_max(s.get('rss_bytes')), '%.0f'),
                len(s.get('rss_bytes') or {}),
                _n(s['server_cpu_pct']['median'], '%.0f'),
                _n(targets.floor_fraction(report, s), '%.2f'),
            ]
        )
    return _table(
        [
            'configuration',
            'workload',
            'c',
            'load gen',
            'ops/s median [range]',
            'ops/s by round',
            'p50 ms',
            'p99 ms',
            'errors',
            'RSS MB (max)',
            'processes',
            'server CPU %',
            'of floor',
        ],
        lines,
        left=2,
    )


def charts(report):
    """``{file name: svg}`` of the per-workload charts, for reports that embed one picture."""
    return dict(_workload_svgs(report))


def _workload_svgs(report):
    cells = [
        dict(
            s,
            rate=s['rate']['median'],
            p50_ms=s['p50_ms']['median'],
            p95_ms=s['p95_ms']['median'],
            p99_ms=s['p99_ms']['median'],
        )
        for s in report['summary']['cells']
    ]
    keys = []
    for row in cells:
        if row['key'] not in keys:
            keys.append(row['key'])
    level = max(r['concurrency'] for r in cells) if cells else None
    if cells and any(r['concurrency'] == targets.TARGET_CONCURRENCY for r in cells):
        level = targets.TARGET_CONCURRENCY
    for key in keys:
        rows = [r for r in cells if r['key'] == key and r['concurrency'] == level]
        names = [r['config'] for r in rows]
        unit = '%s/s' % rows[0]['unit']
        floor = [r['config'].startswith('floor-') for r in rows]
        series = [('openerp-lite', [None if f else r['rate'] for r, f in zip(rows, floor)])]
        if any(floor):
            series.append(('floor (bare WSGI)', [r['rate'] if f else None for r, f in zip(rows, floor)]))
        rate = svg.bar_chart(
            '%s: throughput, median of the rounds (concurrency %s)' % (key, level),
            names,
            series,
            unit,
            stack=True,
        )
        latency = svg.bar_chart(
            '%s: latency percentiles' % key,
            names,
            [
                ('p50', [r['p50_ms'] for r in rows]),
                ('p95', [r['p95_ms'] for r in rows]),
                ('p99', [r['p99_ms'] for r in rows]),
            ],
            'ms',
        )
        slug = key.replace(' ', '-')
        yield '%s-throughput.svg' % slug, rate
        yield '%s-latency.svg' % slug, latency


def _workload_charts(report):
    svgs = list(_workload_svgs(report))
    out = []
    for index in range(0, len(svgs), 2):
        key = svgs[index][0].rsplit('-', 1)[0]
        out.append(
            '<h3>%s</h3><div class="charts">%s%s</div>' % (escape(key), svgs[index][1], svgs[index + 1][1])
        )
    return '\n'.join(out)


def _isolation(report):
    rows = report['summary']['isolation']
    if not rows:
        return ''
    names = [r['config'] for r in rows]
    chart = svg.bar_chart(
        'isolation: read1 p99 of the other clients, median of the rounds (log scale)',
        names,
        [
            ('without the hog', [r['p99_ms_alone']['median'] for r in rows]),
            ('during the hog', [r['p99_ms_hog']['median'] for r in rows]),
        ],
        'ms',
        log=True,
    )
    table = _table(
        [
            'configuration',
            'req/s alone',
            'p99 alone',
            'req/s during hog',
            'p99 during',
            'p99 ratio',
            'hog calls',
            'errors',
        ],
        [
            [
                escape(r['config']),
                stats.show(r['rate_alone']),
                stats.show(r['p99_ms_alone'], '%.2f'),
                stats.show(r['rate_hog']),
                stats.show(r['p99_ms_hog'], '%.2f'),
                stats.show(r['p99_ratio'], '%.2f'),
                r['hog_calls'],
                r['errors'],
            ]
            for r in rows
        ],
    )
    return (
        '<h2>Isolation</h2><p class="note">%d clients call read1, first alone, then while one '
        'more client calls <code>%s</code> again and again; medians [range] over the rounds.</p>'
        '<div class="charts">%s</div>%s'
        % (rows[0]['concurrency'], escape(rows[0]['hog_method']), chart, table)
    )


def _signal(report):
    text = report_text._signal(report)
    if not text:
        return ''
    return '<h2>Signal cost</h2><p class="note">%s.</p><pre>%s</pre>' % (escape(text[0]), escape(text[1]))


def _memory(report):
    rows = [r for r in report['rows'] if r['key'] == 'memory']
    if not rows:
        return ''
    names = [r['config'] for r in rows]
    chart = svg.bar_chart(
        'memory per serving process (largest)',
        names,
        [
            ('after %d calls' % rows[0]['first'], [_rss_max(r['rss_first']) for r in rows]),
            ('after %d calls' % rows[0]['requests'], [_rss_max(r['rss_last']) for r in rows]),
        ],
        'MB',
    )
    ends = [e for e in report['configurations'] if e.get('rss_end')]
    total = svg.bar_chart(
        'memory of all serving processes at the end',
        [e['name'] for e in ends],
        [('total RSS', [sum(e['rss_end'].values()) / MB for e in ends])],
        'MB',
    )
    table = _table(
        ['configuration', 'processes', 'RSS first (max MB)', 'RSS last (max MB)', 'growth', 'errors'],
        [
            [
                escape(r['config']),
                len(r['rss_last']),
                _n(_rss_max(r['rss_first']), '%.1f'),
                _n(_rss_max(r['rss_last']), '%.1f'),
                _n(r['rss_ratio'], '%.3f'),
                r['errors'],
            ]
            for r in rows
        ],
    )
    return (
        '<h2>Memory</h2><p class="note">Resident memory of each process that serves requests '
        '(gunicorn: each worker; threaded and waitress: the one process), after the first %d '
        'read1 calls and after %d in all, spread over the workers.</p>'
        '<div class="charts">%s%s</div>%s' % (rows[0]['first'], rows[0]['requests'], chart, total, table)
    )


def render(report):
    problems = report_text._problems(report)
    error_html = ''
    if problems:
        error_html = '<h2>Errors</h2><ul>%s</ul>' % ''.join('<li>%s</li>' % escape(p) for p in problems)
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>openerp-server bench</title>
<style>%(style)s</style></head><body>
<h1>openerp-server bench</h1>
%(verdict)s
<h2>Machine and run</h2>%(machine)s
<h2>Throughput and latency by workload</h2>
<p class="note">Closed loop: each client sends its next request when the previous reply arrives.
Each workload ran the configurations in turn, round after round; a figure is the median of the
rounds with the lowest and highest in brackets. ops/s counts successful operations (a sale_flow
operation is three calls); latencies are per operation as the client sees it; "of floor" is the
rate as a fraction of the hello floor (version) or of the read floor (every database workload).</p>
%(charts)s
%(cells)s
%(isolation)s
%(signal)s
%(memory)s
<h2>Configurations</h2>%(configs)s
%(errors)s
<div class="dev"><h2>For the project's developers: development targets</h2><p class="note">The goals the
project holds its code to, as ratios of medians in this run; they say nothing about your set-up.</p>
%(targets)s</div>
</body></html>
""" % {
        'style': STYLE,
        'verdict': _verdict(report),
        'machine': _machine(report),
        'configs': _configurations(report),
        'targets': _targets(report),
        'charts': _workload_charts(report),
        'cells': _cells_table(report),
        'isolation': _isolation(report),
        'signal': _signal(report),
        'memory': _memory(report),
        'errors': error_html,
    }
