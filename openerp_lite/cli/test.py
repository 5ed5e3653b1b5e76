"""``openerp-server test -d DB -m MODULE[,MODULE...] [server options]``: run addons' tests.

The database options are the server's (``--db_host``, ``--addons-path``, ``-c``, ...), and so are
``-i``/``-u``: ``openerp-server test -d fresh -i sale -m sale`` creates ``fresh`` (with ``base``),
installs ``sale`` and then runs its tests. Each test runs in a transaction that is rolled back.
The exit status is 0 when every test passed, 1 when one failed or a module is not installed, 2 on a
usage error.
"""

import argparse
import logging
import os
import sys

import server_adapters

from .. import http
from ..exceptions import ConfigError, OpenERPLiteError
from ..tools import config, log
from .database import start_database
from .server import initialize_databases

_logger = logging.getLogger(__name__)

PROG = 'openerp-server test'
DESCRIPTION = """\
Run the tests of addons (their tests/test_*.py) in database -d. With -i or -u the modules are
installed or upgraded first, the database created (with base) when it does not exist:
"openerp-server test -d fresh -i sale -m sale". Each test runs in a transaction rolled back at
its end. Exit status: 0 when every test passed, 1 when one failed or a module is not installed,
2 on a usage error."""


def _add_test_flags(parser):
    parser.add_argument(
        '-m',
        '--module',
        action='append',
        default=[],
        help='module whose tests to run (repeatable, comma-separated)',
    )
    parser.add_argument('--test-verbose', action='store_true', help='one line per test')


def print_help():
    parser = config.build_parser(PROG, 'test', description=DESCRIPTION)
    _add_test_flags(parser.add_argument_group('Tests'))
    parser.print_help()


def _split_arguments(argv):
    parser = argparse.ArgumentParser(prog=PROG, add_help=False)
    _add_test_flags(parser)
    known, rest = parser.parse_known_args(argv)
    modules = [name.strip() for value in known.module for name in value.split(',') if name.strip()]
    return modules, known.test_verbose, rest


def main(argv):
    if '-h' in argv or '--help' in argv:
        print_help()
        return 0
    modules, verbose, rest = _split_arguments(argv)
    try:
        options = config.parse(rest, os.environ, prog=PROG, command='test')
    except ConfigError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 2
    databases = [name.strip() for name in (options.db_name or '').split(',') if name.strip()]
    if len(databases) != 1 or not modules:
        print('%s: give one database with -d DB and the modules with -m MODULE' % PROG, file=sys.stderr)
        return 2
    hooks = server_adapters.Hooks()
    try:
        log.setup(options)
        start_database(options, hooks)
        http.setup(options, server_kind='test')
        initialize_databases(options)
        return run(databases[0], modules, verbose)
    except ConfigError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 2
    finally:
        hooks.run('on_shutdown')


def run(dbname, modules, verbose=False):
    """Run the tests of ``modules`` (installed in ``dbname``); the exit status."""
    from .. import tests
    from ..registry import Registry
    from ..service import db as db_service

    if not db_service._exists(dbname):
        print('%s: database %s does not exist (create it with -i MODULE)' % (PROG, dbname), file=sys.stderr)
        return 1
    try:
        registry = Registry.get(dbname)
    except OpenERPLiteError as error:
        print('%s: database %s: %s' % (PROG, dbname, error), file=sys.stderr)
        return 1
    missing = [name for name in modules if name not in registry.loaded_modules]
    if missing:
        print(
            '%s: not installed in %s: %s (install with -i %s)'
            % (PROG, dbname, ', '.join(missing), ','.join(missing)),
            file=sys.stderr,
        )
        return 1
    status = 0
    for name in modules:
        result = tests.run_module_tests(registry, name, verbosity=2 if verbose else 1)
        if result is None:
            print('%s: module %s has no tests' % (PROG, name), file=sys.stderr)
        elif not result.wasSuccessful():
            status = 1
    return status
