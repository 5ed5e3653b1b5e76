"""``openerp-server bench``: compare the servers and modes on this machine (see the README's
"Choosing a server"). Parses the options and hands over to :mod:`openerp_lite.bench`."""

import argparse
import os
import sys

PROG = 'openerp-server bench'
PARTNERS = 10000
STANDBY_PARTNERS = 1000
MAX_PAIRS = 5000


def _list(text):
    return [item.strip() for item in text.split(',') if item.strip()]


def _int_list(text):
    try:
        values = [int(item) for item in _list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError('expected comma-separated integers, got %r' % text)
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError('concurrency levels must be at least 1')
    return values


def _positive(kind):
    def convert(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError('must be positive, got %r' % text)
        return value

    return convert


def build_parser():
    from ..bench import default_configurations, workloads

    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            'Run the same workloads under each server and mode, against a scratch database filled '
            'with partners, products and sale orders, and write a table, a JSON file and an HTML '
            'report with charts.'
        ),
    )
    run = parser.add_argument_group('What to run')
    run.add_argument(
        '--configurations',
        type=_list,
        metavar='K:M[:W],...',
        default=default_configurations(cores),
        help='servers as KIND:MODE[:WORKERS] (default: %(default)s)',
    )
    run.add_argument(
        '--floors',
        type=_list,
        metavar='F[:W],...',
        default=['floor-hello:2', 'floor-read:2'],
        help='floor applications under gunicorn with W workers; "" for none (default: %(default)s)',
    )
    run.add_argument(
        '--workloads',
        type=_list,
        default=list(workloads.WORKLOAD_NAMES),
        metavar='NAME,...',
        help='from %s (default: all)' % ', '.join(workloads.WORKLOAD_NAMES),
    )
    run.add_argument(
        '-c',
        '--concurrency',
        type=_int_list,
        default=[4],
        metavar='N,...',
        help='clients in the closed loop, one cell per level (default: 4)',
    )
    run.add_argument(
        '--rounds',
        type=_positive(int),
        default=3,
        metavar='N',
        help='rounds per workload, the configurations in turn in each; at least 3 (default: %(default)s)',
    )
    run.add_argument(
        '--duration',
        type=_positive(float),
        default=5.0,
        metavar='SECONDS',
        help='length of each cell, in each round (default: %(default)s)',
    )
    run.add_argument(
        '--requests',
        type=_positive(int),
        metavar='N',
        help='stop each cell after N operations instead (Python load generator)',
    )
    run.add_argument(
        '--warmup',
        type=float,
        default=2.0,
        metavar='SECONDS',
        help='read1 load before the cells of each server (default: %(default)s)',
    )
    run.add_argument(
        '--engine',
        choices=('auto', 'wrk', 'python'),
        default='auto',
        help='load generator: auto uses wrk when installed (default: auto)',
    )
    run.add_argument(
        '--hog-seconds',
        type=_positive(float),
        default=2.0,
        help='CPU seconds of each hog call in the isolation workload (max 30)',
    )
    run.add_argument(
        '--isolation-clients',
        type=_positive(int),
        default=2,
        help='well-behaved clients beside the hog (default: %(default)s)',
    )
    run.add_argument(
        '--memory-requests',
        type=_positive(int),
        default=10000,
        help='read1 calls of the memory probe (default: %(default)s)',
    )
    run.add_argument(
        '--server-log-level',
        default='warn',
        choices=('debug', 'info', 'warn', 'error', 'critical'),
        help='log level of the servers under test (default: %(default)s)',
    )
    standby = parser.add_argument_group('A hot standby (instead of the servers)')
    standby.add_argument(
        '--standby',
        action='store_true',
        help='build a durable primary and a hot standby here (initdb, pg_basebackup -R) and measure '
        "reads with and without the standby, writes, and reads right after another process's write, "
        'in alternating rounds (--rounds; --duration of each read cell; one -c level; --partners; '
        '--engine); writes standby.txt and standby.json into -o',
    )
    standby.add_argument(
        '--pairs',
        type=_positive(int),
        default=300,
        metavar='N',
        help='with --standby: writes, and write-then-read pairs, per setup and round (default: %(default)s)',
    )
    data = parser.add_argument_group('Data')
    data.add_argument(
        '--partners',
        type=_positive(int),
        help='partners in the data set (default: %d; %d with --standby)' % (PARTNERS, STANDBY_PARTNERS),
    )
    data.add_argument(
        '--orders', type=int, default=2000, help='sale orders of three lines (default: %(default)s)'
    )
    data.add_argument(
        '-d',
        '--database',
        help='use (and keep) this database instead of a scratch '
        'one; it is created when missing and topped up to the data set size',
    )
    data.add_argument('--login', default='admin', help='user the clients call as')
    data.add_argument('--password', help="that user's password (needed with an existing -d)")
    data.add_argument(
        '--keep-database', action='store_true', help='do not drop the scratch database at the end'
    )
    data.add_argument(
        '-o',
        '--output',
        default='bench-report',
        metavar='FOLDER',
        help='where report.json, report.html, report.txt and logs/ go',
    )
    pg = parser.add_argument_group('PostgreSQL (unset: $PGHOST, else the embedded server)')
    pg.add_argument('--db_host')
    pg.add_argument('--db_port', type=int)
    pg.add_argument('-r', '--db_user')
    pg.add_argument('-w', '--db_password')
    pg.add_argument('-D', '--data-dir', help='data folder of the embedded PostgreSQL')
    return parser


def _postgres(args, hooks):
    """Connection parameters of the PostgreSQL to use; starts the embedded one when none is set."""
    if args.db_host or args.db_port:
        pg = {
            'host': args.db_host or '127.0.0.1',
            'port': args.db_port,
            'user': args.db_user,
            'password': args.db_password,
        }
    elif os.environ.get('PGHOST'):
        pg = {
            'host': os.environ['PGHOST'],
            'port': os.environ.get('PGPORT'),
            'user': args.db_user or os.environ.get('PGUSER'),
            'password': args.db_password,
        }
    else:
        from .. import embedded_pg

        server = embedded_pg.EmbeddedPostgres(args.data_dir or embedded_pg.default_data_dir())
        pg = server.start()
        hooks.append(server.stop)
    return {k: v for k, v in pg.items() if v}


def _standby(parser, args):
    """``--standby``: the cost of a hot standby, on a primary and a standby built for the run."""
    if args.database or args.db_host or args.db_port or args.data_dir:
        parser.error(
            '--standby builds its own primary and standby: -d, --db_host, --db_port, -D do not apply'
        )
    if len(args.concurrency) != 1:
        parser.error('--standby: one -c level (the clients of the read cells)')
    if args.pairs > MAX_PAIRS:
        parser.error('--pairs: at most %d' % MAX_PAIRS)
    from ..bench import standby

    options = standby.Options(
        rounds=args.rounds,
        duration=args.duration,
        clients=args.concurrency[0],
        pairs=args.pairs,
        partners=args.partners or STANDBY_PARTNERS,
        engine=args.engine,
        output=args.output,
        log_level=args.server_log_level,
    )
    try:
        report = standby.run(options)
    except RuntimeError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            '\n%s: interrupted; its servers and cluster are removed, nothing was reported' % PROG,
            file=sys.stderr,
        )
        return 130
    return 1 if standby.failed(report) else 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.engine == 'wrk':
        from ..bench import wrk

        if not wrk.available():
            parser.error('--engine wrk: wrk is not installed (apt-get install wrk)')
    from ..bench import Settings, run

    if args.rounds < 3:
        parser.error('--rounds: at least 3 rounds are needed for a spread')
    if args.standby:
        return _standby(parser, args)
    cleanup = []
    try:
        pg = _postgres(args, cleanup)
        settings = Settings(
            configurations=args.configurations,
            floors=args.floors,
            workloads=args.workloads,
            concurrency=args.concurrency,
            duration=args.duration,
            requests=args.requests,
            warmup=args.warmup,
            partners=args.partners or PARTNERS,
            orders=args.orders,
            database=args.database,
            keep_database=args.keep_database or bool(args.database),
            output=args.output,
            engine=args.engine,
            pg=pg,
            login=args.login,
            password=args.password,
            hog_seconds=min(args.hog_seconds, 30.0),
            isolation_clients=args.isolation_clients,
            memory_requests=args.memory_requests,
            log_level=args.server_log_level,
            rounds=args.rounds,
        )
        try:
            report = run(settings)
        except (RuntimeError, ValueError) as error:
            print('%s: %s' % (PROG, error), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            # the runner has stopped its servers and dropped its scratch database on the way out
            print('\n%s: interrupted; its servers are stopped, nothing was reported' % PROG, file=sys.stderr)
            return 130
    finally:
        for stop in cleanup:
            stop()
    failed = [r for r in report['rows'] if r.get('errors')]
    broken = [e for e in report['configurations'] if e.get('error')]
    return 1 if failed or broken else 0
