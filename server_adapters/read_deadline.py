"""Slow clients cut off: a deadline for reading a request, in every server kind.

A client that sends its request line and headers a byte at a time (or stops half-way through its
body) must not hold a sync worker, or a thread, for the whole request limit: three such clients
would stop a ``--workers 3`` server. So the reads of one request share one deadline:
``--limit-time-read`` seconds for the request line and the headers, extended by the time the
body needs at :data:`MIN_RATE` bytes per second; a client that has not sent enough by then is
disconnected. Between reads the socket keeps a write timeout (``--limit-time-real``), so a client
that stops reading its reply is dropped too, after as long as a request may take.

:class:`DeadlineSocket` is what gunicorn's parser reads through (it only calls ``recv``);
:class:`DeadlineReader` is the raw stream behind werkzeug's ``rfile``. waitress reads
asynchronously, so there a slow client holds only a socket: its ``channel_timeout`` and
``connection_limit`` come from the same options instead (``server_adapters.waitress``).
"""

import errno
import io
import logging
import socket
import time

_logger = logging.getLogger(__name__)

#: bytes per second a client must keep up while sending a body, past the first
#: ``--limit-time-read`` seconds (64 KiB/s: a 32 MiB body may take about eight minutes)
MIN_RATE = 64 * 1024


class ReadTimeout(socket.timeout):
    """The client did not send its request in time. Its errno says "not connected": the servers
    then drop the connection quietly, as they do for a client that went away."""

    def __init__(self, message):
        super().__init__(errno.ENOTCONN, message)


def _too_slow(sock):
    try:
        peer = sock.getpeername()[0]
    except OSError:
        peer = '?'
    _logger.info('client %s too slow sending its request: disconnected', peer)
    return ReadTimeout('the client did not send its request within the read deadline')


class Deadline:
    """The time left to a request's reads: ``seconds`` plus what the bytes read so far earned."""

    __slots__ = ('seconds', 'started', 'received')

    def __init__(self, seconds):
        self.seconds = seconds
        self.started = time.monotonic()
        self.received = 0

    def restart(self):
        self.started = time.monotonic()
        self.received = 0

    def remaining(self):
        return self.started + self.seconds + self.received / MIN_RATE - time.monotonic()

    def prepare(self, sock):
        """Give ``sock`` the time left as its timeout; ReadTimeout when none is left."""
        left = self.remaining()
        if left <= 0:
            raise _too_slow(sock)
        sock.settimeout(left)


def _recv(deadline, sock, after, receive, *args):
    """``receive(*args)`` under ``deadline``; ``sock`` keeps the timeout ``after`` afterwards."""
    deadline.prepare(sock)
    try:
        size_or_data = receive(*args)
    except socket.timeout:
        raise _too_slow(sock) from None
    finally:
        sock.settimeout(after)
    deadline.received += size_or_data if isinstance(size_or_data, int) else len(size_or_data)
    return size_or_data


class DeadlineSocket:
    """A socket whose ``recv`` calls share one :class:`Deadline`; between them it keeps the
    timeout ``after`` (None: none). Other attributes pass through."""

    def __init__(self, sock, seconds, after=None):
        self._sock = sock
        self._after = after
        self.deadline = Deadline(seconds)

    def recv(self, size, *flags):
        return _recv(self.deadline, self._sock, self._after, self._sock.recv, size, *flags)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class DeadlineReader(io.RawIOBase):
    """The raw reading side of a connection under a :class:`Deadline` (for ``io.BufferedReader``),
    with the timeout ``after`` between reads."""

    def __init__(self, sock, seconds, after=None):
        super().__init__()
        self._sock = sock
        self._after = after
        self.deadline = Deadline(seconds)

    def readable(self):
        return True

    def readinto(self, buffer):
        return _recv(self.deadline, self._sock, self._after, self._sock.recv_into, buffer)
