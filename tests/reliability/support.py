"""What the reliability scenarios share: bounded RPC clients, outcome classes, direct SQL, the
report rows and the gunicorn process tree.

Every call has a socket timeout and every wait a deadline: a scenario that goes wrong fails instead
of hanging the suite.
"""

import http.client
import json
import os
import re
import socket
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field

from tests.support import rpc
from tests.support.pg import sql  # noqa: F401  (the helpers below and the scenarios use it)
from tests.support.wait import wait_for  # noqa: F401  (re-exported for the scenarios)

#: clear passwords of the test users (distinct from anything else, so a scan can find them)
PASSWORDS = {'team_a': 'clear-Pw-of-team-a-7f3k', 'team_b': 'clear-Pw-of-team-b-9q2m'}
#: seconds any single RPC call of the suite may take before it counts as hung
CALL_TIMEOUT = 60


def proxy(server, service, timeout=CALL_TIMEOUT, legacy=False):
    """A proxy with a socket timeout whose requests are never sent twice (see
    :class:`tests.support.rpc.TimeoutTransport`)."""
    return rpc.proxy(server, service, timeout, legacy, resend=False)


class Client:
    """``execute_kw`` as one user of one database over ``/xmlrpc/2``."""

    def __init__(self, server, db, uid=1, password='admin', timeout=CALL_TIMEOUT):
        self.server, self.db, self.uid, self.password = server, db, uid, password
        self.timeout = timeout

    def __call__(self, model, method, *args, **kwargs):
        return proxy(self.server, 'object', self.timeout).execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def as_user(self, uid, password):
        return Client(self.server, self.db, uid, password, self.timeout)


# -- outcomes --------------------------------------------------------------------------------

OK, CLEAN, DROPPED, UNEXPECTED = 'ok', 'clean fault', 'connection dropped', 'unexpected'


def outcome(call, clean=None):
    """``(kind, value)`` of running ``call()``: OK with the result; CLEAN for a fault whose text
    matches ``clean`` (a regex; any fault when None); DROPPED when the server hung up without an
    answer; UNEXPECTED for anything else (another fault, an HTTP error, a timeout)."""
    try:
        return OK, call()
    except xmlrpc.client.Fault as fault:
        text = '%s %s' % (fault.faultCode, fault.faultString)
        if clean is None or re.search(clean, text, re.I | re.S):
            return CLEAN, text
        return UNEXPECTED, text
    except (
        http.client.RemoteDisconnected,
        ConnectionResetError,
        BrokenPipeError,
        http.client.IncompleteRead,
    ) as error:
        return DROPPED, repr(error)
    except (socket.timeout, TimeoutError) as error:
        return UNEXPECTED, 'timeout: %r' % (error,)
    except Exception as error:  # noqa: BLE001 - every other failure is what we count
        return UNEXPECTED, repr(error)[:500]


def is_server_error_fault(text):
    """True for an integer fault that is a server error with a traceback (code 1)."""
    return text.startswith('1 ') and 'Traceback (most recent call last)' in text


# -- direct SQL ------------------------------------------------------------------------------


def table_digest(pg, db, tables):
    """``{table: md5 of every row}``: equal before and after means no row changed."""
    digests = {}
    for table in tables:
        rows = sql(
            pg,
            db,
            'SELECT md5(coalesce(string_agg(t::text, %%s ORDER BY t.id), %%s)) FROM "%s" t' % table,
            ('\n', ''),
        )
        digests[table] = rows[0][0]
    return digests


def database_digest(pg, db, exclude=()):
    """``{table: md5 of every row}`` for every table of ``db`` but ``exclude``, in one query per
    table; rows are ordered by their text, so tables without an ``id`` compare too."""
    tables = [
        name
        for (name,) in sql(
            pg, db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        if name not in exclude
    ]
    digests = {}
    for table in tables:
        rows = sql(
            pg,
            db,
            'SELECT md5(coalesce(string_agg(t::text, %%s ORDER BY t::text), %%s)) FROM "%s" t' % table,
            ('\n', ''),
        )
        digests[table] = rows[0][0]
    return digests


def terminate_backends(pg, db):
    """``pg_terminate_backend`` every session on ``db`` (never our own); how many were ended."""
    rows = sql(
        pg,
        'postgres',
        'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity '
        'WHERE datname = %s AND pid <> pg_backend_pid()',
        (db,),
    )
    return rows[0][0]


def wait_sessions_gone(pg, db, timeout=10):
    """Wait until no session is left on ``db`` (terminated ones take a moment to go)."""
    return wait_for(
        lambda: (
            sql(pg, 'postgres', 'SELECT count(*) FROM pg_stat_activity WHERE datname = %s', (db,))[0][0] == 0
        ),
        timeout,
    )


# -- processes -------------------------------------------------------------------------------


def children(pid):
    """Pids of the live child processes of ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='ascii', errors='replace') as handle:
                fields_ = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if fields_[1] == str(pid) and fields_[0] != 'Z':
            found.append(int(entry))
    return sorted(found)


def run_threads(target, count, timeout=300):
    """Run ``target(index)`` in ``count`` threads started together; joins with a deadline."""
    barrier = threading.Barrier(count)

    def body(index):
        barrier.wait(timeout=30)
        target(index)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread for thread in threads if thread.is_alive()]
    assert not stuck, '%d threads still running after %ss' % (len(stuck), timeout)


def jsonrpc_body(service, method, args, request_id=1):
    return json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': request_id,
            'params': {'service': service, 'method': method, 'args': args},
        }
    ).encode()


# -- the report ------------------------------------------------------------------------------


@dataclass
class Scenario:
    """One row of the report. ``lost`` and ``duplicated`` count rows; both must stay zero, as
    must ``unexpected``."""

    name: str
    calls: int = 0
    ok: int = 0
    expected_failures: int = 0
    unexpected: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind, expected=(CLEAN, DROPPED)):
        """Count one call of outcome ``kind``: ok, expected failure (``expected``) or not."""
        self.calls += 1
        if kind == OK:
            self.ok += 1
        elif kind in expected:
            self.expected_failures += 1
        else:
            self.unexpected += 1

    def note(self, text):
        self.notes.append(text)


class Report:
    """Scenario rows of this run, in the order the tests recorded them."""

    def __init__(self):
        self.rows = []
        self._lock = threading.Lock()

    def scenario(self, name):
        row = Scenario(name)
        with self._lock:
            self.rows.append(row)
        return row

    def table(self):
        headers = (
            'scenario',
            'calls',
            'ok',
            'failed as expected',
            'failed unexpectedly',
            'rows lost',
            'rows duplicated',
            'seconds',
            'notes',
        )
        lines = [
            (
                r.name,
                r.calls,
                r.ok,
                r.expected_failures,
                r.unexpected,
                r.lost,
                r.duplicated,
                '%.1f' % r.seconds,
                '; '.join(r.notes),
            )
            for r in self.rows
        ]
        widths = [
            max(len(str(h)), *(len(str(line[i])) for line in lines)) if lines else len(h)
            for i, h in enumerate(headers)
        ]

        def fmt(values):
            cells = [
                str(v).ljust(w) if i in (0, 8) else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(values, widths))
            ]
            return '| ' + ' | '.join(cells) + ' |'

        out = [fmt(headers), '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
        out.extend(fmt(line) for line in lines)
        total = [
            sum(getattr(r, name) for r in self.rows)
            for name in ('calls', 'ok', 'expected_failures', 'unexpected', 'lost', 'duplicated')
        ]
        out.append(
            fmt(
                (
                    'total (%d scenarios)' % len(self.rows),
                    *total,
                    '%.1f' % sum(r.seconds for r in self.rows),
                    '',
                )
            )
        )
        return '\n'.join(out)
