"""``/web/status``: a page for the operator, in a browser, refreshing itself.

It shows what ``/web/health`` (the machine-readable probe) holds and more, laid out for people:
each serving process (pid, kind, memory, CPU, requests, limits hit, connection pool), how many
processes ended and were replaced, the scheduled jobs of each database with their last and next
run, and the registry versions this process holds against the database's own counters.

Who may see it: a client on this machine, or anybody giving the master password (HTTP Basic
authentication, any user name). "On this machine" is judged on the socket's peer address, never
on a header alone: with ``--proxy-mode`` the forwarded client must be local too, and without it
any ``X-Forwarded-For``, ``X-Real-IP`` or ``Forwarded`` header naming another address (a reverse
proxy on this machine passing a remote client on) makes the request remote, and so does a
``Host`` or ``X-Forwarded-Host`` that is not a loopback name (DNS rebinding). The page holds no
secret: no password, no connection string, no configuration value.

Sections are the functions of :data:`SECTIONS`, in order; each takes a :class:`Snapshot` and
returns ``(title, html)``. A new section (say, read-replica lag) is one function appended with
:func:`add_section`.
"""

import base64
import binascii
import html
import ipaddress
import logging
import os
import time
import urllib.parse

from .. import release
from ..exceptions import AccessDenied
from .request_body import respond, text

_logger = logging.getLogger(__name__)

PATH = '/web/status'
#: seconds between two refreshes of the page, unless ``?refresh=N`` asks otherwise (1 to 3600)
DEFAULT_REFRESH = 5
REALM = 'openerp-lite status'
HEADERS = [
    ('Cache-Control', 'no-store'),
    ('X-Frame-Options', 'DENY'),
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'no-referrer'),
    ('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'"),
]


# -- who may see it --------------------------------------------------------------------------------


def _is_loopback(address):
    try:
        return ipaddress.ip_address((address or '').strip().strip('[]')).is_loopback
    except ValueError:
        return False


def _forwarded_addresses(environ):
    """Every client address the proxy headers name (whatever ``--proxy-mode`` says)."""
    found = []
    for header in ('HTTP_X_FORWARDED_FOR', 'HTTP_X_REAL_IP'):
        found += [part.strip() for part in environ.get(header, '').split(',') if part.strip()]
    for element in environ.get('HTTP_FORWARDED', '').split(','):
        for pair in element.split(';'):
            key, _, value = pair.strip().partition('=')
            if key.strip().lower() == 'for':  # ``For = x`` too: what is not understood is remote
                value = value.strip().strip('"')
                if value.startswith('['):
                    value = value[1:].split(']')[0]
                elif value.count(':') == 1:
                    value = value.split(':')[0]
                found.append(value)
    return found


def _host_is_loopback(host):
    """True for a ``Host`` naming this machine by a loopback name or address (or no Host)."""
    if not host:
        return True
    name, port = host.strip().lower(), ''
    if name.startswith('['):
        name, _, port = name[1:].partition(']')
        if port and not port.startswith(':'):
            return False
        port = port[1:]
    elif name.count(':') == 1:
        name, _, port = name.partition(':')
    if port and not port.isdigit():  # ``localhost:80@evil.example`` names another host
        return False
    return name == 'localhost' or name.endswith('.localhost') or _is_loopback(name)


def is_local(environ):
    """True for a request from this machine: the socket's peer is a loopback address, and so is
    every address a proxy header names (``--proxy-mode`` moves the peer aside and puts the
    forwarded client in ``REMOTE_ADDR``: both must be local). The ``Host`` must name this
    machine too: a web page the operator opens elsewhere could otherwise point a host name of
    its own at 127.0.0.1 (DNS rebinding) and read the page through the operator's browser."""
    original = environ.get('werkzeug.proxy_fix.orig') or {}
    peer = original.get('REMOTE_ADDR', environ.get('REMOTE_ADDR'))
    addresses = [peer, environ.get('REMOTE_ADDR')] + _forwarded_addresses(environ)
    hosts = [original.get('HTTP_HOST'), environ.get('HTTP_HOST')]
    hosts += [part.strip() for part in environ.get('HTTP_X_FORWARDED_HOST', '').split(',')]
    return all(_is_loopback(address) for address in addresses) and all(_host_is_loopback(h) for h in hosts)


def _basic_password(environ):
    """The password of an ``Authorization: Basic`` header, or None."""
    scheme, _, value = environ.get('HTTP_AUTHORIZATION', '').partition(' ')
    if scheme.lower() != 'basic' or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded.partition(':')[2] or None


def _allowed(environ, options):
    if is_local(environ):
        return True
    password = _basic_password(environ)
    if password is None:
        return False
    from ..service import db as db_service
    from ..service.base import CallInfo

    try:
        db_service.check_master(
            CallInfo(options, environ.get('REMOTE_ADDR'), environ.get('HTTP_HOST')), password
        )
    except AccessDenied:
        return False
    return True


# -- what it shows -------------------------------------------------------------------------------


class Snapshot:
    """What every section reads, gathered once per page: the process board (or this process
    alone), the pools, and the registries this process holds."""

    def __init__(self, server_kind):
        from .. import sql_db
        from ..tools import procboard

        self.server_kind = server_kind or 'unknown'
        self.taken = time.time()
        self.pid = os.getpid()
        self.board = procboard.current()
        self.processes, self.ended = [], {}
        try:
            if self.board is not None:
                self.processes = self.board.entries()
                self.ended = self.board.ended()
            else:
                from . import access_log

                own = dict(procboard.process_info(), role=self.server_kind, pool=sql_db.stats())
                own['limits_hit'] = access_log.limits_hit()
                self.processes = [own]
        except Exception:  # psutil missing: the rest of the page still answers
            _logger.debug('process statistics unavailable', exc_info=True)
        self.pool = sql_db.stats()

    def registries(self):
        from ..registry import Registry

        return sorted(Registry._registries.items())


def _cell(value):
    return '<td>%s</td>' % html.escape('-' if value is None else str(value))


def _table(headings, rows):
    head = ''.join('<th>%s</th>' % html.escape(h) for h in headings)
    body = ''.join('<tr>%s</tr>' % ''.join(_cell(v) for v in row) for row in rows)
    if not rows:
        body = '<tr><td colspan="%d">none</td></tr>' % len(headings)
    return '<table><tr>%s</tr>%s</table>' % (head, body)


def _mib(value):
    return '%.1f MiB' % (value / 1048576.0) if isinstance(value, (int, float)) else None


def _age(started, now):
    if not isinstance(started, (int, float)):
        return None
    seconds = max(0, int(now - started))
    return '%dh%02dm%02ds' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def processes_section(snap):
    rows = []
    for entry in snap.processes:
        pool = entry.get('pool') or {}
        rows.append(
            (
                entry.get('pid'),
                entry.get('role'),
                ','.join(entry.get('databases') or []) or None,
                _mib(entry.get('rss')),
                entry.get('cpu_seconds'),
                entry.get('requests'),
                entry.get('limits_hit'),
                '%s/%s/%s' % (pool.get('in_use', 0), pool.get('idle', 0), pool.get('open', 0)),
                pool.get('waiting'),
                pool.get('refused'),
                _age(entry.get('started'), snap.taken),
            )
        )
    workers = [e for e in snap.processes if e.get('role') not in ('cron',)]
    body = _table(
        (
            'pid',
            'kind',
            'databases',
            'RSS',
            'CPU s',
            'requests',
            'limits hit',
            'connections in use/idle/open',
            'waiting',
            'refused',
            'up for',
        ),
        rows,
    )
    if snap.board is not None:
        body += (
            '<p class="restarts">ended and replaced since start: %d worker(s), %d cron process(es)</p>'
            % (
                snap.ended.get('worker', 0),
                snap.ended.get('cron', 0),
            )
        )
    return 'Serving processes (%d)' % len(workers), body


def cron_section(snap):
    """The jobs of each database this process holds, from ``ir_cron`` (any process may have run
    them: the database is the one place that knows)."""
    from .. import sql_db

    rows = []
    for name, _registry in snap.registries():
        try:
            with sql_db.cursor(name, readonly=True) as cr:
                cr.execute(
                    'SELECT name, active, lastcall, nextcall, failure_count FROM ir_cron '
                    'ORDER BY lastcall DESC NULLS LAST, id'
                )
                for job, active, lastcall, nextcall, failures in cr.fetchall():
                    rows.append((name, job, 'yes' if active else 'no', lastcall, nextcall, failures))
        except Exception as error:  # a database gone, a table not there yet
            rows.append(
                (name, 'cannot be read: %s' % str(error).strip().splitlines()[0], None, None, None, None)
            )
    cron_processes = [e for e in snap.processes if e.get('role') == 'cron']
    intro = '<p>%d cron process(es) of their own (see above).</p>' % len(cron_processes) if snap.board else ''
    return 'Scheduled jobs', intro + _table(
        ('database', 'job', 'active', 'last run (UTC)', 'next run (UTC)', 'failures'), rows
    )


def pool_section(snap):
    pool = snap.pool
    rows = [
        (
            'all databases',
            pool.get('max'),
            pool.get('open'),
            pool.get('in_use'),
            pool.get('idle'),
            pool.get('waiting'),
            pool.get('refused'),
        )
    ]
    for name, figures in sorted((pool.get('databases') or {}).items()):
        rows.append((name, figures.get('max'), None, figures.get('in_use'), figures.get('idle'), None, None))
    return 'Connection pool of this process (pid %d)' % snap.pid, _table(
        ('pool', 'max', 'open', 'in use', 'idle', 'waiting', 'refused'), rows
    )


def standbys_section(snap):
    """The hot standbys this process reads on (``--db_replica_host``), measured now: state, lag,
    and where its reads went. Nothing when none is configured."""
    from .. import sql_replica

    if not sql_replica.configured():
        return None
    rows = [
        (
            figures['server'],
            figures['state'],
            figures['lag_bytes'],
            figures['replay_age'],
            figures['last_wait_ms'],
            figures['reads'],
            figures['waited'],
            figures['skipped'],
            figures['reason'],
        )
        for figures in sql_replica.status(probe=True)
    ]
    return 'Hot standbys of this process (pid %d)' % snap.pid, _table(
        (
            'standby',
            'state',
            'lag (bytes)',
            'replay age (s)',
            'last wait (ms)',
            'reads',
            'waited',
            'sent to the primary',
            'why',
        ),
        rows,
    )


def registries_section(snap):
    """The signal versions this process's registry of each database holds, beside the
    database's counters now: a difference is a change this process has not picked up yet."""
    from .. import registry as registry_module
    from .. import signals, sql_db

    rows = []
    for name, registry in snap.registries():
        known = dict(registry.signal_versions)
        try:
            with sql_db.cursor(name, readonly=True) as cr:
                current = registry_module.read_signals(cr)
        except Exception:
            current = {}
        for kind in sorted(set(known) | set(current)):
            if kind == signals.IDENTITY:
                continue
            rows.append((name, kind, known.get(kind), current.get(kind)))
    return 'Registries held by this process (pid %d)' % snap.pid, _table(
        ('database', 'signal', 'this process', 'database'), rows
    )


#: the sections of the page, in order: functions of a Snapshot returning (title, html)
SECTIONS = [processes_section, cron_section, pool_section, standbys_section, registries_section]


def add_section(section, before=None):
    """Add ``section`` to the page (at the end, or before the section function ``before``): a
    function of a :class:`Snapshot` returning ``(title, html)``, or None to show nothing."""
    if before in SECTIONS:
        SECTIONS.insert(SECTIONS.index(before), section)
    else:
        SECTIONS.append(section)


STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th { background: #eee; }
td:first-child, th:first-child { text-align: left; }
p.meta { color: #666; }
"""


def render(snap, refresh):
    parts = []
    for section in SECTIONS:
        try:
            shown = section(snap)
            if shown is None:  # nothing to show on this server (no standby configured...)
                continue
            title, body = shown
        except Exception:
            _logger.exception('status page: section %s failed', getattr(section, '__name__', section))
            title, body = getattr(section, '__name__', 'section'), '<p>unavailable: see the server log</p>'
        parts.append('<section><h2>%s</h2>%s</section>' % (html.escape(title), body))
    workers = len([e for e in snap.processes if e.get('role') != 'cron'])
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="%d">'
        '<title>openerp-lite status: %d serving process(es)</title><style>%s</style></head><body>'
        '<h1>openerp-lite %s</h1><p class="meta">%s server, page made by pid %d at %s UTC; '
        'refreshes every %d s.'
        ' Machine-readable: <code>/web/health</code>.</p>%s</body></html>'
        % (
            refresh,
            workers,
            STYLE,
            html.escape(release.version),
            html.escape(snap.server_kind),
            snap.pid,
            time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(snap.taken)),
            refresh,
            ''.join(parts),
        )
    )


def _refresh(environ):
    values = urllib.parse.parse_qs(environ.get('QUERY_STRING', '')).get('refresh')
    try:
        return min(max(int(values[0]), 1), 3600) if values else DEFAULT_REFRESH
    except ValueError:
        return DEFAULT_REFRESH


def handle(call):
    """The route's handler (:mod:`.routes`)."""
    environ, start_response = call.environ, call.start_response
    if not _allowed(environ, call.options):
        return text(
            start_response,
            '401 Unauthorized',
            'The status page is shown to clients on this machine, or with the master password '
            '(HTTP Basic authentication, any user name).\n',
            [('WWW-Authenticate', 'Basic realm="%s", charset="UTF-8"' % REALM)] + HEADERS,
        )
    page = render(Snapshot(call.server_kind), _refresh(environ)).encode('utf-8')
    body = respond(start_response, '200 OK', 'text/html; charset=utf-8', page, HEADERS)
    return [b''] if environ.get('REQUEST_METHOD') == 'HEAD' else body
