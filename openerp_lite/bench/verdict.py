"""The verdict: which configuration to run on this machine for this data, and the measured reasons.

How it is chosen, so an operator can check it against the tables:

1. only configurations that started and served every call without an error are candidates;
2. when the isolation workload ran, the candidates that isolate are preferred (one slow report
   must not stall everybody): those whose other clients' p99 while one client runs a CPU hog (the
   median of the rounds) is at most half the baseline's, measured in the same rounds (one process
   with threads shares its interpreter with the hog: its other clients wait for it). Without a
   baseline, the comparison is with three times the machine's quiet p99 (the median, over the
   candidates, of their p99 without the hog);
3. among those, the highest throughput: the geometric mean, over the database workloads, of the
   configuration's rate over the baseline's (threaded stateful), each ratio taken round by round;
4. configurations within the noise of the best (the spread of its rounds, at least 5 %) are taken
   as equal, and the one with the fewest serving processes (the least memory) wins.
"""

import math

from . import stats

BASELINE = 'threaded stateful'
STATELESS = 'threaded stateless'
#: the share of the baseline's p99 under the CPU hog that a configuration that isolates stays within
ISOLATION_SHARE = 0.5
#: without a baseline: how far above the machine's quiet p99 it may be
ISOLATION_LIMIT = 3.0
#: the smallest difference in throughput the verdict treats as real
MIN_NOISE = 0.05
MB = 1024.0 * 1024.0


def concurrency_level(summaries, wanted=4):
    levels = sorted({s['concurrency'] for s in summaries})
    if not levels:
        return None
    return wanted if wanted in levels else levels[-1]


def _database_keys(summaries, config):
    return [
        s['key']
        for s in summaries
        if s['config'] == config and s['workload'] not in ('version', 'signal_write')
    ]


def _memory(report, config):
    """``(MB per serving process, MB in all, processes)`` from the memory probe, else the end."""
    sizes = None
    for row in report['rows']:
        if row['key'] == 'memory' and row['config'] == config:
            sizes = row['rss_last']
    if not sizes:
        for entry in report['configurations']:
            if entry['name'] == config:
                sizes = entry.get('rss_end')
    if not sizes:
        return None
    values = sorted(sizes.values())
    return values[len(values) // 2] / MB, sum(values) / MB, len(values)


def operator_command(entry):
    """The options an operator adds to their own command line to run ``entry``'s configuration."""
    parts = ['./openerp-server', '--server', entry['kind'], '--mode', entry['mode']]
    if entry.get('workers'):
        parts += ['--workers', str(entry['workers'])]
    return ' '.join(parts)


def decide(report):
    """The verdict dict: ``config``, ``command``, ``reasons`` (sentences), ``how``; or a
    ``reasons`` list saying why there is none."""
    rows = report['rows']
    summaries = report['summary']['cells']
    level = concurrency_level(summaries)
    entries = {e['name']: e for e in report['configurations']}
    candidates = []
    for entry in report['configurations']:
        if entry['floor'] or entry.get('error'):
            continue
        if any(r['config'] == entry['name'] and r['errors'] for r in rows):
            continue
        if _database_keys(summaries, entry['name']):
            candidates.append(entry['name'])
    if not candidates:
        return {'config': None, 'reasons': ['no configuration served the database workloads without errors']}
    baseline = BASELINE if BASELINE in candidates else candidates[0]

    def ratio(config, other, key):
        if config == other:
            return None
        return stats.paired_ratio(rows, config, other, key, level)

    def score(config, other=baseline):
        if config == other:
            return 1.0
        logs = []
        for key in _database_keys(summaries, config):
            r = ratio(config, other, key)
            if r and r['median'] > 0:
                logs.append(math.log(r['median']))
        return math.exp(sum(logs) / len(logs)) if logs else 0.0

    isolation = {s['config']: s for s in report['summary']['isolation'] if s['config'] in candidates}
    quiet = stats.spread([s['p99_ms_alone']['median'] for s in isolation.values() if s['p99_ms_alone']])
    quiet_p99 = quiet['median'] if quiet else None

    limit, limit_text = None, ''
    if baseline in isolation and isolation[baseline]['p99_ms_hog']:
        limit = ISOLATION_SHARE * isolation[baseline]['p99_ms_hog']['median']
        limit_text = 'at most half the %.1f ms of %s' % (
            isolation[baseline]['p99_ms_hog']['median'],
            baseline,
        )
    elif quiet_p99:
        limit = ISOLATION_LIMIT * quiet_p99
        limit_text = 'within x%g of the quiet %.1f ms' % (ISOLATION_LIMIT, quiet_p99)

    def isolates(config):
        summary = isolation.get(config)
        return bool(limit and summary and summary['p99_ms_hog'] and summary['p99_ms_hog']['median'] <= limit)

    pool = [c for c in candidates if isolates(c)] or candidates
    best = max(pool, key=score)
    read1 = ratio(best, baseline, 'read1')
    noise = max(MIN_NOISE, stats.relative_spread(read1) or 0.0)
    tied = [c for c in pool if score(c) >= score(best) * (1 - noise)]
    chosen = min(tied, key=lambda c: ((_memory(report, c) or (0, 0, 1))[2], -score(c)))

    reasons = []
    reference = baseline
    if chosen == baseline:
        others = [c for c in candidates if c != chosen]
        reference = max(others, key=score) if others else None
    if reference:
        key = 'read1' if ratio(chosen, reference, 'read1') else _database_keys(summaries, chosen)[0]
        r = ratio(chosen, reference, key)
        if r:
            reasons.append(
                'throughput: %s at %d clients is x%s the rate of %s over %d alternating rounds '
                '(x%.2f over all %d database workloads)'
                % (
                    key,
                    level,
                    stats.show(r, '%.2f'),
                    reference,
                    r['rounds'],
                    score(chosen, reference),
                    len(_database_keys(summaries, chosen)),
                )
            )
    if chosen in isolation:
        mine = isolation[chosen]
        text = "a CPU hog: while one client runs %s, the other clients' read1 p99 is %s ms" % (
            mine['hog_method'],
            stats.show(mine['p99_ms_hog'], '%.1f'),
        )
        if reference in isolation:
            text += ' (%s: %s ms)' % (reference, stats.show(isolation[reference]['p99_ms_hog'], '%.1f'))
        text += '; %.1f ms without the hog on this machine' % quiet_p99
        reasons.append(text)
    memory = _memory(report, chosen)
    if memory:
        reasons.append(
            'memory: %.0f MB per serving process, %.0f MB for its %d process%s'
            % (memory[0], memory[1], memory[2], '' if memory[2] == 1 else 'es')
        )
    if entries[chosen]['mode'] == 'stateless' and BASELINE in candidates and STATELESS in candidates:
        cost = stats.paired_ratio(rows, STATELESS, BASELINE, 'read1', level)
        if cost:
            reasons.append(
                'the stateless cost (the mode several processes need): threaded stateless / stateful '
                'read1 = x%s' % stats.show(cost, '%.2f')
            )
    how = 'fewest processes among the configurations within %.0f %% of the best throughput' % (100 * noise)
    if pool != candidates:
        how += ", of those whose other clients' p99 under a CPU hog is %s" % limit_text
    elif limit:
        how += "; none kept the other clients' p99 under the CPU hog %s" % limit_text
    if len(tied) > 1:
        how += ' (%s)' % ', '.join(tied)
    return {
        'config': chosen,
        'command': operator_command(entries[chosen]),
        'reasons': reasons,
        'how': how,
        'baseline': baseline,
        'concurrency': level,
    }
