"""The whole bench: data set-up, then every configuration in turn, then the reports.

:func:`run` takes a :class:`Settings` and returns the report (a dict, also written as JSON, HTML
and text into ``settings.output``). Servers and the scratch database are always cleaned up, even
when a configuration fails or the run is interrupted.
"""

import datetime
import json
import os
import secrets
import sys
import time

import psycopg2

from . import dataset, machine, measure, report_html, report_text, servers, targets, workloads
from .progress import Progress
from .protocol import Credentials

#: seconds a cell costs beyond its duration (process start, warm-up call, result collection)
CELL_OVERHEAD = 1.5
#: seconds to start, warm and stop one configuration beyond its cells
CONFIG_OVERHEAD = 8.0
#: seconds a server under test gets to stop on SIGTERM before it is killed
STOP_TIMEOUT = report_text.STOP_TIMEOUT


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
        for name, value in values.items():
            if not hasattr(self, name):
                raise TypeError('unknown bench setting %r' % name)
            setattr(self, name, value)

    def as_dict(self):
        shown = {k: v for k, v in vars(self).items() if k not in ('pg', 'password')}
        shown['pg'] = {k: v for k, v in (self.pg or {}).items() if k != 'password'}
        return shown


def _plan_seconds(settings, configs):
    cells = len(workloads.cells(settings.workloads)) * len(settings.concurrency)
    per_cell = (settings.duration if not settings.requests else 5.0) + CELL_OVERHEAD
    total = 0.0
    for config in configs:
        if config.is_floor:
            total += CONFIG_OVERHEAD + len(settings.concurrency) * per_cell
            continue
        total += CONFIG_OVERHEAD + settings.warmup + cells * per_cell
        if 'isolation' in settings.workloads:
            total += 2 * settings.duration + settings.hog_seconds + 2 * CELL_OVERHEAD
        if 'memory' in settings.workloads:
            total += settings.memory_requests / 600.0 + 2 * CELL_OVERHEAD
    return total


def _floor_cells(config, names):
    if config.kind == 'floor-hello':
        return [workloads.Version()] if 'version' in names else []
    return [workloads.Read1()] if 'read1' in names else []


def _drop_database(pg, name):
    conn = psycopg2.connect(dbname='postgres', connect_timeout=10, **pg)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = %s AND pid <> pg_backend_pid()',
                (name,),
            )
            cr.execute('DROP DATABASE IF EXISTS "%s"' % name.replace('"', ''))
    finally:
        conn.close()


def prepare_data(settings, master_password, log_dir, out):
    """Create (or reuse) the database and fill it; returns ``(Data, created)``."""
    dbname = settings.database or 'bench_%s' % secrets.token_hex(5)
    password = settings.password or ('bench-' + secrets.token_hex(6))
    setup = servers.Configuration('gunicorn', 'stateless', max(2, os.cpu_count() or 1))
    server = servers.start(setup, settings.pg, master_password, None, log_dir, settings.log_level)
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
            _drop_database(settings.pg, dbname)
        raise
    finally:
        server.stop()


def run_configuration(config, settings, data, master_password, log_dir, progress):
    """Start ``config``, run its cells, stop it; returns ``(config entry, rows)``."""
    entry = {
        'name': config.name,
        'kind': config.kind,
        'mode': config.mode,
        'workers': config.workers,
        'floor': config.is_floor,
    }
    rows = []
    try:
        server = servers.start(
            config, settings.pg, master_password, data.creds.db, log_dir, settings.log_level
        )
    except RuntimeError as error:
        entry['error'] = str(error)[-2000:]
        progress.note('%s: did not start: %s' % (config.name, str(error).splitlines()[0]))
        return entry, rows
    entry['command'] = servers.shown(server.cmdline)
    try:
        if not config.is_floor and 'memory' in settings.workloads:
            # first, on a fresh server: "after the first 100 calls" must mean just that
            progress.start('%s: memory' % config.name, settings.memory_requests / 600.0)
            row = measure.memory(
                server, data, max(settings.concurrency), settings.memory_requests, on_progress=progress.update
            )
            rows.append(row)
            progress.finish(report_text.memory_summary(row))
        if settings.warmup and not config.is_floor:
            progress.start('%s: warm-up' % config.name, settings.warmup)
            measure.load(
                server,
                workloads.Read1(),
                data,
                max(settings.concurrency),
                settings.warmup,
                'python',
                on_progress=progress.update,
            )
            progress.finish('done')
        cells = (
            _floor_cells(config, settings.workloads)
            if config.is_floor
            else workloads.cells(settings.workloads)
        )
        for workload in cells:
            for clients in settings.concurrency:
                progress.start('%s: %s c%d' % (config.name, workload.key, clients), settings.duration)
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
                rows.append(row)
                progress.finish(report_text.cell_summary(row))
        if not config.is_floor and 'isolation' in settings.workloads:
            progress.start('%s: isolation' % config.name, 2 * settings.duration)
            row = measure.isolation(
                server,
                data,
                settings.isolation_clients,
                settings.duration,
                settings.hog_seconds,
                settings.engine,
                progress.update,
            )
            rows.append(row)
            progress.finish(report_text.isolation_summary(row))
        entry['rss_end'] = {str(pid): size for pid, size in server.rss().items()}
        entry['alive_at_end'] = server.alive()
    finally:
        # a scratch server: ten seconds of grace, then SIGKILL (the exit status is reported)
        entry['exit_status'] = server.stop(timeout=STOP_TIMEOUT)
    return entry, rows


def run(settings, out=None):
    """Run the bench described by ``settings``; returns the report dict (also written to disk)."""
    out = out or sys.stdout
    os.makedirs(settings.output, exist_ok=True)
    log_dir = os.path.join(settings.output, 'logs')
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
        'openerp-server bench: %d configurations, PostgreSQL %s at %s, output in %s\n'
        % (len(configs), report['machine']['postgresql'], report['machine']['postgresql_at'], settings.output)
    )
    data, created = prepare_data(settings, master_password, log_dir, out)
    report['dataset'] = {
        'database': data.creds.db,
        'partners': data.partner_count,
        'products': len(data.product_ids),
        'orders': data.order_count,
        'scratch': created and not settings.keep_database,
    }
    progress = Progress(_plan_seconds(settings, configs), out)
    try:
        for config in configs:
            entry, rows = run_configuration(config, settings, data, master_password, log_dir, progress)
            report['configurations'].append(entry)
            report['rows'].extend(rows)
    finally:
        if created and not settings.keep_database:
            _drop_database(settings.pg, data.creds.db)
    report['finished'] = datetime.datetime.now().isoformat(timespec='seconds')
    report['machine']['load_average_at_end'] = list(os.getloadavg())
    report['targets'] = targets.evaluate(report)
    write(report, settings.output)
    out.write('\n' + report_text.render(report) + '\n')
    out.write(
        'reports: %s, %s\n'
        % (os.path.join(settings.output, 'report.json'), os.path.join(settings.output, 'report.html'))
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
