"""Converters of option values: each takes the raw text of a config file, an environment variable
or a flag and returns the value, or raises ValueError saying what it expected.

One converter per kind of value, shared by every source, so that a bad value gets the same
message wherever it was written (:mod:`.config` adds where).
"""

import re


def to_bool(text):
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ('1', 'true', 'yes', 'on', 'y', 't'):
        return True
    if value in ('0', 'false', 'no', 'off', 'n', 'f', '', 'none'):
        return False
    raise ValueError('expected a boolean (true/false), got %r' % text)


def to_int(text):
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError('expected a whole number, got %r' % text) from None


def to_nonneg_int(text):
    value = to_int(text)
    if value < 0:
        raise ValueError('must be zero or more, got %d' % value)
    return value


def to_port(text):
    value = to_int(text)
    if not 0 <= value <= 65535:
        raise ValueError('port out of range: %d' % value)
    return value


def to_opt_port(text):
    """A port, or None (unset) for an empty value or OpenERP's literal ``False``."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    value = to_port(text)
    if value == 0:
        raise ValueError('port must be between 1 and 65535, got 0')
    return value


def to_opt_ports(text):
    """One port (an int), several as a comma list (``'5432,5433'``: libpq's multi-host form, one
    port per host or one for all), or None (unset)."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    parts = [part.strip() for part in str(text).split(',')]
    if '' in parts:
        raise ValueError('expected a port or a comma list of ports, got %r' % text)
    ports = [to_opt_port(part) for part in parts]
    return ports[0] if len(ports) == 1 else ','.join(str(port) for port in ports)


def to_port_list(text):
    """A list of ports (a comma list in the config file), each checked."""
    return [to_opt_port(part) for part in to_list(text)]


def to_count(text):
    """A count where OpenERP's literal ``False`` (its "no limit") means 0."""
    if str(text).strip() in ('', 'False', 'None'):
        return 0
    return to_nonneg_int(text)


def to_demo_switch(text):
    """``without_demo``: a boolean, or OpenERP's ``all`` (no demo data for any module)."""
    if str(text).strip().lower() == 'all':
        return True
    return to_bool(text)


def to_float(text):
    try:
        return float(str(text).strip())
    except ValueError:
        raise ValueError('expected a number, got %r' % text) from None


def to_opt_float(text):
    """A number, or None (unset: derived from another option) for an empty value or ``False``."""
    if text is None or str(text).strip() in ('', 'False', 'None'):
        return None
    value = to_float(text)
    if value < 0:
        raise ValueError('must be zero or more, got %s' % value)
    return value


def to_str(text):
    return str(text)


def to_opt_str(text):
    """A string where an empty value or OpenERP's literal ``False`` means unset."""
    value = str(text).strip()
    return None if value in ('', 'False', 'None') else value


def to_list(text):
    if isinstance(text, (list, tuple)):
        return list(text)
    return [part.strip() for part in str(text).split(',') if part.strip()]


def to_regex(text):
    try:
        re.compile(text)
    except re.error as error:
        raise ValueError('not a valid regular expression (%s): %r' % (error, text)) from None
    return text


def choice(*allowed):
    def convert(text):
        value = str(text).strip()
        if value not in allowed:
            raise ValueError('expected one of %s, got %r' % (', '.join(allowed), value))
        return value

    convert.choices = allowed  # type: ignore[attr-defined]  # read by the help text
    return convert


#: OpenERP 6.1/7.0 log levels that have no level of their own here, and the one they mean
LOG_LEVEL_SYNONYMS = {
    'debug_rpc': 'debug',
    'debug_rpc_answer': 'debug',
    'debug_sql': 'debug',
    'notset': 'debug',
    'test': 'info',
    'warning': 'warn',
}


def to_log_level(text):
    value = str(text).strip().lower()
    return choice('debug', 'info', 'warn', 'error', 'critical')(LOG_LEVEL_SYNONYMS.get(value, value))


to_log_level.choices = ('debug', 'info', 'warn', 'error', 'critical')  # type: ignore[attr-defined]  # read by the help text
