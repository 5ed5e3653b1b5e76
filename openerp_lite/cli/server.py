"""``openerp-server`` itself: options, logging, the database server, then the HTTP adapter.

Order matters: configuration is read here (never at import time), the PostgreSQL to use is chosen
(the one configured, or the embedded one), ``sql_db`` and the WSGI application are set up, the
module hook runs for ``-d``/``-i``/``-u``, and finally the adapter serves until a signal.
"""

import contextlib
import errno
import logging
import os
import socket
import sys

import server_adapters

from .. import http, release, sql_db
from ..exceptions import ConfigError
from ..service import db as db_service
from ..tools import config, log
from .database import start_database

_logger = logging.getLogger(__name__)

DESCRIPTION = 'openerp-lite: an OpenERP-compatible ERP server speaking XML-RPC and JSON-RPC.'


def initialize_databases(options):
    """Prepare the ``-d`` databases before serving: create a missing one (with ``base``), install
    ``-i`` modules, upgrade ``-u`` ones, and load each registry in this process, so that forked
    workers inherit it (copy-on-write) instead of each building its own.

    A failure is reported in one clear line and the server does not start. Returns the number of
    module tests that failed (``--test-enable``).
    """
    from .. import registry
    from ..exceptions import OpenERPLiteError
    from ..service.base import CallInfo, db_allowed, host_based

    failed_tests = 0
    for name in [n.strip() for n in (options.db_name or '').split(',') if n.strip()]:
        if not host_based(options) and not db_allowed(CallInfo(options), name):
            _logger.warning(
                'database %s is outside --db-filter: it is not served, so it is neither created nor loaded',
                name,
            )
            continue
        created = False
        try:
            db_service.check_name(name)
            if not db_service._exists(name):
                if not (options.init or options.update):
                    _logger.warning(
                        'database %s does not exist; it is created on demand by '
                        'db.create_database, or now with -i',
                        name,
                    )
                    continue
                _logger.info('creating database %s', name)
                db_service._create_empty(name, options.db_template or 'template0')
                created = True
                registry.create_database_schema(name, demo=not options.without_demo)
            if options.init or options.update:
                loaded = registry.Registry.new(
                    name,
                    install=[m for m in options.init if m != 'base'],
                    upgrade=options.update,
                    update_list=True,
                )
                failed_tests += loaded.test_failures
            else:
                registry.Registry.get(name)
            adopt(name)
        except BaseException as error:
            if created:
                # this command made it; a half-initialised database must not stay behind
                _logger.info('dropping database %s again: this command created it and it failed', name)
                try:
                    db_service._drop(name)
                except Exception:
                    _logger.exception('database %s could not be dropped', name)
            if isinstance(error, OpenERPLiteError):
                _logger.error('database %s: %s', name, error)
                raise SystemExit(1) from None
            raise
    return failed_tests


def adopt(name):
    """Mark ``-d`` database ``name`` as openerp-lite's when it is not yet (one made by an earlier
    version): the operator named it, and its registry just loaded, so it is one."""
    from .. import catalog

    if not catalog.is_marked(name):
        catalog.mark(name)
        _logger.info('database %s marked as an openerp-lite database', name)


def reload_registries(*_server):
    """Rebuild every registry this process holds, re-importing the addon code changed on disk.

    The ``on_reload`` hook of a prefork master (gunicorn: SIGHUP): the new workers fork from these
    registries, so they serve the code now on disk. A registry that fails to build (an addon with
    a syntax error, a database gone) is logged and the previous one stays. Returns the names of
    the databases rebuilt.
    """
    from .. import registry

    rebuilt = []
    for name in sorted(registry.Registry._registries):
        try:
            registry.Registry.new(name)
        except Exception:
            _logger.exception(
                'reload: the registry of %s could not be rebuilt; the new workers keep the previous one', name
            )
        else:
            rebuilt.append(name)
    # the workers about to fork must not inherit these connections (pre_fork closes them too)
    sql_db.close_all()
    _logger.info('reload: registries rebuilt from the code on disk: %s', ', '.join(rebuilt) or 'none loaded')
    return rebuilt


_process_hooks = []


def process_hooks():
    """Hooks owned by this process for its whole life, created on first use.

    For ``gunicorn.conf.py``: gunicorn reads that file again on SIGHUP, but what was started
    once in the master (database server, cron processes, process board) must be stopped by the
    hooks that started it, not by those of the latest reading.
    """
    if not _process_hooks:
        _process_hooks.append(server_adapters.Hooks())
    return _process_hooks[0]


def add_process_hooks(options, hooks, adapter_name, argv=()):
    """Cron, process titles and the process board, on ``hooks`` for the ``adapter_name`` server.

    One-process servers run ``--max-cron-threads`` cron threads; a prefork master supervises as
    many ``openerp-server cron`` processes (started with ``argv``, this server's own options),
    names itself and its workers, and keeps the board that ``/web/health`` reads. On a reload
    (gunicorn: SIGHUP) the master rebuilds its registries before the new workers fork, and
    replaces its cron processes once their running job ends, so all of them run the new code.
    """
    from ..http import access_log
    from ..service import cron as cron_service
    from ..tools import procboard
    from . import cron

    names = cron.databases_of(options)
    if adapter_name in server_adapters.SINGLE_PROCESS:
        if options.max_cron_threads:
            threads = cron_service.CronThreads(
                options.max_cron_threads,
                (lambda: cron_service.served(names)) if names else cron_service.loaded_databases,
            )
            hooks.add('on_ready', threads.start)
            hooks.add('on_shutdown', threads.stop)
        return
    board = procboard.Board.create()
    procboard.set_current(board)
    hooks.add('on_shutdown', board.remove)

    def worker_started(*_worker):
        cron.set_title(cron.title('worker', options))
        board.publish('worker', names or ())

    hooks.add('post_fork', worker_started)
    hooks.add('post_request', lambda *_worker: board.count_request(sql_db.stats(), access_log.limits_hit()))
    processes = cron.cron_processes(options.max_cron_threads, argv)
    hooks.add('on_ready', processes.start)
    hooks.add('on_ready', lambda *_server: cron.set_title('openerp-server: master'))
    hooks.add('on_reload', reload_registries)
    hooks.add('on_reload', processes.recycle)
    hooks.add('on_shutdown', processes.stop)


def prepare_db_service(options):
    """What the db service needs before serving: the master password's back-off table, and a
    word in the log while the master password is the default one."""
    from ..service import login_guard

    login_guard.ensure_master_table()
    db_service.warn_if_default_master(options)


def save_config(options):
    """Write the effective configuration (``-s``), the master password hashed."""
    if options.admin_passwd and not db_service.is_hashed(options.admin_passwd):
        options = options.replace(admin_passwd=db_service.hash_master_password(options.admin_passwd))
    path = config.save(options)
    _logger.info('configuration saved to %s', path)
    return path


def write_pidfile(options, hooks):
    """``--pidfile``: this process's pid, in a file removed again when the server stops."""
    path = os.path.abspath(os.path.expanduser(options.pidfile))
    with open(path, 'w', encoding='ascii') as handle:
        handle.write('%d\n' % os.getpid())
    pid = os.getpid()

    def remove(*_args):
        if os.getpid() == pid:  # not from a forked worker
            with contextlib.suppress(OSError):
                os.unlink(path)

    hooks.add('on_shutdown', remove)


def main(argv):
    from . import commands_text

    try:
        options = config.parse(argv, os.environ, description=DESCRIPTION + '\n\n' + commands_text())
        log.setup(options)
    except ConfigError as error:
        print('openerp-server: %s' % error, file=sys.stderr)
        return 2
    _logger.info(
        'openerp-lite %s (serie %s), pid %d',
        release.version,
        options.server_serie or release.DEFAULT_SERIE,
        os.getpid(),
    )
    try:
        adapter_name = server_adapters.resolve_name(options)
        adapter = server_adapters.get_adapter(adapter_name)
    except ValueError as error:
        print('openerp-server: %s' % error, file=sys.stderr)
        return 2
    if options.save:
        save_config(options)
    # No pooled connection may cross a fork (prefork adapters run pre_fork before each fork).
    hooks = server_adapters.Hooks(pre_fork=lambda *_worker: sql_db.close_all())
    try:
        if options.pidfile:
            write_pidfile(options, hooks)
        start_database(options, hooks)
        prepare_db_service(options)
        http.setup(options, server_kind=adapter_name)
        failed_tests = initialize_databases(options)
    except BaseException as error:
        hooks.run('on_shutdown')
        if type(error).__name__ == 'EmbeddedPostgresError':
            print('openerp-server: %s' % error, file=sys.stderr)
            return 1
        if isinstance(error, (ConfigError, OSError)):
            # an operator's mistake (a bad addons path, an unreachable PostgreSQL, a pid file
            # that cannot be written): one line, no traceback
            print('openerp-server: %s' % error, file=sys.stderr)
            return 2
        raise
    if options.stop_after_init:
        _logger.info('--stop-after-init: exiting')
        hooks.run('on_shutdown')
        return 1 if failed_tests else 0
    if not options.http_enable:
        from . import cron

        _logger.info('HTTP is disabled (http_enable / xmlrpc = False): running scheduled jobs only')
        try:
            return cron.run_loop(options)
        finally:
            hooks.run('on_shutdown')
    try:
        # every server alike, before any process is started: gunicorn would retry, log and exit 1
        check_listen(options)
        add_process_hooks(options, hooks, adapter_name, argv)
        adapter.serve(http.application, options, hooks)
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        hooks.run('on_shutdown')
        print(
            'openerp-server: cannot listen on %s:%s: %s (another program uses the port, or the '
            "address is not this machine's; see --http-port and --http-interface)"
            % (options.http_interface, options.http_port, error.strerror),
            file=sys.stderr,
        )
        return 2
    return 0


def check_listen(options):
    """Raise the OSError the server would meet when binding its address (a port in use, an
    address of another machine), by binding it once and letting it go."""
    host = options.http_interface or '0.0.0.0'
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, options.http_port))
