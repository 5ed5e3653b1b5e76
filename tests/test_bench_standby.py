"""``openerp-server bench --standby`` end to end at a tiny size: a durable primary and a hot standby
built for the run, three alternating rounds of half a second of reads and twenty writes and
write-then-read pairs per setup. Checks what it reports (both setups, medians with their
spreads, ratios round by round, no stale read), never the timings."""

import json
import subprocess
import sys

import pytest

from openerp_lite.bench import cluster, launcher
from tests.support.server import EXECUTABLE, ROOT

ROUNDS = 3
KEYS = ('read1', 'write1', 'read after write')


@pytest.fixture(scope='module')
def standby_run(tmp_path_factory):
    """``(report, output folder, terminal output)`` of one short run."""
    if cluster.postgres_bindir() is None:
        pytest.skip('no PostgreSQL binaries (initdb) on this machine')
    output = tmp_path_factory.mktemp('standby')
    cmd = [sys.executable, EXECUTABLE, 'bench', '--standby', '--rounds', str(ROUNDS), '--duration', '0.5']
    cmd += ['--pairs', '20', '--partners', '100', '-c', '2', '--engine', 'python', '-o', str(output)]
    result = subprocess.run(
        cmd, cwd=ROOT, env=launcher.clean_environ(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((output / 'standby.json').read_text()), output, result.stdout


def test_both_setups_are_measured_in_alternating_rounds_without_errors(standby_run):
    report, _output, _stdout = standby_run
    rows = sorted(report['rows'], key=lambda row: row['sequence'])
    order = [(row['round'], row['config']) for row in rows if row['key'] == 'read1']
    assert order == [
        (1, 'primary'),
        (1, 'standby'),
        (2, 'standby'),
        (2, 'primary'),
        (3, 'primary'),
        (3, 'standby'),
    ]
    for row in rows:
        assert row['errors'] == 0 and row['stale'] == 0, row
        assert row['operations'] > 0 and row['p50_ms'] <= row['p99_ms'], row
    assert {row['operations'] for row in rows if row['key'] != 'read1'} == {20}
    assert '--db_replica_host' in report['commands']['standby']
    assert '--db_replica_host' not in report['commands']['primary']


def test_every_figure_is_a_median_with_its_spread_and_no_read_missed_its_write(standby_run):
    report, output, stdout = standby_run
    setups = report['summary']['setups']
    assert set(setups) == {'primary', 'standby'}
    for setup in setups.values():
        assert set(setup) == set(KEYS)
        for cell in setup.values():
            assert cell['stale'] == 0 and cell['errors'] == 0, cell
            for field in ('rate', 'p50_ms', 'p99_ms'):
                spread = cell[field]
                assert spread['rounds'] == ROUNDS, cell
                assert spread['low'] <= spread['median'] <= spread['high'], cell
    ratio = report['summary']['ratios']['read1 rate']
    assert ratio['rounds'] == ROUNDS and ratio['low'] <= ratio['median'] <= ratio['high']
    text = (output / 'standby.txt').read_text()
    assert text in stdout
    read = setups['standby']['read1']['rate']
    assert '%.0f [%.0f..%.0f]' % (read['median'], read['low'], read['high']) in text
    assert 'primary only' in text and 'with a standby' in text
    stale_line = next(line for line in text.splitlines() if line.startswith('stale reads'))
    assert stale_line.split()[2:] == ['0', '0']
    # the standby setup's reads went to the standby
    (figures,) = report['standby_figures']
    assert figures['reads'] > 0
