"""The ``openerp-server`` command line: subcommand dispatch.

``openerp-server [server options]`` runs the server (:mod:`.server`). A first argument naming a
subcommand (``bench``, ``scaffold``, ``test``, ``cron``, …) runs ``openerp_lite.cli.<name>.main``
with the remaining arguments instead.
"""

import importlib
import sys

#: subcommand name -> module under ``openerp_lite.cli``; later issues add their modules here.
COMMANDS = {
    'server': 'server',
    'bench': 'bench',
    'scaffold': 'scaffold',
    'test': 'test',
    'cron': 'cron',
}


def main(argv=None):
    """Entry point of ``openerp-server``; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = 'server'
    if argv and argv[0] in COMMANDS:
        name = argv.pop(0)
    module_name = '%s.%s' % (__name__, COMMANDS[name])
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        print('openerp-server: the %r subcommand is not available in this version.' % name, file=sys.stderr)
        return 2
    return module.main(argv)
