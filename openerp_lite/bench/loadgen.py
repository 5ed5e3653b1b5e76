"""The Python load generator: closed-loop client processes, one HTTP connection each.

Used when ``wrk`` is not installed, for flows (``sale_flow``) and for a fixed request count.
Each client is a forked process (the generator's own GIL must not be what is measured); it warms
up with one operation, waits for the common start, then loops until the deadline or its share of
the request count, whichever comes first. Latencies travel back as packed doubles.
"""

import array
import http.client
import multiprocessing
import os
import queue
import resource
import time

from . import protocol

#: a second bound on every client loop, beside the deadline
MAX_OPERATIONS_PER_CLIENT = 2_000_000
CONNECT_TIMEOUT = 120


class Connection:
    """One keep-alive HTTP connection that reopens itself when the server closes it."""

    def __init__(self, host, port):
        self._conn = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT)

    def post(self, path, body, content_type):
        try:
            self._conn.request('POST', path, body, {'Content-Type': content_type})
            response = self._conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()
            raise

    def close(self):
        self._conn.close()


class Outcome:
    """What one run of the clients measured."""

    def __init__(self, latencies, errors, elapsed, first_error, cpu_seconds, engine):
        self.latencies = latencies  # seconds, one per successful operation, sorted
        self.errors = errors
        self.elapsed = elapsed
        self.first_error = first_error
        self.cpu_seconds = cpu_seconds  # the load generator's own CPU during the run
        self.engine = engine

    @property
    def operations(self):
        return len(self.latencies)


def _operation(conn, workload, gen, request):
    """Send the requests of one operation; returns the first request of the next one."""
    content_type = protocol.CONTENT_TYPES[workload.protocol]
    while True:
        path, body = request
        status, reply = conn.post(path, body, content_type)
        if workload.simple:
            if protocol.is_error(workload.protocol, status, reply):
                raise RuntimeError('HTTP %s: %s' % (status, reply[:300].decode('utf-8', 'replace')))
            return gen.send(None)
        if status != 200:
            raise RuntimeError('HTTP %s: %s' % (status, reply[:300].decode('utf-8', 'replace')))
        request = gen.send(protocol.decode(workload.protocol, reply))
        if request is None:
            return next(gen)


def _client(host, port, workload, data, index, clients, quota, seconds, counter, ready, go, results):
    """One client process (see the module docstring); puts its measurements on ``results``."""
    latencies = array.array('d')
    errors, first_error = 0, None
    conn = Connection(host, port)
    gen = workload.flow(data, index, clients)
    request = next(gen)
    try:
        request = _operation(conn, workload, gen, request)  # warm-up, not measured
    except Exception as exc:
        errors, first_error = 1, repr(exc)[:300]
        gen = workload.flow(data, index, clients)
        request = next(gen)
    ready.set()
    if not go.wait(120):
        results.put((index, b'', errors, 0.0, 'never started', 0.0))
        return
    cpu_start = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    started = time.perf_counter()
    deadline = started + seconds
    done = 0
    for _turn in range(min(quota, MAX_OPERATIONS_PER_CLIENT)):
        begin = time.perf_counter()
        if begin >= deadline:
            break
        try:
            request = _operation(conn, workload, gen, request)
        except Exception as exc:
            errors += 1
            first_error = first_error or repr(exc)[:300]
            gen = workload.flow(data, index, clients)
            request = next(gen)
            continue
        latencies.append(time.perf_counter() - begin)
        done += 1
        if done % 8 == 0:
            with counter.get_lock():
                counter.value += 8
    elapsed = time.perf_counter() - started
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_start
    conn.close()
    results.put((index, latencies.tobytes(), errors, elapsed, first_error, cpu))


def run(host, port, workload, data, clients, seconds, requests=None, on_progress=None):
    """Run ``clients`` client processes of ``workload`` for ``seconds`` (or until ``requests``
    operations in all); ``on_progress(fraction)`` is called a few times a second. Returns an
    :class:`Outcome`."""
    ctx = multiprocessing.get_context('fork')
    results = ctx.Queue()
    go = ctx.Event()
    counter = ctx.Value('q', 0)
    quotas = [MAX_OPERATIONS_PER_CLIENT] * clients
    if requests:
        quotas = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    readies, processes = [], []
    for index in range(clients):
        ready = ctx.Event()
        proc = ctx.Process(
            target=_client,
            daemon=True,
            args=(
                host,
                port,
                workload,
                data,
                index,
                clients,
                quotas[index],
                seconds,
                counter,
                ready,
                go,
                results,
            ),
        )
        proc.start()
        readies.append(ready)
        processes.append(proc)
    collected = []
    try:
        for ready in readies:
            ready.wait(CONNECT_TIMEOUT)
        go.set()
        started = time.monotonic()
        while len(collected) < clients and time.monotonic() - started < seconds + CONNECT_TIMEOUT:
            try:
                collected.append(results.get(timeout=0.25))
            except queue.Empty:
                pass
            if on_progress:
                if requests:
                    on_progress(min(1.0, counter.value / float(requests)))
                else:
                    on_progress(min(1.0, (time.monotonic() - started) / seconds))
    finally:
        for proc in processes:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
    latencies = array.array('d')
    errors, elapsed, first_error, cpu = 0, 0.0, None, 0.0
    for _index, packed, errs, took, message, cpu_used in collected:
        chunk = array.array('d')
        chunk.frombytes(packed)
        latencies.extend(chunk)
        errors += errs
        elapsed = max(elapsed, took)
        first_error = first_error or message
        cpu += cpu_used
    missing = clients - len(collected)
    if missing:
        errors += missing
        first_error = first_error or '%d client(s) did not report' % missing
    return Outcome(sorted(latencies), errors, elapsed, first_error, cpu, 'python')


def cpu_count():
    return os.cpu_count() or 1
