"""Logging setup for the server process: one handler, one format, level from the options."""

import logging
import sys

FORMAT = '%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s'

LEVELS = {'debug': logging.DEBUG, 'info': logging.INFO, 'warn': logging.WARNING,
          'warning': logging.WARNING, 'error': logging.ERROR, 'critical': logging.CRITICAL}


def setup(options):
    """Send the root logger to ``options.logfile`` (else stderr) at ``options.log_level``.

    Calling it again replaces the handler it installed before, so tests and subcommands may call it.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, '_openerp_lite', False):
            root.removeHandler(handler)
            handler.close()
    logfile = getattr(options, 'logfile', None)
    handler = logging.FileHandler(logfile, encoding='utf-8') if logfile \
        else logging.StreamHandler(sys.stderr)
    handler._openerp_lite = True
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(LEVELS.get(getattr(options, 'log_level', 'info') or 'info', logging.INFO))
    # The dev server's own per-request lines duplicate our access log.
    logging.getLogger('werkzeug').setLevel(max(root.level, logging.WARNING))
    return handler
