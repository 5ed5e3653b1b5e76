"""The built-in threaded server (werkzeug's ``make_server``): one process, a thread per request.

Stateful mode's natural home and the quick-start default. SIGTERM and SIGINT only set an event;
the main thread then shuts the listener down, waits for it, and runs the shutdown hooks (which stop
the embedded PostgreSQL), so a signal never runs cleanup code in the middle of a request.
"""

import logging
import signal
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import limits

_logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """The application writes its own access line per RPC call; skip the per-request duplicate."""

    def log_request(self, code='-', size='-'):
        pass


def serve(application, options, hooks):
    """Serve ``application`` on ``options.http_interface``:``options.http_port`` until a signal."""
    host = options.http_interface or '127.0.0.1'
    limits.report_not_applied('threaded', options)
    server = make_server(host, options.http_port, application, threaded=True,
                         request_handler=_QuietHandler)
    server.daemon_threads = True
    stop = threading.Event()
    previous = {}

    def request_stop(signum, _frame):
        _logger.info('received %s, stopping', signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, request_stop)
    thread = threading.Thread(target=server.serve_forever, name='http-threaded', daemon=True)
    try:
        thread.start()
        shown = '127.0.0.1' if host in ('0.0.0.0', '') else host
        _logger.info('HTTP service (threaded) running on http://%s:%s/', shown, server.server_port)
        while not stop.wait(1.0):
            if not thread.is_alive():
                _logger.error('the HTTP server thread stopped unexpectedly')
                break
    finally:
        if thread.ident is not None:  # shutdown() would wait forever for a loop that never ran
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        hooks.run('on_shutdown')
        _logger.info('HTTP service stopped')
