"""``openerp-server bench`` end to end at a tiny size: one configuration per server kind and both
floors, about a second per cell, a small data set. Checks the reports' contents, not the timings."""

import json
import os
import subprocess
import sys

from tests.support.server import EXECUTABLE, ROOT

CONFIGURATIONS = 'threaded:stateful,waitress:stateful,gunicorn:stateless:2'


def _db_args(pg):
    args = ['--db_host', str(pg['host'])]
    if pg.get('port'):
        args += ['--db_port', str(pg['port'])]
    if pg.get('user'):
        args += ['-r', pg['user']]
    if pg.get('password'):
        args += ['-w', pg['password']]
    return args


def _run_bench(pg, output):
    cmd = [
        sys.executable,
        EXECUTABLE,
        'bench',
        '--configurations',
        CONFIGURATIONS,
        '--duration',
        '1',
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
    env = {k: v for k, v in os.environ.items() if not k.startswith('OPENERP_LITE_')}
    return subprocess.run(cmd + _db_args(pg), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_bench_tiny_run_writes_json_and_html_with_every_cell_served_without_errors(pg, tmp_path):
    result = _run_bench(pg, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / 'report.json').read_text())
    html = (tmp_path / 'report.html').read_text()

    names = [entry['name'] for entry in report['configurations']]
    assert names == [
        'threaded stateful',
        'waitress stateful',
        'gunicorn w2 stateless',
        'floor-hello w2',
        'floor-read w2',
    ]
    for entry in report['configurations']:
        assert 'error' not in entry, entry
        assert entry['command'] and entry['rss_end'], entry

    expected = {
        'version',
        'read1',
        'read1 jsonrpc',
        'search_read80',
        'write1',
        'sale_flow',
        'isolation',
        'memory',
    }
    for config in names[:3]:
        keys = {row['key'] for row in report['rows'] if row['config'] == config}
        assert keys == expected, (config, keys)
    floors = {(row['config'], row['key']) for row in report['rows'] if row['config'].startswith('floor-')}
    assert floors == {('floor-hello w2', 'version'), ('floor-read w2', 'read1')}

    for row in report['rows']:
        assert row['errors'] == 0, row
        if row['key'] == 'isolation':
            assert row['rate_alone'] > 0 and row['rate_hog'] > 0 and row['hog_calls'] >= 1, row
        elif row['key'] == 'memory':
            assert row['rss_first'] and row['rss_last'], row
        else:
            assert row['rate'] > 0 and row['operations'] > 0, row
            assert row['p50_ms'] <= row['p95_ms'] <= row['p99_ms'], row

    # the scratch database is gone, the targets are evaluated, the machine is named
    assert report['dataset']['scratch'] is True
    assert {t['name'] for t in report['targets']} >= {'multicore_read1', 'isolation_p99'}
    assert report['machine']['cores'] >= 1 and report['machine']['postgresql']
    for text in (
        '<svg',
        'threaded stateful',
        'gunicorn w2 stateless',
        'Isolation',
        'Memory',
        'PostgreSQL',
        '--server gunicorn',
    ):
        assert text in html
    assert 'http://' not in html.replace('http://www.w3.org/2000/svg', '').replace('http-', ''), (
        'the report must not load anything from the network'
    )
    assert 'ops/s' in result.stdout and 'Targets' in result.stdout
