"""The access log: one line per call, saying who called what and how it ended.

A line reads ``ADDRESS DB UID TARGET OUTCOME 1.2ms`` (``-`` where a field is unknown), written to
the ``openerp_lite.http.access`` logger. The outcome is one of :data:`OUTCOMES`, decided from what
the call returned or raised, so that a wrong password reads ``denied`` and not ``ok``:

- ``ok``: the call returned its result;
- ``denied``: wrong credentials, or a right the caller does not hold (``common.login`` answering
  ``False`` is one);
- ``user_error``: the caller's mistake (a business rule, a missing record or database, a request
  that cannot be decoded);
- ``server_error``: the server's (a bug, a limit reached, a lost connection).

:func:`parse` reads a line back, for tools and tests that check what the server logged.
"""

import logging
import re
import time

from .errors import kind_of, mapping_for

LOGGER_NAME = 'openerp_lite.http.access'
_access = logging.getLogger(LOGGER_NAME)

OUTCOMES = ('ok', 'denied', 'user_error', 'server_error')
_DENIED_KINDS = frozenset(('access_denied', 'session_expired', 'access_error'))
#: ``common`` methods whose ``False`` means "wrong credentials"
_LOGIN_METHODS = frozenset(('login', 'authenticate'))


#: requests of this process that hit one of the server's limits, for the process board
_limits_hit = [0]


def is_limit(error):
    """True for an error saying a limit stopped the request: ``--limit-time-sql``, the request
    size and decoding bounds, ``--limit-memory-hard`` (a MemoryError) or ``--limit-time-cpu``
    (the adapters mark their exception with ``limit_hit``)."""
    return (
        kind_of(error) == 'limit'
        or isinstance(error, MemoryError)
        or bool(getattr(error, 'limit_hit', False))
    )


def note_limit(error):
    if is_limit(error):
        _limits_hit[0] += 1


def limits_hit():
    """How many requests of this process hit a limit since it started."""
    return _limits_hit[0]


def enabled():
    """False when nobody reads the access log: the caller can skip working out the fields."""
    return _access.isEnabledFor(logging.INFO)


def outcome(error=None, service=None, method=None, result=None):
    """The outcome word of a call that raised ``error`` (None: it returned ``result``)."""
    if error is None:
        if service == 'common' and method in _LOGIN_METHODS and result is False:
            return 'denied'
        return 'ok'
    if kind_of(error) in _DENIED_KINDS:
        return 'denied'
    return 'user_error' if mapping_for(error).log == 'debug' else 'server_error'


def call_fields(service, method, params, result=None):
    """``(db, uid, target)`` of an RPC call, from its parameters as the wire gave them; ``-``
    for what they do not say. Never raises: a malformed call still gets its line."""
    db, uid, target = '-', '-', '%s.%s' % (service, method)
    try:
        if service == 'object' and len(params) >= 5:
            db, uid = params[0], params[1]
            target = '%s.%s' % (params[3], params[4] if method != 'exec_workflow' else method)
        elif service == 'common' and method in _LOGIN_METHODS and params:
            db = params[0]
            if isinstance(result, int) and not isinstance(result, bool):
                uid = result
        elif service == 'db' and len(params) >= 2 and method not in ('change_admin_password',):
            db = params[1]
        elif service == 'db' and method in ('exist', 'db_exist') and params:
            db = params[0]
    except (TypeError, IndexError, KeyError):
        pass
    return _field(db), _field(uid), _field(target)


_UNFIT = re.compile(r'[\s\x00-\x1f\x7f-\x9f]')


def _field(value):
    """One field of the line, free of spaces and control characters (a client chooses these
    values: a line break or a terminal escape in a method name must not forge a line)."""
    text = str(value) if value not in (None, '') else '-'
    return _UNFIT.sub('_', text)[:200]


def write(remote_addr, db, uid, target, result_word, started, detail=None):
    """Write one line; ``started``: the call's ``time.perf_counter()`` at its start; ``detail``:
    a short reason, for requests refused before a call was decoded."""
    if not enabled():
        return
    line = '%s %s %s %s %s %.1fms' % (
        _field(remote_addr),
        _field(db),
        _field(uid),
        _field(target),
        result_word,
        (time.perf_counter() - started) * 1000.0,
    )
    if detail:
        line += ' (%s)' % ' '.join(str(detail).split())[:300]
    _access.info('%s', line)


_LINE = re.compile(
    r'(?P<address>\S+) (?P<db>\S+) (?P<uid>\S+) (?P<target>\S+) (?P<outcome>%s) (?P<ms>[0-9.]+)ms'
    r'(?: \((?P<detail>.*)\))?$' % '|'.join(OUTCOMES)
)


def parse(text):
    """The fields of the access line at the end of ``text`` (a log line, its prefix included),
    as a dict, or None when ``text`` is not an access line."""
    marker = LOGGER_NAME + ': '
    if marker in text:
        text = text.split(marker, 1)[1]
    match = _LINE.search(text.strip())
    return match.groupdict() if match else None
