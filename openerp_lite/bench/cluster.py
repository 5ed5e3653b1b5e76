"""A primary with hot standbys, and a PgBouncer, made on this machine for the bench and the tests.

:class:`Cluster` builds a primary with ``initdb`` and standbys with ``pg_basebackup -R`` (a plain
asynchronous streaming standby, as an operator makes one) from the machine's PostgreSQL binaries,
each on a free loopback port in one temporary directory, removed by :meth:`Cluster.destroy`.
:class:`PgBouncer` starts Debian's ``pgbouncer`` in front of any server, in transaction pooling by
default; :func:`pgbouncer_binary` installs the package with apt-get when it is missing and this
process runs as root (CI does). What cannot be had here (no PostgreSQL binaries, no PgBouncer)
raises :class:`Unavailable`, which the tests turn into a skip. PostgreSQL and PgBouncer refuse to
run as root: as root, both run as the ``postgres`` system user.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import psycopg2

from ..tools.process import terminate
from .launcher import free_port

SERVICE_USER = 'postgres'


class Unavailable(RuntimeError):
    """What a :class:`Cluster` or a :class:`PgBouncer` needs is not on this machine."""


def postgres_bindir():
    """The directory of the newest installed PostgreSQL's binaries, or None."""
    candidates = sorted(
        glob.glob('/usr/lib/postgresql/*/bin/initdb'), key=lambda p: int(p.split('/')[-3].split('.')[0])
    )
    if candidates:
        return os.path.dirname(candidates[-1])
    found = shutil.which('initdb')
    return os.path.dirname(found) if found else None


def _as_service_user(cmd):
    if os.geteuid() == 0:
        return ['runuser', '-u', SERVICE_USER, '--'] + cmd
    return cmd


def _give_to_service_user(path):
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVICE_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(cmd, timeout=120):
    proc = subprocess.run(_as_service_user(cmd), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError('%s failed (%s):\n%s%s' % (cmd[0], proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing listens on 127.0.0.1:%d after %ss' % (port, timeout))


class Node:
    """One PostgreSQL server of the cluster: its data directory, port and log."""

    def __init__(self, cluster, name, port):
        self.cluster, self.name, self.port = cluster, name, port
        self.data_dir = os.path.join(cluster.root, name)
        self.log_path = os.path.join(cluster.root, name + '.log')

    @property
    def params(self):
        return {'host': '127.0.0.1', 'port': self.port, 'user': 'postgres'}

    def connect(self, dbname='postgres'):
        conn = psycopg2.connect(dbname=dbname, connect_timeout=5, **self.params)
        conn.autocommit = True
        return conn

    def query(self, sql, params=(), dbname='postgres'):
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()

    def start(self):
        _run(
            [
                self.cluster.pg_ctl,
                '-D',
                self.data_dir,
                '-l',
                self.log_path,
                '-w',
                '-t',
                '60',
                'start',
            ]
        )
        wait_for_port(self.port)

    def stop(self, mode='fast'):
        """``pg_ctl stop -m mode`` (fast: a clean shutdown that sends the standbys all WAL first)."""
        if os.path.exists(os.path.join(self.data_dir, 'postmaster.pid')):
            _run([self.cluster.pg_ctl, '-D', self.data_dir, '-m', mode, '-w', '-t', '60', 'stop'])

    def promote(self):
        _run([self.cluster.pg_ctl, '-D', self.data_dir, '-w', '-t', '60', 'promote'])

    def replayed_up_to(self, position):
        """Whether this standby has replayed the primary's WAL position ``position``."""
        rows = self.query('SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn', (position,))
        return bool(rows[0][0])

    def xact_commits(self, dbname, at_least=0, timeout=20):
        """Transactions committed or rolled back in ``dbname`` on this server (its own
        statistics; a standby counts the read-only transactions it served). A backend publishes
        its counts when idle, up to seconds later: wait until they reach ``at_least``."""
        deadline = time.monotonic() + timeout
        while True:
            conn = self.connect()
            try:
                with conn.cursor() as cr:
                    cr.execute(
                        'SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s',
                        (dbname,),
                    )
                    count = cr.fetchone()[0]
            finally:
                conn.close()
            if count >= at_least or time.monotonic() > deadline:
                return count
            time.sleep(0.2)

    def sessions_of(self, dbname, application_name='openerp-lite', since=None, last_statement=None):
        """How many sessions ``application_name`` has open on this server in ``dbname`` (opened
        at or after ``since``; whose last statement holds ``last_statement``)."""
        rows = self.query(
            'SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s '
            'AND (%s::timestamptz IS NULL OR backend_start >= %s) AND (%s::text IS NULL OR query LIKE %s)',
            (dbname, application_name, since, since, last_statement, '%%%s%%' % last_statement),
        )
        return rows[0][0]


class Cluster:
    """A primary and its hot standbys in a temporary directory; ``durable``: with ``fsync`` (for
    measurements; the tests run without, a clean shutdown still keeps everything)."""

    def __init__(self, durable=False):
        self.durable = durable
        bindir = postgres_bindir()
        if bindir is None:
            raise Unavailable('no PostgreSQL binaries (initdb) on this machine')
        self.initdb = os.path.join(bindir, 'initdb')
        self.pg_ctl = os.path.join(bindir, 'pg_ctl')
        self.pg_basebackup = os.path.join(bindir, 'pg_basebackup')
        self.root = tempfile.mkdtemp(prefix='oel-cluster-')
        _give_to_service_user(self.root)
        self.primary = None
        self.standbys = []

    def _configure(self, node, extra=()):
        lines = [
            'port = %d' % node.port,
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = '%s'" % self.root,
            'max_connections = 100',
            'shared_buffers = 32MB',
            'fsync = %s' % ('on' if self.durable else 'off'),
            'full_page_writes = %s' % ('on' if self.durable else 'off'),
            'wal_level = replica',
            'max_wal_senders = 8',
            'hot_standby = on',
            'hot_standby_feedback = on',
            "wal_keep_size = '128MB'",
        ] + list(extra)
        with open(os.path.join(node.data_dir, 'postgresql.conf'), 'a', encoding='utf-8') as handle:
            handle.write('\n'.join(lines) + '\n')

    def start_primary(self):
        node = Node(self, 'primary', free_port())
        _run([self.initdb, '-D', node.data_dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'])
        self._configure(node)
        node.start()
        self.primary = node
        return node

    def add_standby(self, source=None):
        """A hot standby of ``source`` (the primary) by ``pg_basebackup -R``, started."""
        source = source or self.primary
        node = Node(self, 'standby%d' % (len(self.standbys) + 1), free_port())
        _run(
            [
                self.pg_basebackup,
                '-h',
                '127.0.0.1',
                '-p',
                str(source.port),
                '-U',
                'postgres',
                '-D',
                node.data_dir,
                '-R',
                '-X',
                'stream',
                '-c',
                'fast',
            ],
            timeout=300,
        )
        self._configure(node)
        node.start()
        self.standbys.append(node)
        return node

    def wait_replayed(self, standby, timeout=30):
        """Wait until ``standby`` has replayed everything the primary has written now."""
        position = self.primary.query('SELECT pg_current_wal_lsn()::text')[0][0]
        deadline = time.monotonic() + timeout
        while not standby.replayed_up_to(position):
            if time.monotonic() > deadline:
                raise RuntimeError('standby %s did not catch up within %ss' % (standby.name, timeout))
            time.sleep(0.05)

    def destroy(self):
        for node in [self.primary] + self.standbys:
            if node is not None:
                try:
                    node.stop('immediate')
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


# -- PgBouncer -----------------------------------------------------------------------------------


def pgbouncer_binary():
    """The path of ``pgbouncer``, installed with apt-get (root only) when missing; raises
    :class:`Unavailable` when it cannot be had."""
    for candidate in (shutil.which('pgbouncer'), '/usr/sbin/pgbouncer'):
        if candidate and os.path.exists(candidate):
            return candidate
    if os.geteuid() == 0 and shutil.which('apt-get'):
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        install = ['apt-get', '-q', 'install', '-y', '--no-install-recommends', 'pgbouncer']
        # the package lists may be missing or stale: update them only when the install fails
        for steps in ([install], [['apt-get', '-q', 'update'], install]):
            for step in steps:
                subprocess.run(step, env=env, capture_output=True, timeout=600)
            if os.path.exists('/usr/sbin/pgbouncer'):
                return '/usr/sbin/pgbouncer'
    raise Unavailable('pgbouncer is not installed and cannot be installed here (apt-get as root)')


class PgBouncer:
    """A PgBouncer on a free loopback port in front of ``target`` (a params dict): every
    database name goes to the same server (``* =``), with ``pool_mode`` pooling."""

    def __init__(self, target, pool_mode='transaction', pool_size=20):
        self.binary = pgbouncer_binary()
        self.target = target
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix='oel-pgbouncer-')
        _give_to_service_user(self.root)
        self.config_path = os.path.join(self.root, 'pgbouncer.ini')
        self.log_path = os.path.join(self.root, 'pgbouncer.log')
        user = target.get('user') or 'postgres'
        with open(os.path.join(self.root, 'userlist.txt'), 'w', encoding='utf-8') as handle:
            handle.write('"%s" ""\n' % user)
        with open(self.config_path, 'w', encoding='utf-8') as handle:
            handle.write(
                '[databases]\n'
                '* = host=%s port=%s\n'
                '[pgbouncer]\n'
                'listen_addr = 127.0.0.1\n'
                'listen_port = %d\n'
                'unix_socket_dir =\n'
                'auth_type = trust\n'
                'auth_file = %s\n'
                'pool_mode = %s\n'
                'default_pool_size = %d\n'
                'max_client_conn = 1000\n'
                'max_db_connections = 0\n'
                'server_check_delay = 0\n'
                'logfile = %s\n'
                'pidfile = %s\n'
                % (
                    target.get('host') or '127.0.0.1',
                    target.get('port') or 5432,
                    self.port,
                    os.path.join(self.root, 'userlist.txt'),
                    pool_mode,
                    pool_size,
                    self.log_path,
                    os.path.join(self.root, 'pgbouncer.pid'),
                )
            )
        for name in os.listdir(self.root):
            _give_to_service_user(os.path.join(self.root, name))
        self.proc = subprocess.Popen(
            _as_service_user([self.binary, self.config_path]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, 15)
        except RuntimeError:
            self.stop()
            raise

    @property
    def params(self):
        return {'host': '127.0.0.1', 'port': self.port, 'user': self.target.get('user') or 'postgres'}

    def log(self):
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except OSError:
            return ''

    def stop(self):
        if self.proc is not None:
            terminate(self.proc, 10)
            self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)
