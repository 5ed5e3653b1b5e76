"""The waitress adapter: one process, ``--threads`` worker threads, through waitress's own API.

A pure-Python production server for platforms without fork (or operators who want one process).
The per-worker limits cannot apply to a shared process; they are reported at startup.

Graceful stop: the first SIGTERM or SIGINT stops accepting connections and starts a thread that
waits for the requests in flight (up to :func:`server_adapters.graceful_timeout` seconds, plus a
moment for waitress's loop to send the last responses); it then signals the main thread again,
whose handler raises KeyboardInterrupt: ``waitress`` handles that by shutting its task threads down
and returning from ``run``. A second signal from the operator stops at once. The shutdown hooks
run in this frame afterwards, never inside a signal handler.
"""

import logging
import signal
import threading
import time

import waitress

from . import InFlight, graceful_timeout, limits, read_timeouts

_logger = logging.getLogger(__name__)

#: seconds left to waitress's loop to send the last responses once no request is in flight
FLUSH_GRACE = 0.5


def _without_hop_by_hop(application):
    """The application without its ``Connection`` header, which waitress refuses from a WSGI
    application (PEP 3333) with a 500. The application adds ``Connection: close`` when it
    answers without reading the body; waitress has always read the whole body by then, so the
    connection may stay open."""

    def wrapped(environ, start_response):
        def filtered_start_response(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != 'connection']
            return start_response(status, headers, exc_info)

        return application(environ, filtered_start_response)

    return wrapped


def serve(application, options, hooks):
    """Serve ``application`` on ``options.http_interface``:``options.http_port`` until a signal."""
    host = options.http_interface or '127.0.0.1'
    threads = options.threads or 1
    limits.report_not_applied('waitress', options)
    in_flight = InFlight(_without_hop_by_hop(application))
    # waitress reads a whole body before calling the application: refuse an oversized one first
    # waitress reads requests asynchronously: a slow client holds a socket, not a thread; the
    # inactive ones are closed after --limit-time-read, and --connection-limit caps the sockets
    read, _write = read_timeouts(options)
    server = waitress.create_server(
        in_flight,
        host=host,
        port=options.http_port,
        threads=threads,
        ident='openerp-lite',
        max_request_body_size=options.max_request_size,
        connection_limit=options.connection_limit or 100,
        channel_timeout=max(1, int(read or 120)),
        cleanup_interval=max(1, min(30, int(read or 30))),
    )
    main_thread = threading.get_ident()
    state = {'draining': False, 'drained': False}

    def drain():
        timeout = graceful_timeout(options)
        if not in_flight.wait_idle(timeout):
            _logger.warning(
                '%d request(s) still running after %ss: stopping anyway', in_flight.count, timeout
            )
        time.sleep(FLUSH_GRACE)
        state['drained'] = True
        signal.pthread_kill(main_thread, signal.SIGTERM)

    def on_signal(signum, _frame):
        if state['draining'] or state['drained']:
            raise KeyboardInterrupt
        _logger.info(
            'received %s, stopping (%d request(s) in flight)', signal.Signals(signum).name, in_flight.count
        )
        state['draining'] = True
        server.accepting = False  # waitress's listener stops accepting new connections
        threading.Thread(target=drain, name='waitress-drain', daemon=True).start()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        _logger.info(
            'HTTP service (waitress, %d threads) running on http://%s:%s/',
            threads,
            '127.0.0.1' if host in ('0.0.0.0', '') else host,
            options.http_port,
        )
        hooks.run('on_ready')
        server.run()
    except KeyboardInterrupt:
        pass  # a signal before waitress's loop started
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        try:
            server.close()
        except OSError:
            pass
        hooks.run('on_shutdown')
        _logger.info('HTTP service stopped')
