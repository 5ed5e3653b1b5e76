"""The whole bench: data set-up, every configuration started once, then each workload measured
in alternating rounds, then the summary, the verdict and the reports.

For each workload the configurations run in turn, round after round (each round starts one
configuration further along), so that a machine getting busier or quieter during the run moves
every configuration's figures alike; :mod:`.stats` turns the rounds into medians with spreads and
ratios taken round by round, and :mod:`.verdict` says which configuration to run.

:func:`run` takes a :class:`Settings` and returns the report (a dict, also written as JSON, HTML
and text into ``settings.output``, with each server's config file in ``configs/`` and its log in
``logs/``). Servers and the scratch database are always cleaned up, even when a configuration
fails or the run is interrupted.
"""

import datetime
import json
import os
import secrets
import sys
import time
import xmlrpc.client

from . import (
    dataset,
    launcher,
    machine,
    measure,
    report_html,
    report_text,
    servers,
    stats,
    targets,
    verdict,
    workloads,
    wrk,
)
from .progress import Progress
from .protocol import Credentials

#: seconds a cell costs beyond its duration (client processes forked, warm-up call, results),
#: as measured on a two-core machine
CELL_OVERHEAD = 0.2
#: the read1 rate assumed for the memory probe's estimate before anything is measured
MEMORY_RATE_GUESS = 600.0
#: the operations per second assumed for a cell bounded by --requests
REQUESTS_RATE_GUESS = 200.0
#: seconds a server under test gets to stop on SIGTERM before it is killed
STOP_TIMEOUT = report_text.STOP_TIMEOUT
#: fewest rounds that give a spread
MIN_ROUNDS = 3


def default_configurations(cores):
    """Threaded and waitress stateful, threaded stateless, gunicorn stateless with 1, 2, 3 (the
    isolation target's) and cores x 2 workers."""
    specs = ['threaded:stateful', 'waitress:stateful', 'threaded:stateless']
    for workers in sorted({1, 2, 3, cores * 2}):
        specs.append('gunicorn:stateless:%d' % workers)
    return specs


class Settings:
    """Everything a run needs; built by ``openerp-server bench``'s option parser."""

    def __init__(self, **values):
        self.configurations = default_configurations(os.cpu_count() or 1)
        self.floors = ['floor-hello:2', 'floor-read:2']
        self.workloads = list(workloads.WORKLOAD_NAMES)
        self.concurrency = [4]
        self.duration = 5.0
        self.requests = None
        self.warmup = 2.0
        self.partners = 10000
        self.orders = 2000
        self.database = None
        self.keep_database = False
        self.output = 'bench-report'
        self.engine = 'auto'
        self.pg = None
        self.login = 'admin'
        self.password = None
        self.hog_seconds = 2.0
        self.isolation_clients = 2
        self.memory_requests = 10000
        self.log_level = 'warn'
        self.rounds = MIN_ROUNDS
        for name, value in values.items():
            if not hasattr(self, name):
                raise TypeError('unknown bench setting %r' % name)
            setattr(self, name, value)
        if self.rounds < MIN_ROUNDS:
            raise ValueError('--rounds: at least %d rounds are needed for a spread' % MIN_ROUNDS)

    def as_dict(self):
        shown = {k: v for k, v in vars(self).items() if k not in ('pg', 'password')}
        shown['pg'] = {k: v for k, v in (self.pg or {}).items() if k != 'password'}
        return shown


def prepare_data(settings, master_password, out):
    """Create (or reuse) the database and fill it; returns ``(Data, created)``."""
    dbname = settings.database or 'bench_%s' % secrets.token_hex(5)
    password = settings.password or ('bench-' + secrets.token_hex(6))
    setup = servers.Configuration('gunicorn', 'stateless', max(2, os.cpu_count() or 1))
    server = servers.start(
        setup, settings.pg, master_password, None, settings.output, settings.log_level, name='setup'
    )
    created = False
    try:
        started = time.monotonic()
        if not dataset.database_exists(server.url, dbname):
            out.write('creating database %s\n' % dbname)
            dataset.create_database(server.url, master_password, dbname, password)
            created = True
        elif not settings.password:
            raise RuntimeError('database %s exists: give the admin password with --password' % dbname)
        creds = Credentials(dbname, None, password)
        dataset.login(server.url, creds, settings.login)

        def progress(what, done, total):
            if done == total or done % (5 * dataset.PARTNER_BATCH) == 0:
                out.write('  %s: %d/%d (%.0fs)\n' % (what, done, total, time.monotonic() - started))
                out.flush()

        data = dataset.populate(
            server.url, creds, settings.partners, settings.orders, progress, parallel=setup.workers
        )
        out.write(
            'data ready in %.0fs: %d partners, %d products, %d orders\n'
            % (time.monotonic() - started, data.partner_count, len(data.product_ids), data.order_count)
        )
        return data, created
    except BaseException:
        if created and not settings.keep_database:
            server.stop()
            launcher.drop_database(settings.pg, dbname)
        raise
    finally:
        server.stop()


def _entry(config):
    return {
        'name': config.name,
        'kind': config.kind,
        'mode': config.mode,
        'workers': config.workers,
        'floor': config.is_floor,
    }


def start_servers(configs, settings, data, master_password, out, started):
    """Start every configuration (they wait, idle, while the others are measured), appending
    ``(entry, server or None)`` to ``started`` as each one starts, so that the caller stops those
    already running when a later one is interrupted; a server that does not start is reported,
    not run."""
    for config in configs:
        entry = _entry(config)
        try:
            server = servers.start(
                config, settings.pg, master_password, data.creds.db, settings.output, settings.log_level
            )
        except RuntimeError as error:
            entry['error'] = str(error)[-2000:]
            out.write('%s: did not start: %s\n' % (config.name, str(error).splitlines()[0]))
            started.append((entry, None))
            continue
        entry['command'] = servers.shown(server.cmdline)
        entry['config_file'] = (
            os.path.relpath(server.conf_path, settings.output) if server.conf_path else None
        )
        entry['log_file'] = os.path.relpath(server.log_path, settings.output)
        entry['pid'] = server.pid
        out.write('started %s (pid %d) on %s\n' % (config.name, server.pid, server.url))
        started.append((entry, server))


def _rotated(items, turn):
    """``items`` starting ``turn`` places along: round 1 starts with the first, round 2 with the
    second, so no configuration always runs first (right after another's load) or last."""
    if not items:
        return []
    turn %= len(items)
    return items[turn:] + items[:turn]


def _floor_workload(server, group):
    """The floor's version of a one-workload group (the hello floor answers version, the read floor
    read1 over XML-RPC), or None when the floor has nothing to do with it."""
    if len(group) != 1:
        return None
    workload = group[0]
    if server.config.kind == 'floor-hello' and workload.name == 'version':
        return workload
    if server.config.kind == 'floor-read' and workload.key == 'read1':
        return workload
    return None


def _reruns(server, data):
    """Calls the serving processes have run again so far (serialization failures retried and
    commits refused after another process signalled), asked of each until all have answered."""
    proxy = xmlrpc.client.ServerProxy(server.url + '/xmlrpc/2/object', allow_none=True)
    creds = data.creds
    seen = {}
    wanted = server.config.processes
    for _turn in range(50 * wanted):
        result = proxy.execute_kw(creds.db, creds.uid, creds.password, 'bench.stats', 'retries', [])
        seen[result['pid']] = result['retries'] + result['refused']
        if len(seen) >= wanted:
            break
    return seen


class Step:
    """One measurement of the plan: a label, its estimated seconds, what it runs."""

    def __init__(self, label, seconds, action):
        self.label, self.seconds, self.action = label, seconds, action


def plan(settings, running, data):
    """Every measurement of the run, in the order they run: the memory probes on fresh servers,
    the warm-ups, then each cell group and concurrency in alternating rounds, then the isolation
    rounds. The estimate is the sum of the steps' seconds, so it counts exactly what will run."""
    apps = [server for server in running if not server.config.is_floor]
    floors = [server for server in running if server.config.is_floor]
    steps = []
    if 'memory' in settings.workloads:
        steps += _memory_steps(settings, apps, data)
    if settings.warmup:
        steps += _warmup_steps(settings, apps, data)
    steps += _cell_steps(settings, apps, floors, data)
    if 'isolation' in settings.workloads:
        steps += _isolation_steps(settings, apps, data)
    return steps


def _cell_seconds(settings, workload):
    if settings.requests:
        return settings.requests / REQUESTS_RATE_GUESS + CELL_OVERHEAD
    if measure.choose_engine(workload, settings.engine, settings.requests) == 'wrk':
        return wrk.effective_seconds(settings.duration) + CELL_OVERHEAD
    return settings.duration + CELL_OVERHEAD


def _cell_step(settings, data, server, workload, clients, turn):
    def action(progress):
        reruns = _reruns(server, data) if getattr(workload, 'counts_retries', False) else None
        row = measure.cell(
            server,
            workload,
            data,
            clients,
            settings.duration,
            settings.engine,
            settings.requests,
            progress.update,
        )
        if reruns is not None:
            after = _reruns(server, data)
            row['reruns'] = sum(after[pid] - reruns.get(pid, 0) for pid in after)
        row['round'] = turn
        return row, report_text.cell_summary(row)

    label = 'r%d %s: %s c%d' % (turn, server.config.name, workload.key, clients)
    return Step(label, _cell_seconds(settings, workload), action)


def _cell_steps(settings, apps, floors, data):
    """Each workload group and concurrency: the configurations in turn, round after round, each
    round starting one further along; a pair of workloads swaps its order every other round, so
    neither side always goes second."""
    steps = []
    for group in workloads.groups(settings.workloads):
        members = apps + [f for f in floors if _floor_workload(f, group)]
        for clients in settings.concurrency:
            for turn in range(1, settings.rounds + 1):
                for server in _rotated(members, turn - 1):
                    chosen = (_floor_workload(server, group),) if server.config.is_floor else group
                    for workload in chosen if turn % 2 else tuple(reversed(chosen)):
                        steps.append(_cell_step(settings, data, server, workload, clients, turn))
    return steps


def _memory_steps(settings, apps, data):
    """The memory probe of each configuration, first, on a fresh server: "after the first 100
    calls" must mean just that."""
    seconds = settings.memory_requests / MEMORY_RATE_GUESS + CELL_OVERHEAD
    steps = []
    for server in apps:

        def memory(progress, server=server):
            row = measure.memory(
                server,
                data,
                max(settings.concurrency),
                settings.memory_requests,
                on_progress=progress.update,
            )
            row['round'] = 1
            return row, report_text.memory_summary(row)

        steps.append(Step('%s: memory' % server.config.name, seconds, memory))
    return steps


def _warmup_steps(settings, apps, data):
    steps = []
    for server in apps:

        def warm(progress, server=server):
            measure.load(
                server,
                workloads.Read1(),
                data,
                max(settings.concurrency),
                settings.warmup,
                'python',
                on_progress=progress.update,
            )
            return None, 'done'

        steps.append(Step('%s: warm-up' % server.config.name, settings.warmup + CELL_OVERHEAD, warm))
    return steps


def _isolation_steps(settings, apps, data):
    """The isolation pair of each configuration, in alternating rounds. Its estimate counts both
    phases, the pause for the first hog call, and the hog call running at the end, which takes
    longer than its CPU seconds while the clients compete with it."""
    phase = settings.duration  # each phase is timed, whatever --requests says
    if measure.choose_engine(workloads.Read1(), settings.engine, None) == 'wrk':
        phase = wrk.effective_seconds(settings.duration)
    seconds = 2 * phase + min(0.5, settings.hog_seconds / 4) + 1.5 * settings.hog_seconds
    seconds += 2 * CELL_OVERHEAD
    steps = []
    for turn in range(1, settings.rounds + 1):
        for server in _rotated(apps, turn - 1):

            def isolate(progress, server=server, turn=turn):
                row = measure.isolation(
                    server,
                    data,
                    settings.isolation_clients,
                    settings.duration,
                    settings.hog_seconds,
                    settings.engine,
                    progress.update,
                )
                row['round'] = turn
                return row, report_text.isolation_summary(row)

            steps.append(Step('r%d %s: isolation' % (turn, server.config.name), seconds, isolate))
    return steps


def measure_all(steps, out):
    """Run ``steps`` in order with a progress line; returns the rows, numbered in running order."""
    progress = Progress(sum(step.seconds for step in steps), out)
    rows = []
    for step in steps:
        progress.start(step.label, step.seconds)
        began = time.monotonic()
        row, summary = step.action(progress)
        progress.finish(summary)
        if row is not None:
            row['sequence'] = len(rows) + 1
            row['step_seconds'] = round(time.monotonic() - began, 3)
            row['step_estimate'] = round(step.seconds, 3)
            rows.append(row)
    return rows


def _clock(seconds):
    return '%dm%02ds' % divmod(int(seconds), 60)


def run(settings, out=None):
    """Run the bench described by ``settings``; returns the report dict (also written to disk)."""
    out = out or sys.stdout
    os.makedirs(settings.output, exist_ok=True)
    master_password = secrets.token_hex(12)
    configs = [servers.Configuration.parse(text) for text in settings.configurations]
    configs += [servers.Configuration.parse(text) for text in settings.floors]
    report = {
        'started': datetime.datetime.now().isoformat(timespec='seconds'),
        'machine': machine.describe(settings.pg),
        'settings': settings.as_dict(),
        'configurations': [],
        'rows': [],
    }
    out.write(
        'openerp-server bench: %d configurations, %d rounds, PostgreSQL %s at %s, output in %s\n'
        % (
            len(configs),
            settings.rounds,
            report['machine']['postgresql'],
            report['machine']['postgresql_at'],
            settings.output,
        )
    )
    data, created = prepare_data(settings, master_password, out)
    report['dataset'] = {
        'database': data.creds.db,
        'partners': data.partner_count,
        'products': len(data.product_ids),
        'orders': data.order_count,
        'scratch': created and not settings.keep_database,
    }
    started = []
    try:
        start_servers(configs, settings, data, master_password, out, started)
        report['configurations'] = [entry for entry, _server in started]
        steps = plan(settings, [server for _entry, server in started if server], data)
        report['estimate_seconds'] = sum(step.seconds for step in steps)
        out.write(
            '%d measurements, about %s (each workload: the configurations in turn, %d rounds)\n'
            % (len(steps), _clock(report['estimate_seconds']), settings.rounds)
        )
        began = time.monotonic()
        report['rows'] = measure_all(steps, out)
        report['measured_seconds'] = time.monotonic() - began
    finally:
        for entry, server in started:
            if server is not None:
                entry['rss_end'] = {str(pid): size for pid, size in server.rss().items()}
                entry['alive_at_end'] = server.alive()
                # a scratch server: ten seconds of grace, then SIGKILL (the exit status is reported)
                entry['exit_status'] = server.stop(timeout=STOP_TIMEOUT)
        if created and not settings.keep_database:
            launcher.drop_database(settings.pg, data.creds.db)
    report['finished'] = datetime.datetime.now().isoformat(timespec='seconds')
    report['machine']['load_average_at_end'] = list(os.getloadavg())
    report['summary'] = stats.summarize(report)
    report['verdict'] = verdict.decide(report)
    report['targets'] = targets.evaluate(report)
    write(report, settings.output)
    out.write('\n' + report_text.render(report) + '\n')
    out.write(
        'reports: %s, %s\n'
        % (os.path.join(settings.output, 'report.txt'), os.path.join(settings.output, 'report.html'))
    )
    return report


def write(report, folder):
    """Write ``report.json``, ``report.html``, ``report.txt`` and ``charts/*.svg`` into ``folder``."""
    with open(os.path.join(folder, 'report.json'), 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=1, sort_keys=True, default=str)
    with open(os.path.join(folder, 'report.html'), 'w', encoding='utf-8') as handle:
        handle.write(report_html.render(report))
    with open(os.path.join(folder, 'report.txt'), 'w', encoding='utf-8') as handle:
        handle.write(report_text.render(report) + '\n')
    chart_dir = os.path.join(folder, 'charts')
    os.makedirs(chart_dir, exist_ok=True)
    for name, picture in report_html.charts(report).items():
        with open(os.path.join(chart_dir, name), 'w', encoding='utf-8') as handle:
            handle.write(picture)
