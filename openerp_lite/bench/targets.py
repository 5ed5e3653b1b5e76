"""The issue's performance targets, evaluated on one report (ratios within one run), and each
cell's rate as a fraction of its floor."""

GUNICORN_2 = 'gunicorn w2 stateless'
GUNICORN_3 = 'gunicorn w3 stateless'
GUNICORN_1 = 'gunicorn w1 stateless'
THREADED_STATEFUL = 'threaded stateful'
THREADED_STATELESS = 'threaded stateless'
#: the concurrency the targets are stated at
TARGET_CONCURRENCY = 4


def find(report, config, key, concurrency=None):
    """The row of ``config`` and cell ``key`` (at ``concurrency`` when given), or None."""
    for row in report['rows']:
        if (
            row['config'] == config
            and row['key'] == key
            and (concurrency is None or row['concurrency'] == concurrency)
        ):
            return row
    return None


def _floor_name(report, kind):
    for entry in report['configurations']:
        if entry['kind'] == kind:
            return entry['name']
    return None


def floor_row(report, row):
    """The floor that ``row``'s rate is compared with: the hello floor for ``version``, the read
    floor for every database workload; None for the floors themselves and special rows."""
    if row['config'].startswith('floor-') or row['key'] in ('isolation', 'memory'):
        return None
    kind = 'floor-hello' if row['workload'] == 'version' else 'floor-read'
    name = _floor_name(report, kind)
    if name is None:
        return None
    return find(report, name, 'version' if kind == 'floor-hello' else 'read1', row['concurrency'])


def floor_fraction(report, row):
    floor = floor_row(report, row)
    if not floor or not floor['rate']:
        return None
    return row['rate'] / floor['rate']


def _concurrency(report):
    levels = sorted(
        {row['concurrency'] for row in report['rows'] if row['key'] not in ('isolation', 'memory')}
    )
    if not levels:
        return None
    return TARGET_CONCURRENCY if TARGET_CONCURRENCY in levels else levels[-1]


def _ratio(numerator, denominator, field='rate'):
    if not numerator or not denominator or not denominator.get(field):
        return None
    return numerator[field] / denominator[field]


def evaluate(report):
    """A list of ``{name, description, ratio, goal, op, met}`` (ratio None: not measured)."""
    level = _concurrency(report)
    floor_read = _floor_name(report, 'floor-read')
    floor_hello = _floor_name(report, 'floor-hello')

    def rate_ratio(a, b, key, key_b=None):
        return _ratio(find(report, a, key, level), find(report, b, key_b or key, level))

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
    isolation = find(report, GUNICORN_3, 'isolation')
    add(
        'isolation_p99',
        'gunicorn 3 workers: read1 p99 during the CPU hog / p99 without it',
        isolation and isolation.get('p99_ratio'),
        2.0,
        '<=',
    )
    memory = find(report, GUNICORN_1, 'memory')
    add(
        'memory_growth',
        'gunicorn 1 worker: worker RSS after %s read1 / after the first %s'
        % ((memory or {}).get('requests', 10000), (memory or {}).get('first', 100)),
        memory and memory.get('rss_ratio'),
        1.2,
        '<=',
    )
    return results
