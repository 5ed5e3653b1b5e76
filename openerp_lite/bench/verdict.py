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
    candidates = _candidates(report)
    if not candidates:
        return {'config': None, 'reasons': ['no configuration served the database workloads without errors']}
    return _Decision(report, candidates).verdict()


def _candidates(report):
    """The configurations that served every database workload without an error."""
    rows, summaries = report['rows'], report['summary']['cells']
    names = []
    for entry in report['configurations']:
        if entry['floor'] or entry.get('error'):
            continue
        if any(r['config'] == entry['name'] and r['errors'] for r in rows):
            continue
        if _database_keys(summaries, entry['name']):
            names.append(entry['name'])
    return names


class _Decision:
    """The figures one verdict weighs: paired ratios against the baseline, the isolation under a
    CPU hog, memory; then the choice and the sentences that explain it."""

    def __init__(self, report, candidates):
        self.report = report
        self.rows = report['rows']
        self.summaries = report['summary']['cells']
        self.level = concurrency_level(self.summaries)
        self.entries = {e['name']: e for e in report['configurations']}
        self.candidates = candidates
        self.baseline = BASELINE if BASELINE in candidates else candidates[0]
        self.isolation = {s['config']: s for s in report['summary']['isolation'] if s['config'] in candidates}
        quiet = stats.spread(
            [s['p99_ms_alone']['median'] for s in self.isolation.values() if s['p99_ms_alone']]
        )
        self.quiet_p99 = quiet['median'] if quiet else None
        self.limit, self.limit_text = self._isolation_limit()

    def ratio(self, config, other, key):
        if config == other:
            return None
        return stats.paired_ratio(self.rows, config, other, key, self.level)

    def score(self, config, other=None):
        """The geometric mean, over the database workloads, of ``config``'s paired rate ratios
        against ``other`` (the baseline)."""
        other = other or self.baseline
        if config == other:
            return 1.0
        logs = []
        for key in _database_keys(self.summaries, config):
            r = self.ratio(config, other, key)
            if r and r['median'] > 0:
                logs.append(math.log(r['median']))
        return math.exp(sum(logs) / len(logs)) if logs else 0.0

    def _isolation_limit(self):
        """The other clients' p99 under the hog a configuration must keep to count as isolating:
        half the baseline's in the same rounds, else a multiple of the quiet p99."""
        baseline = self.isolation.get(self.baseline)
        if baseline and baseline['p99_ms_hog']:
            hog = baseline['p99_ms_hog']['median']
            return ISOLATION_SHARE * hog, 'at most half the %.1f ms of %s' % (hog, self.baseline)
        if self.quiet_p99:
            return ISOLATION_LIMIT * self.quiet_p99, 'within x%g of the quiet %.1f ms' % (
                ISOLATION_LIMIT,
                self.quiet_p99,
            )
        return None, ''

    def isolates(self, config):
        summary = self.isolation.get(config)
        return bool(
            self.limit and summary and summary['p99_ms_hog'] and summary['p99_ms_hog']['median'] <= self.limit
        )

    def verdict(self):
        pool = [c for c in self.candidates if self.isolates(c)] or self.candidates
        best = max(pool, key=self.score)
        noise = max(MIN_NOISE, stats.relative_spread(self.ratio(best, self.baseline, 'read1')) or 0.0)
        tied = [c for c in pool if self.score(c) >= self.score(best) * (1 - noise)]
        chosen = min(tied, key=lambda c: ((_memory(self.report, c) or (0, 0, 1))[2], -self.score(c)))
        how = 'fewest processes among the configurations within %.0f %% of the best throughput' % (
            100 * noise
        )
        if pool != self.candidates:
            how += ", of those whose other clients' p99 under a CPU hog is %s" % self.limit_text
        elif self.limit:
            how += "; none kept the other clients' p99 under the CPU hog %s" % self.limit_text
        if len(tied) > 1:
            how += ' (%s)' % ', '.join(tied)
        return {
            'config': chosen,
            'command': operator_command(self.entries[chosen]),
            'reasons': self.reasons(chosen),
            'how': how,
            'baseline': self.baseline,
            'concurrency': self.level,
        }

    def reasons(self, chosen):
        reference = self.baseline
        if chosen == self.baseline:
            others = [c for c in self.candidates if c != chosen]
            reference = max(others, key=self.score) if others else None
        reasons = [self._throughput(chosen, reference)] if reference else []
        reasons += [self._isolation(chosen, reference), self._memory(chosen), self._stateless_cost(chosen)]
        return [reason for reason in reasons if reason]

    def _throughput(self, chosen, reference):
        key = 'read1' if self.ratio(chosen, reference, 'read1') else _database_keys(self.summaries, chosen)[0]
        r = self.ratio(chosen, reference, key)
        if not r:
            return None
        return (
            'throughput: %s at %d clients is x%s the rate of %s over %d alternating rounds '
            '(x%.2f over all %d database workloads)'
            % (
                key,
                self.level,
                stats.show(r, '%.2f'),
                reference,
                r['rounds'],
                self.score(chosen, reference),
                len(_database_keys(self.summaries, chosen)),
            )
        )

    def _isolation(self, chosen, reference):
        mine = self.isolation.get(chosen)
        if not mine:
            return None
        text = "a CPU hog: while one client runs %s, the other clients' read1 p99 is %s ms" % (
            mine['hog_method'],
            stats.show(mine['p99_ms_hog'], '%.1f'),
        )
        if reference in self.isolation:
            text += ' (%s: %s ms)' % (reference, stats.show(self.isolation[reference]['p99_ms_hog'], '%.1f'))
        return text + '; %.1f ms without the hog on this machine' % self.quiet_p99

    def _memory(self, chosen):
        memory = _memory(self.report, chosen)
        if not memory:
            return None
        return 'memory: %.0f MB per serving process, %.0f MB for its %d process%s' % (
            memory[0],
            memory[1],
            memory[2],
            '' if memory[2] == 1 else 'es',
        )

    def _stateless_cost(self, chosen):
        if self.entries[chosen]['mode'] != 'stateless':
            return None
        if BASELINE not in self.candidates or STATELESS not in self.candidates:
            return None
        cost = stats.paired_ratio(self.rows, STATELESS, BASELINE, 'read1', self.level)
        if not cost:
            return None
        return (
            'the stateless cost (the mode several processes need): threaded stateless / stateful read1 = x%s'
            % (stats.show(cost, '%.2f'))
        )
