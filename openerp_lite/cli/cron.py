"""``openerp-server cron``: the cron loop alone, for a dedicated cron machine, and the command
line of the cron processes a prefork server supervises (:mod:`openerp_lite.tools.supervisor`).

``openerp-server cron -d DB [options]`` polls the databases (``-d``, else every database the role
owns) every ``--cron-interval`` seconds and runs their due jobs; SIGTERM or SIGINT lets the
running job end, then exits (a second signal exits at once).
"""

import logging
import os
import signal
import sys
import threading

from .. import sql_db
from ..exceptions import ConfigError
from ..tools import config, log, procboard, supervisor

_logger = logging.getLogger(__name__)

PROG = 'openerp-server cron'
DESCRIPTION = (
    'Run the scheduled jobs (ir.cron) of the databases, and nothing else: no HTTP. Without -d it\n'
    'polls every openerp-lite database the PostgreSQL role owns that --db-filter lets through.\n'
    'SIGTERM or SIGINT stops it after the running job; a second signal stops it at once.'
)
#: hidden flag: the supervising master's pid; the cron process exits when its parent changes
SUPERVISOR_FLAG = '--supervisor-pid'


def databases_of(options):
    """The ``-d`` list, or None for "every database"."""
    names = [name.strip() for name in (options.db_name or '').split(',') if name.strip()]
    return names or None


def title(role, options):
    """The process title of ``role``: ``openerp-server: <role> [db1,db2]``."""
    names = databases_of(options)
    return 'openerp-server: %s%s' % (role, ' [%s]' % ','.join(names) if names else '')


def set_title(text):
    try:
        import setproctitle
    except ImportError:
        return
    setproctitle.setproctitle(text)


def _pop_flag(argv, flag):
    """Remove ``flag VALUE`` from ``argv``; returns VALUE or None."""
    if flag in argv:
        index = argv.index(flag)
        value = argv[index + 1] if index + 1 < len(argv) else None
        del argv[index : index + 2]
        return value
    return None


def main(argv):
    """Run the cron loop until SIGTERM/SIGINT; returns the exit status."""
    argv = list(argv)
    supervisor_pid = _pop_flag(argv, SUPERVISOR_FLAG)
    try:
        # a cron process started by a server gets that server's command line: its other
        # options are accepted and have no effect here
        options = config.parse(
            argv, os.environ, prog=PROG, command='cron', lenient=bool(supervisor_pid), description=DESCRIPTION
        )
    except ConfigError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 2
    import server_adapters

    from .. import http
    from .database import start_database

    hooks = server_adapters.Hooks()
    try:
        log.setup(options)
        set_title(title('cron', options))
        start_database(options, hooks)
        http.setup(options, server_kind='cron')
        if not supervisor_pid:
            check_databases(options)
        return run_loop(options, supervisor_pid)
    except ConfigError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 2
    finally:
        sql_db.close_all()
        hooks.run('on_shutdown')


def check_databases(options):
    """Refuse, before polling, a ``-d`` database that does not exist: a typo would otherwise
    be one warning per poll, forever. (A server's own cron processes skip this: the server
    decides what happens to its databases, and a refusal would restart them in a loop.)"""
    from ..service import db as db_service

    missing = [name for name in databases_of(options) or () if not db_service._exists(name)]
    if missing:
        raise ConfigError(
            'database%s %s do%s not exist (create %s with ./openerp-server -d NAME -i base --stop-after-init)'
            % (
                's' if len(missing) > 1 else '',
                ', '.join(missing),
                '' if len(missing) > 1 else 'es',
                'them' if len(missing) > 1 else 'it',
            )
        )


def run_loop(options, supervisor_pid=None):
    """Poll the databases of ``options`` and run their due jobs until SIGTERM/SIGINT (the
    database and the lower layers already set up); returns the exit status."""
    from ..service import cron

    stop = threading.Event()

    def request_stop(signum, _frame):
        if stop.is_set():
            _logger.warning('received %s again: exiting now', signal.Signals(signum).name)
            os._exit(1)
        _logger.info('received %s: stopping after the running job', signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    names = databases_of(options)
    board = procboard.from_environ()

    def on_pass(count):
        if supervisor_pid and os.getppid() != int(supervisor_pid):
            _logger.warning('the server that started this cron process is gone: exiting')
            stop.set()
        if board is not None:
            board.count_request(sql_db.stats())

    if board is not None:
        board.publish('cron', names or ())
    loop = cron.CronLoop((lambda: cron.served(names)) if names else cron.all_databases, stop, on_pass=on_pass)
    _logger.info(
        'cron process %d polling %s every %ss',
        os.getpid(),
        ', '.join(names) if names else 'every database',
        cron.poll_interval(),
    )
    loop.run()
    _logger.info('cron process %d stopped', os.getpid())
    return 0


def cron_command(argv):
    """The command line of one cron process of a prefork server: the server's own options, and
    the database the master actually uses (so an embedded PostgreSQL is shared, not started
    twice)."""
    code = 'import sys; from openerp_lite.cli import main; sys.exit(main())'
    params = sql_db.connection_params('postgres')
    extra = [SUPERVISOR_FLAG, str(os.getpid())]
    if params.get('host'):
        extra += ['--db_host', str(params['host'])]
    if params.get('port'):
        extra += ['--db_port', str(params['port'])]
    if params.get('user'):
        extra += ['--db_user', str(params['user'])]
    return [sys.executable, '-c', code, 'cron'] + list(argv) + extra


def cron_environment(environ=None):
    """The environment of one cron process: this checkout first on the path, the database
    password (never on the command line, where ps shows it) and the process board."""
    environ = dict(os.environ if environ is None else environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    environ['PYTHONPATH'] = os.pathsep.join(
        [root] + [p for p in environ.get('PYTHONPATH', '').split(os.pathsep) if p]
    )
    password = sql_db.connection_params('postgres').get('password')
    if password:
        environ['PGPASSWORD'] = str(password)
    board = procboard.current()
    if board is not None:
        environ[procboard.ENV_VAR] = board.path
    return environ


def cron_processes(count, argv):
    """The supervisor of a prefork master's ``count`` cron processes, started with ``argv``."""
    return supervisor.ChildProcesses(
        count,
        lambda: cron_command(argv),
        cron_environment,
        label='cron process',
        on_check=lambda: keep_title('openerp-server: master'),
    )


def keep_title(text):
    """Set the process title back to ``text`` when something else changed it."""
    try:
        import setproctitle
    except ImportError:
        return
    if setproctitle.getproctitle() != text:
        setproctitle.setproctitle(text)
