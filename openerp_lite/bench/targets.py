"""The project's development targets, evaluated on one report, and each cell's rate as a fraction
of its floor.

These are the goals the project's developers hold the code to; an operator cannot act on them,
so the reports show them last, in a section of their own. Every ratio is a median over the
rounds of the run, each round's ratio taken between cells measured moments apart.
"""

from . import stats

GUNICORN_2 = 'gunicorn w2 stateless'
GUNICORN_3 = 'gunicorn w3 stateless'
GUNICORN_1 = 'gunicorn w1 stateless'
THREADED_STATEFUL = 'threaded stateful'
THREADED_STATELESS = 'threaded stateless'
#: the concurrency the targets are stated at
TARGET_CONCURRENCY = 4


def find(report, config, key, concurrency=None):
    """The summary of ``config``'s cell ``key`` (at ``concurrency`` when given), or None."""
    return stats.find_cell(report['summary']['cells'], config, key, concurrency)


def _floor_name(report, kind):
    for entry in report['configurations']:
        if entry['kind'] == kind:
            return entry['name']
    return None


def floor_row(report, summary):
    """The floor that ``summary``'s rate is compared with: the hello floor for ``version``, the
    read floor for every database workload; None for the floors themselves."""
    if summary['config'].startswith('floor-'):
        return None
    kind = 'floor-hello' if summary['workload'] == 'version' else 'floor-read'
    name = _floor_name(report, kind)
    if name is None:
        return None
    return find(report, name, 'version' if kind == 'floor-hello' else 'read1', summary['concurrency'])


def floor_fraction(report, summary):
    floor = floor_row(report, summary)
    if not floor or not floor['rate'] or not summary['rate']:
        return None
    return summary['rate']['median'] / floor['rate']['median']


def _concurrency(report):
    levels = sorted({s['concurrency'] for s in report['summary']['cells']})
    if not levels:
        return None
    return TARGET_CONCURRENCY if TARGET_CONCURRENCY in levels else levels[-1]


def evaluate(report):
    """A list of ``{name, description, ratio, goal, op, met}`` (ratio None: not measured)."""
    level = _concurrency(report)
    floor_read = _floor_name(report, 'floor-read')
    floor_hello = _floor_name(report, 'floor-hello')

    def rate_ratio(a, b, key):
        ratio = stats.paired_ratio(report['rows'], a, b, key, level)
        return ratio['median'] if ratio else None

    results = []

    def add(name, description, ratio, goal, op):
        met = None if ratio is None else (ratio >= goal if op == '>=' else ratio <= goal)
        results.append(
            {
                'name': name,
                'description': description,
                'ratio': ratio,
                'goal': goal,
                'op': op,
                'met': met,
                'concurrency': level,
            }
        )

    add(
        'multicore_read1',
        'gunicorn 2 workers / threaded stateful, read1 req/s',
        rate_ratio(GUNICORN_2, THREADED_STATEFUL, 'read1'),
        1.6,
        '>=',
    )
    add(
        'multicore_search_read80',
        'gunicorn 2 workers / threaded stateful, search_read80 req/s',
        rate_ratio(GUNICORN_2, THREADED_STATEFUL, 'search_read80'),
        1.6,
        '>=',
    )
    add(
        'stateless_cost',
        'threaded stateless / threaded stateful, read1 req/s',
        rate_ratio(THREADED_STATELESS, THREADED_STATEFUL, 'read1'),
        0.95,
        '>=',
    )
    add(
        'read1_floor',
        'gunicorn 2 workers read1 / read floor (2 workers) req/s',
        rate_ratio(GUNICORN_2, floor_read, 'read1') if floor_read else None,
        0.5,
        '>=',
    )
    add(
        'version_floor',
        'gunicorn 2 workers version / hello floor (2 workers) req/s',
        rate_ratio(GUNICORN_2, floor_hello, 'version') if floor_hello else None,
        0.6,
        '>=',
    )
    isolation = next((s for s in report['summary']['isolation'] if s['config'] == GUNICORN_3), None)
    add(
        'isolation_p99',
        'gunicorn 3 workers: read1 p99 during the CPU hog / p99 without it',
        isolation['p99_ratio']['median'] if isolation and isolation['p99_ratio'] else None,
        2.0,
        '<=',
    )
    memory = next((r for r in report['rows'] if r['config'] == GUNICORN_1 and r['key'] == 'memory'), None)
    add(
        'memory_growth',
        'gunicorn 1 worker: worker RSS after %s read1 / after the first %s'
        % ((memory or {}).get('requests', 10000), (memory or {}).get('first', 100)),
        memory and memory.get('rss_ratio'),
        1.2,
        '<=',
    )
    return results
