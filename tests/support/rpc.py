"""XML-RPC helpers for tests that must never hang: proxies with a socket timeout, and calls
running in the background while a test disturbs the server."""

import threading
import time
import xmlrpc.client


class TimeoutTransport(xmlrpc.client.Transport):
    """A transport with a socket timeout. With ``resend=False`` a request is sent once: the
    standard library sends it again when the server hung up without answering, so a call whose
    worker was killed would otherwise silently run twice. ``source`` binds the client side to
    another loopback address (``127.0.0.2``...), so a test can be a second client machine."""

    def __init__(self, timeout, resend=True, source=None):
        super().__init__()
        self._timeout = timeout
        self._resend = resend
        self._source = source

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        if self._source:
            conn.source_address = (self._source, 0)
        return conn

    def request(self, host, handler, request_body, verbose=False):
        if self._resend:
            return super().request(host, handler, request_body, verbose)
        return self.single_request(host, handler, request_body, verbose)


def proxy(server, service, timeout=60, legacy=False, resend=True, source=None):
    """A ``/xmlrpc/2/<service>`` (or legacy ``/xmlrpc/<service>``) proxy with a socket timeout,
    from loopback address ``source`` when given."""
    path = '/xmlrpc/%s' % service if legacy else '/xmlrpc/2/%s' % service
    return xmlrpc.client.ServerProxy(
        server.url + path, allow_none=True, transport=TimeoutTransport(timeout, resend, source)
    )


def call(server, db, model, method, args, timeout=60, **kwargs):
    """``execute_kw`` as the admin (uid 1, password ``admin``) of ``db``."""
    return proxy(server, 'object', timeout).execute_kw(db, 1, 'admin', model, method, args, kwargs)


class BackgroundCalls:
    """Well-behaved calls in a loop on another thread while the test disturbs the server; counts
    what succeeded and keeps what failed. At most two minutes, ``pause`` seconds between calls."""

    def __init__(self, server, db, pause=0.0, limit=120):
        self.server, self.db, self.pause, self.limit = server, db, pause, limit
        self.ok, self.failures = 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                call(self.server, self.db, 'res.partner', 'search_count', [[]], timeout=20)
                self.ok += 1
            except Exception as error:  # noqa: BLE001 - every failure is a test finding
                self.failures.append(repr(error))
            if self.pause:
                self._stop.wait(self.pause)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)
