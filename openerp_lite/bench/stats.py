"""Medians and spreads over the rounds of a run.

The runner measures every cell once per round, the configurations in turn, so a machine that gets
busier or quieter during the run moves every configuration's figures alike. What the reports show
of a cell is the median over its rounds with the lowest and highest round beside it; a ratio of
two configurations is taken round by round (both measured in the same round, moments apart) and
then summarised the same way, so drift between rounds cancels out of it.
"""

import statistics

#: rows that are not request cells (measured by the runner in their own way)
SPECIAL_KEYS = ('isolation', 'memory')


def spread(values):
    """``{median, low, high, rounds, values}`` of the non-None ``values``; None when there are none."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {
        'median': statistics.median(values),
        'low': min(values),
        'high': max(values),
        'rounds': len(values),
        'values': list(values),
    }


def relative_spread(summary):
    """Half the range as a fraction of the median (0.05: the rounds lie within about ±5 %)."""
    if not summary or not summary['median']:
        return None
    return (summary['high'] - summary['low']) / 2.0 / abs(summary['median'])


def show(summary, fmt='%.1f'):
    """``median [low..high]``, or ``-`` when nothing was measured."""
    if not summary:
        return '-'
    if summary['rounds'] == 1:
        return fmt % summary['median']
    return '%s [%s..%s]' % (fmt % summary['median'], fmt % summary['low'], fmt % summary['high'])


def request_rows(rows):
    return [r for r in rows if r['key'] not in SPECIAL_KEYS]


def _rows_of(rows, config, key, concurrency=None):
    return [
        r
        for r in rows
        if r['config'] == config
        and r['key'] == key
        and (concurrency is None or r['concurrency'] == concurrency)
    ]


def rates_by_round(rows, summary):
    """The rate of each round of the cell ``summary`` sums up, in running order."""
    return [r['rate'] for r in _rows_of(rows, summary['config'], summary['key'], summary['concurrency'])]


def cells(rows):
    """One summary per (configuration, cell, concurrency), in the order first measured."""
    order, grouped = [], {}
    for row in request_rows(rows):
        ident = (row['config'], row['key'], row['concurrency'])
        if ident not in grouped:
            order.append(ident)
            grouped[ident] = []
        grouped[ident].append(row)
    result = []
    for ident in order:
        group = grouped[ident]
        last = group[-1]
        operations = sum(r['operations'] for r in group)
        retries = [r['reruns'] for r in group if r.get('reruns') is not None]
        result.append(
            {
                'config': ident[0],
                'key': ident[1],
                'concurrency': ident[2],
                'workload': last['workload'],
                'unit': last['unit'],
                'engine': last['engine'],
                'rate': spread([r['rate'] for r in group]),
                'p50_ms': spread([r['p50_ms'] for r in group]),
                'p95_ms': spread([r['p95_ms'] for r in group]),
                'p99_ms': spread([r['p99_ms'] for r in group]),
                'loadgen_cpu_pct': spread([r['loadgen_cpu_pct'] for r in group]),
                'server_cpu_pct': spread([r['server_cpu_pct'] for r in group]),
                'errors': sum(r['errors'] for r in group),
                'operations': operations,
                'rss_bytes': last.get('rss_bytes'),
                'reruns_per_1000': (1000.0 * sum(retries) / operations) if retries and operations else None,
            }
        )
    return result


def find_cell(summaries, config, key, concurrency=None):
    for summary in summaries:
        if (
            summary['config'] == config
            and summary['key'] == key
            and (concurrency is None or summary['concurrency'] == concurrency)
        ):
            return summary
    return None


def paired_ratio(rows, config_a, config_b, key, concurrency=None, key_b=None, field='rate'):
    """``field`` of ``config_a``'s cell over ``config_b``'s, round by round; a :func:`spread`."""
    by_round = {r['round']: r[field] for r in _rows_of(rows, config_b, key_b or key, concurrency)}
    ratios = []
    for row in _rows_of(rows, config_a, key, concurrency):
        other = by_round.get(row['round'])
        if other:
            ratios.append(row[field] / other)
    return spread(ratios)


def same_server_ratio(rows, config, key_a, key_b, concurrency=None, field='rate'):
    """``key_a`` over ``key_b`` on one configuration, round by round (a pair measured back to back)."""
    return paired_ratio(rows, config, config, key_a, concurrency, key_b=key_b, field=field)


def isolation(rows):
    """One summary per configuration of its isolation rounds."""
    result = []
    configs = []
    for row in rows:
        if row['key'] == 'isolation' and row['config'] not in configs:
            configs.append(row['config'])
    for config in configs:
        group = [r for r in rows if r['key'] == 'isolation' and r['config'] == config]
        result.append(
            {
                'config': config,
                'concurrency': group[0]['concurrency'],
                'hog_method': group[0]['hog_method'],
                'p99_ratio': spread([r['p99_ratio'] for r in group]),
                'p99_ms_alone': spread([r['p99_ms_alone'] for r in group]),
                'p99_ms_hog': spread([r['p99_ms_hog'] for r in group]),
                'p50_ms_alone': spread([r['p50_ms_alone'] for r in group]),
                'p50_ms_hog': spread([r['p50_ms_hog'] for r in group]),
                'rate_alone': spread([r['rate_alone'] for r in group]),
                'rate_hog': spread([r['rate_hog'] for r in group]),
                'hog_calls': sum(r['hog_calls'] for r in group),
                'errors': sum(r['errors'] for r in group),
            }
        )
    return result


def summarize(report):
    """``{cells, isolation}`` of ``report``'s rows (stored in the report as ``summary``)."""
    rows = report['rows']
    return {'cells': cells(rows), 'isolation': isolation(rows)}
