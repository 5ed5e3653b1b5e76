"""The built-in threaded server (werkzeug's ``make_server``): one process, a thread per request.

Stateful mode's natural home and the quick-start default. SIGTERM and SIGINT only set an event;
the main thread then stops accepting connections, lets the requests in flight finish (up to
:func:`server_adapters.graceful_timeout` seconds), and runs the shutdown hooks (which stop the cron
threads and the embedded PostgreSQL), so a signal never runs cleanup code in the middle of a
request.
"""

import io
import logging
import signal
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import InFlight, graceful_timeout, limits, read_deadline, read_timeouts

_logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler, with the request's reads under one deadline (``read_deadline``), and
    without werkzeug's access line: the application writes its own, one per RPC call."""

    def setup(self):
        super().setup()
        self._reader = None
        seconds, after = self.server.read_timeouts
        if seconds:
            self._reader = read_deadline.DeadlineReader(self.connection, seconds, after)
            self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self):
        if self._reader is not None:
            self._reader.deadline.restart()
        try:
            super().handle_one_request()
        except read_deadline.ReadTimeout:  # logged where it was raised
            self.close_connection = True

    def log_request(self, code='-', size='-'):
        pass

    def run_wsgi(self):
        try:
            super().run_wsgi()
        finally:
            # werkzeug skips the response's close() when reading what is left of a connection
            # the client reset raises (a client that closed without reading the reply): the
            # request would count as in flight for ever and a stop would wait its whole timeout
            self.server.in_flight.finish_thread_request()


def serve(application, options, hooks):
    """Serve ``application`` on ``options.http_interface``:``options.http_port`` until a signal."""
    host = options.http_interface or '127.0.0.1'
    limits.report_not_applied('threaded', options)
    in_flight = InFlight(application, per_thread=True)
    server = make_server(host, options.http_port, in_flight, threaded=True, request_handler=_QuietHandler)
    server.read_timeouts = read_timeouts(options)
    server.daemon_threads = True
    server.in_flight = in_flight
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
        hooks.run('on_ready')
        while not stop.wait(1.0):
            if not thread.is_alive():
                _logger.error('the HTTP server thread stopped unexpectedly')
                break
    finally:
        if thread.ident is not None:  # shutdown() would wait forever for a loop that never ran
            server.shutdown()  # no new connection is accepted from here on
            thread.join(timeout=10)
        timeout = graceful_timeout(options)
        if in_flight.count:
            _logger.info('waiting up to %ss for %d request(s) in flight', timeout, in_flight.count)
        if not in_flight.wait_idle(timeout):
            _logger.warning(
                '%d request(s) still running after %ss: stopping anyway', in_flight.count, timeout
            )
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        hooks.run('on_shutdown')
        _logger.info('HTTP service stopped')
