"""Logging setup for a server process: one handler, one format, the level from the options.

Every line carries the process id, because under Gunicorn several workers (and cron processes)
write to the same stream or file and a reader must be able to tell their lines apart.
"""

import logging
import os
import re
import sys
import traceback

FORMAT = '%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s'

LEVELS = {
    'debug': logging.DEBUG,
    'info': logging.INFO,
    'warn': logging.WARNING,
    'warning': logging.WARNING,
    'error': logging.ERROR,
    'critical': logging.CRITICAL,
}

#: Third-party loggers too chatty at INFO for an operator's log, and the level they get at least.
QUIET_LOGGERS = {
    'werkzeug': logging.WARNING,  # the dev server's request lines duplicate our access log
    'pgserver': logging.WARNING,  # logs every pg_ctl command line and its output
}

_MARK = '_openerp_lite'

#: characters a message must not carry into the log as they are: line breaks (a client's text,
#: say a method name, would otherwise start a line of its own and forge an access line), other
#: control characters (terminal escapes) and the Unicode line and paragraph separators
_UNSAFE = re.compile('[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]')
_NAMED = {'\n': '\\n', '\r': '\\r'}


def _escape(match):
    char = match.group()
    return _NAMED.get(char) or ('\\x%02x' % ord(char) if ord(char) < 256 else '\\u%04x' % ord(char))


#: how the lines of a traceback that are not an exception's own text begin
_TRACEBACK_LINES = ('Traceback (', '  File ', '    ', '\n', '  [Previous line repeated')


class OneLineFormatter(logging.Formatter):
    """The format of every line, the message kept on its line: control characters in it are
    written as escapes (``\\n``, ``\\x1b``). A traceback still follows on lines of its own, but
    the text of each exception in it (which may quote a client's input) is escaped the same way."""

    def formatMessage(self, record):
        record.message = _UNSAFE.sub(_escape, record.message)
        return super().formatMessage(record)

    def formatException(self, ei):
        chunks = []
        for chunk in traceback.TracebackException(*ei).format():
            if not chunk.startswith(_TRACEBACK_LINES):
                chunk = _UNSAFE.sub(_escape, chunk.rstrip('\n')) + '\n'
            chunks.append(chunk)
        return ''.join(chunks).rstrip('\n')


def setup_logging(options):
    """Send the root logger to ``options.logfile`` (else stderr) at ``options.log_level``.

    Idempotent: calling it again replaces the handler it installed before (tests and subcommands
    call it more than once), and never touches handlers that others installed. A log file is opened
    with :class:`logging.handlers.WatchedFileHandler`, so logrotate can move it away. Returns the
    handler.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()
    logfile = options.logfile
    if logfile:
        from logging.handlers import WatchedFileHandler

        folder = os.path.dirname(os.path.abspath(logfile))
        try:
            os.makedirs(folder, exist_ok=True)
            handler = WatchedFileHandler(logfile, encoding='utf-8')
        except OSError as error:
            from ..exceptions import ConfigError

            raise ConfigError(
                'cannot write the log file %s (--logfile): %s' % (logfile, error.strerror or error)
            ) from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _MARK, True)
    handler.setFormatter(OneLineFormatter(FORMAT))
    root.addHandler(handler)
    level = LEVELS.get(str(options.log_level or 'info').lower(), logging.INFO)
    root.setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))
    return handler


def setup(options):
    """:func:`setup_logging`, then the warnings the configuration readers left on ``options``
    (keys of an OpenERP config file that are ignored here), now that they have somewhere to go."""
    handler = setup_logging(options)
    for text in options.warnings:
        logging.getLogger('openerp_lite.tools.config').warning('%s', text)
    return handler
