"""The ``openerp-server`` command line: subcommand dispatch.

``openerp-server [server options]`` runs the server (:mod:`.server`). A first argument naming a
subcommand (``bench``, ``scaffold``, ``test``, ``cron``, ...) runs ``openerp_lite.cli.<name>.main``
with the remaining arguments instead.
"""

import importlib
import sys

#: subcommand name -> (module under ``openerp_lite.cli``, the one line ``--help`` shows for it)
COMMANDS = {
    'server': ('server', 'run the server (the default when no subcommand is given)'),
    'scaffold': ('scaffold', 'write the skeleton of a new addon: scaffold NAME [DIR]'),
    'test': ('test', "run addons' tests in a database: test -d DB -m MODULE"),
    'cron': ('cron', 'run scheduled jobs only, for a dedicated cron machine: cron -d DB'),
    'bench': ('bench', 'measure the servers and modes side by side on this machine'),
}


def commands_text():
    """The subcommand list of ``openerp-server --help``."""
    width = max(len(name) for name in COMMANDS)
    lines = ['subcommands (openerp-server SUBCOMMAND --help for the options of each):']
    lines += ['  %-*s  %s' % (width, name, summary) for name, (_module, summary) in COMMANDS.items()]
    return '\n'.join(lines)


def main(argv=None):
    """Entry point of ``openerp-server``; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = 'server'
    if argv and argv[0] in COMMANDS:
        name = argv.pop(0)
    module_name = '%s.%s' % (__name__, COMMANDS[name][0])
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        print('openerp-server: the %r subcommand is not available in this version.' % name, file=sys.stderr)
        return 2
    return module.main(argv)
