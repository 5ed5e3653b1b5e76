"""What the report says about the machine: cores, memory, CPU model, PostgreSQL, Python, wrk."""

import os
import platform
import subprocess

import psutil
import psycopg2

from . import wrk


def _cpu_model():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def postgres_version(pg):
    """``server_version`` of the PostgreSQL at ``pg`` (a params dict), or a reason it is unknown."""
    try:
        conn = psycopg2.connect(dbname='postgres', connect_timeout=10, **pg)
    except psycopg2.Error as error:
        return 'unknown (%s)' % str(error).strip().splitlines()[0]
    try:
        with conn.cursor() as cr:
            cr.execute('SHOW server_version')
            return cr.fetchone()[0]
    finally:
        conn.close()


def wrk_version():
    path = wrk.available()
    if not path:
        return None
    try:
        out = subprocess.run([path, '-v'], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return path
    return out.decode('utf-8', 'replace').strip().splitlines()[0] if out.strip() else path


def describe(pg):
    """A dict naming the machine the bench runs on."""
    return {
        'hostname': platform.node(),
        'cores': os.cpu_count() or 1,
        'cpu_model': _cpu_model(),
        'memory_bytes': psutil.virtual_memory().total,
        'os': platform.platform(),
        'python': platform.python_version(),
        'postgresql': postgres_version(pg),
        'postgresql_at': '%s:%s' % (pg.get('host'), pg.get('port') or 5432),
        'wrk': wrk_version(),
        'load_average_at_start': list(os.getloadavg()),
    }
