"""``openerp-server bench`` end to end at a tiny size: two configurations and both floors, three
alternating rounds of a third of a second per cell, a small data set. Checks what an operator
reads and re-runs (the order of the rounds, the spreads, the verdict, the kept config files and
logs), never the timings."""

import json
import os
import shlex
import subprocess
import sys

import pytest

from openerp_lite.bench import launcher
from tests.support.server import EXECUTABLE, ROOT

CONFIGURATIONS = 'threaded:stateful,gunicorn:stateless:2'
NAMES = ['threaded stateful', 'gunicorn w2 stateless', 'floor-hello w2', 'floor-read w2']
ROUNDS = 3


@pytest.fixture(scope='module')
def bench(pg, tmp_path_factory):
    """``(report, output folder, terminal output)`` of one short run."""
    output = tmp_path_factory.mktemp('bench')
    cmd = [
        sys.executable,
        EXECUTABLE,
        'bench',
        '--configurations',
        CONFIGURATIONS,
        '--rounds',
        str(ROUNDS),
        '--duration',
        '0.3',
        '--warmup',
        '0',
        '--partners',
        '200',
        '--orders',
        '10',
        '--hog-seconds',
        '0.3',
        '--memory-requests',
        '150',
        '-c',
        '2',
        '-o',
        str(output),
    ]
    result = subprocess.run(
        cmd + launcher.db_args(pg),
        cwd=ROOT,
        env=launcher.clean_environ(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((output / 'report.json').read_text())
    return report, output, result.stdout


def test_every_cell_is_served_without_errors_under_each_configuration(bench):
    report, _output, _stdout = bench
    assert [entry['name'] for entry in report['configurations']] == NAMES
    expected = {
        'version',
        'read1',
        'read1 jsonrpc',
        'search_read80',
        'write1',
        'create1',
        'sale_flow',
        'signal_write plain',
        'signal_write signalling',
        'isolation',
        'memory',
    }
    for config in NAMES[:2]:
        assert {row['key'] for row in report['rows'] if row['config'] == config} == expected
    floors = {(row['config'], row['key']) for row in report['rows'] if row['config'].startswith('floor-')}
    assert floors == {('floor-hello w2', 'version'), ('floor-read w2', 'read1')}
    for row in report['rows']:
        assert row['errors'] == 0, row
        if row['key'] == 'isolation':
            assert row['rate_alone'] > 0 and row['rate_hog'] > 0 and row['hog_calls'] >= 1, row
        elif row['key'] != 'memory':
            assert row['rate'] > 0 and row['p50_ms'] <= row['p95_ms'] <= row['p99_ms'], row
    # the scratch database is gone
    assert report['dataset']['scratch'] is True


def test_each_workload_runs_the_configurations_in_turn_round_after_round(bench):
    report, _output, _stdout = bench
    rows = sorted(report['rows'], key=lambda row: row['sequence'])
    for key in ('read1', 'version', 'search_read80', 'isolation'):
        measured = [(row['round'], row['config']) for row in rows if row['key'] == key]
        members = [name for name in NAMES if any(config == name for _round, config in measured)]
        assert len(members) >= 2, (key, measured)
        assert [turn for turn, _config in measured] == sorted(turn for turn, _config in measured)
        for turn in range(1, ROUNDS + 1):
            order = [config for number, config in measured if number == turn]
            # every configuration once per round, each round starting one further along
            shift = (turn - 1) % len(members)
            assert order == members[shift:] + members[:shift], (key, turn, order)
        # one workload's rounds are not interleaved with another workload's cells
        positions = [index for index, row in enumerate(rows) if row['key'] == key]
        assert positions == list(range(positions[0], positions[0] + len(positions))), key
    # the signal pair is measured back to back on one server, its order swapped every round
    pairs = [(row['round'], row['config'], row['key']) for row in rows if row['workload'] == 'signal_write']
    for index in range(0, len(pairs), 2):
        (turn, config, first), (turn_b, config_b, second) = pairs[index], pairs[index + 1]
        assert {first, second} == {'signal_write plain', 'signal_write signalling'}
        assert (turn, config) == (turn_b, config_b)
        assert first == ('signal_write plain' if turn % 2 else 'signal_write signalling'), pairs


def test_every_rate_is_a_median_with_its_spread_over_the_rounds(bench):
    report, output, _stdout = bench
    for summary in report['summary']['cells']:
        rate = summary['rate']
        assert rate['rounds'] == ROUNDS, summary
        assert rate['low'] <= rate['median'] <= rate['high'], summary
    for summary in report['summary']['isolation']:
        assert summary['p99_ratio']['rounds'] == ROUNDS
    text = (output / 'report.txt').read_text()
    read1 = next(s for s in report['summary']['cells'] if s['key'] == 'read1')
    assert (
        '%.1f [%.1f..%.1f]' % (read1['rate']['median'], read1['rate']['low'], read1['rate']['high']) in text
    )
    assert 'read1 gunicorn w2 stateless / threaded stateful: x' in text
    assert 'signal cost gunicorn w2 stateless: signalling / plain writes: x' in text
    assert 're-runs/1000 signalling' in text


def test_the_verdict_comes_first_and_the_development_targets_last(bench):
    report, output, stdout = bench
    verdict = report['verdict']
    assert verdict['config'] in NAMES[:2]
    assert verdict['command'].startswith('./openerp-server --server ')
    assert any(reason.startswith('throughput: ') and '..' in reason for reason in verdict['reasons'])
    assert any(reason.startswith('a CPU hog: ') for reason in verdict['reasons'])
    assert any(reason.startswith('memory: ') for reason in verdict['reasons'])
    text = (output / 'report.txt').read_text()
    assert text.startswith('VERDICT: run %s on this machine' % verdict['config'])
    summary = stdout[stdout.index('VERDICT: ') :]
    assert summary.startswith(text.splitlines()[0])
    developers = text.index("For the project's developers: development targets")
    assert developers > text.index('Command lines') and developers > text.index('Isolation')
    html = (output / 'report.html').read_text()
    assert html.index('Verdict: run %s' % verdict['config']) < html.index('Machine and run')
    assert html.index('development targets') > html.index('<h2>Configurations</h2>')
    assert 'missed' not in html and '#c62828' not in html, 'no red "missed" for an operator'
    assert '<svg' in html and 'http://' not in html.replace('http://www.w3.org/2000/svg', '').replace(
        'http-', ''
    ), 'the report must not load anything from the network'


def test_each_configuration_has_one_log_and_a_command_line_that_runs_again(bench):
    report, output, _stdout = bench
    logs = sorted(os.listdir(output / 'logs'))
    names = [entry['name'] for entry in report['configurations']]
    assert logs == sorted(['setup.log'] + ['%s.log' % name.replace(' ', '_') for name in names])
    for entry in report['configurations']:
        assert entry['log_file'] == 'logs/%s.log' % entry['name'].replace(' ', '_')
        if not entry['floor']:
            conf = output / entry['config_file']
            assert conf.is_file() and str(conf) in entry['command'], entry
    # the runs are over, their scratch database dropped: the command lines still start a server
    for entry in report['configurations'][:2]:
        cmdline = shlex.split(entry['command'])
        port = int(cmdline[cmdline.index('--http-port') + 1])
        server = launcher.launch(cmdline, port, str(output / 'rerun.log'), timeout=60, name=entry['name'])
        try:
            assert server.alive()
        finally:
            assert server.stop() == 0
