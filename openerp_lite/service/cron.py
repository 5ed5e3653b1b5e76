"""The cron runner: runs the due ``ir.cron`` jobs of a database, each at most once at a time.

A job is claimed by locking its row (``SELECT ... FOR UPDATE SKIP LOCKED``) in a *claiming*
transaction that stays open while the job runs. Any other thread, process or machine polling the
same database skips a locked row, so a job never runs twice at once, however many pollers there
are. The claim runs at READ COMMITTED: a row another poller has just rescheduled is re-read at its
latest version and no longer matches ``nextcall <= now``, where REPEATABLE READ would fail with a
serialization error instead.

The job itself runs in a transaction of its own (with the retry on serialization failures of
:func:`sql_db.run_in_transaction`), as the job's user; its work commits independently of the
schedule update, which is written and committed on the claiming cursor afterwards
(docs/architecture.md, "Transactions"). A job that raises is logged with its traceback, its
transaction is rolled back, its failure count goes up and it is rescheduled for its next interval:
it never blocks the jobs after it.

Who calls :func:`process_database`: the cron threads of the threaded and waitress servers, the cron
processes a prefork master supervises, and ``openerp-server cron`` (see :class:`CronLoop`).
"""

import ast
import calendar
import datetime
import logging
import random
import threading

import psycopg2

from .. import catalog, sql_db
from ..orm.environment import Environment
from ..registry import Registry
from ..tools import config
from .base import CallInfo, db_allowed, host_based

_logger = logging.getLogger(__name__)

#: the server's settings, handed down by ``bootstrap`` (None: not started as a server, every
#: database may be polled)
_handed = {'options': None}

#: at most this many jobs are claimed per database and pass, so one pass always ends
MAX_JOBS_PER_PASS = 100
#: a job down for longer than this many intervals is rescheduled without counting each one
MAX_CATCH_UP = 100000

_DUE = "active AND numbercall != 0 AND nextcall <= (now() at time zone 'UTC')"


def configure(options):
    """Hand the server's settings to the runner (``bootstrap``)."""
    _handed['options'] = options


def served(names, given=True):
    """Which of ``names`` cron may poll: those ``--db-filter`` lets through. A host-based filter
    (``%h``/``%d``) cannot judge a name without a request: then the databases given with ``-d``
    (``given``) are polled as the operator listed them, and none is found on its own."""
    options = _handed['options']
    if options is None:
        return list(names)
    if host_based(options):
        return list(names) if given else []
    info = CallInfo(options)
    return [name for name in names if db_allowed(info, name)]


def poll_interval():
    """Seconds between two polls of the due jobs (``--cron-interval``, at least 50 ms)."""
    options = _handed['options'] or config.defaults()
    return max(float(options.cron_interval or 60.0), 0.05)


def session_timeout():
    """Seconds a web session lives (``--session-timeout``): older ones are vacuumed."""
    return (_handed['options'] or config.defaults()).session_timeout


# -- schedule arithmetic (no I/O) ----------------------------------------------------------------


def add_interval(when, number, kind):
    """``when`` moved ``number`` units of ``kind`` (minutes … months) later; months keep the day
    of the month when they can and otherwise end on the month's last day."""
    if kind == 'months':
        months = when.month - 1 + number
        year, month = when.year + months // 12, months % 12 + 1
        day = min(when.day, calendar.monthrange(year, month)[1])
        return when.replace(year=year, month=month, day=day)
    unit = {'minutes': 'minutes', 'hours': 'hours', 'days': 'days', 'weeks': 'weeks'}.get(kind)
    if unit is None:
        raise ValueError('unknown interval type %r' % kind)
    return when + datetime.timedelta(**{unit: number})


def schedule(nextcall, now, number, kind, numbercall, doall):
    """What one pass does with a due job: ``(runs, new_nextcall, new_numbercall)``.

    Every interval boundary up to ``now`` is an occurrence; ``doall`` runs each missed occurrence
    (catch up), otherwise they collapse into one run (skip). ``numbercall`` counts down by the
    occurrences (unless it is negative: unlimited) and the job stops at 0.
    """
    number = max(int(number or 1), 1)
    occurrences = 0
    while nextcall <= now and numbercall != 0:
        if occurrences >= MAX_CATCH_UP:
            # Down for ages: jump to the next boundary after now instead of stepping through each.
            nextcall = add_interval(now, number, kind)
            break
        occurrences += 1
        if numbercall > 0:
            numbercall -= 1
        nextcall = add_interval(nextcall, number, kind)
    runs = occurrences if doall else min(occurrences, 1)
    return runs, nextcall, numbercall


def next_after(nextcall, now, number, kind):
    """The first interval boundary after ``now`` (where a failed job is tried again)."""
    number = max(int(number or 1), 1)
    for _ in range(MAX_CATCH_UP):
        if nextcall > now:
            return nextcall
        nextcall = add_interval(nextcall, number, kind)
    return add_interval(now, number, kind)


def parse_args(text):
    """The positional arguments of a job: ``args`` is a Python literal (a tuple, usually)."""
    value = ast.literal_eval(text.strip()) if text and text.strip() else ()
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    return (value,)


# -- one database --------------------------------------------------------------------------------


def has_due_jobs(dbname):
    """True when ``dbname`` is an openerp-lite database with a job due now (one cheap query, no
    registry load): pollers of many databases skip the idle ones quickly."""
    with sql_db.cursor(dbname) as cr:
        cr.execute("SELECT to_regclass('ir_cron') IS NOT NULL")
        if not cr.fetchone()[0]:
            return False
        cr.execute('SELECT EXISTS (SELECT 1 FROM ir_cron WHERE %s)' % _DUE)
        return cr.fetchone()[0]


def process_database(dbname, stop=None):
    """Run the due jobs of ``dbname``, by priority, each claimed by a row lock; returns how many
    jobs this call processed (run or failed). ``stop`` (an Event) ends the pass between jobs."""
    if not has_due_jobs(dbname):
        return 0
    registry = Registry.get(dbname)
    done = []
    while len(done) < MAX_JOBS_PER_PASS and not (stop is not None and stop.is_set()):
        lock_cr = sql_db.cursor(dbname)
        try:
            job = _claim(lock_cr, done)
            if job is None:
                lock_cr.rollback()
                break
            done.append(job['id'])
            registry = _process_job(registry, lock_cr, job)
        finally:
            lock_cr.close()
    return len(done)


def _claim(lock_cr, skip):
    # READ COMMITTED: see the module docstring. SKIP LOCKED: a job another poller runs is not ours.
    lock_cr.execute('SET TRANSACTION ISOLATION LEVEL READ COMMITTED')
    lock_cr.execute(
        'SELECT id, name, user_id, interval_number, interval_type, numbercall, doall, '
        'nextcall, model, function, args, failure_count, '
        "now() at time zone 'UTC' AS now FROM ir_cron WHERE %s AND id <> ALL(%%s) "
        'ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED' % _DUE,
        (list(skip),),
    )
    return lock_cr.dictfetchone()


def _process_job(registry, lock_cr, job):
    """Run ``job`` (claimed on ``lock_cr``) as often as its schedule says, then record the new
    schedule on ``lock_cr`` and commit it, which releases the claim. Returns the registry to use
    next (a job's transaction may have found a newer one)."""
    runs, nextcall, numbercall = schedule(
        job['nextcall'],
        job['now'],
        job['interval_number'],
        job['interval_type'],
        job['numbercall'],
        job['doall'],
    )
    done, failed = 0, False
    for _ in range(runs):
        try:
            registry = _run_once(registry, job)
        except Exception:
            _logger.exception(
                'cron job %r (id %s, %s.%s) failed on %s',
                job['name'],
                job['id'],
                job['model'],
                job['function'],
                registry.dbname,
            )
            failed = True
            break
        done += 1
    if failed:
        # Retried at the next boundary; the failed occurrences do not use up numbercall.
        consumed = done if job['numbercall'] > 0 else 0
        lock_cr.execute(
            'UPDATE ir_cron SET nextcall = %s, numbercall = %s, '
            'failure_count = failure_count + 1 WHERE id = %s',
            (
                next_after(job['nextcall'], job['now'], job['interval_number'], job['interval_type']),
                job['numbercall'] - consumed,
                job['id'],
            ),
        )
    else:
        lock_cr.execute(
            'UPDATE ir_cron SET nextcall = %s, numbercall = %s, active = %s, '
            'lastcall = %s, failure_count = 0 WHERE id = %s',
            (nextcall, numbercall, numbercall != 0, job['now'], job['id']),
        )
        _logger.info(
            'cron job %r (id %s) ran %d time(s) on %s; next at %s',
            job['name'],
            job['id'],
            done,
            registry.dbname,
            nextcall,
        )
    lock_cr.commit()
    return registry


def _run_once(registry, job):
    """Call the job's method once in a transaction of its own; returns the current registry."""
    args = parse_args(job['args'])
    current = [registry]

    def work(cr):
        current[0] = registry.check_signals(cr)
        env = Environment(cr, job['user_id'], {}, current[0])
        if job['model'] not in env:
            raise LookupError('model %s does not exist' % job['model'])
        # Server code: private methods are allowed here, unlike over RPC.
        getattr(env[job['model']], job['function'])(*args)

    sql_db.run_in_transaction(registry.dbname, work)
    return current[0]


# -- the polling loop ----------------------------------------------------------------------------


def all_databases():
    """The databases a poller without ``-d`` visits: the openerp-lite databases (``catalog``) the
    connecting role owns that ``--db-filter`` lets through — never a database of someone else's
    on the same PostgreSQL."""
    return served(catalog.marked_databases(), given=False)


def loaded_databases():
    """The databases this process has a registry for (what a server thread polls without ``-d``,
    as OpenERP's cron threads did: a database is polled once something used it)."""
    return served(sorted(Registry._registries), given=False)


class CronLoop:
    """Polls ``databases()`` every ``interval`` seconds until ``stop`` is set.

    ``databases`` is a callable so that the list can follow the databases created or loaded while
    the loop runs. ``on_pass`` (optional) is called after each pass with the jobs processed.
    """

    def __init__(self, databases, stop=None, interval=None, on_pass=None):
        self.databases = databases
        self.stop = stop or threading.Event()
        self.interval = interval
        self.on_pass = on_pass

    def run_once(self):
        """One pass over every database; returns the number of jobs processed."""
        count = 0
        try:
            names = self.databases()
        except psycopg2.Error as error:
            _logger.warning('cron: cannot list the databases: %s', error)
            return 0
        for dbname in names:
            if self.stop.is_set():
                break
            try:
                count += process_database(dbname, self.stop)
            except psycopg2.OperationalError as error:
                # dropped meanwhile, or the server is restarting: next pass
                _logger.warning(
                    'cron: database %s unavailable: %s',
                    dbname,
                    str(error).strip().splitlines()[0] if str(error) else error,
                )
                sql_db.close_db(dbname)
            except Exception:
                _logger.exception('cron: polling %s failed', dbname)
        if self.on_pass is not None:
            self.on_pass(count)
        return count

    def run(self):
        """Poll until ``stop`` is set. The wait is jittered by up to a tenth of the interval so
        that pollers started together drift apart."""
        while not self.stop.is_set():
            self.run_once()
            interval = self.interval or poll_interval()
            self.stop.wait(interval * random.uniform(0.9, 1.1))


class CronThreads:
    """``count`` daemon threads running :class:`CronLoop` in a one-process server."""

    def __init__(self, count, databases):
        self.count = count
        self.databases = databases
        self.stop_event = threading.Event()
        self.threads = []

    def start(self, *_args):
        for number in range(self.count):
            loop = CronLoop(self.databases, self.stop_event)
            thread = threading.Thread(target=loop.run, name='cron-%d' % number, daemon=True)
            thread.start()
            self.threads.append(thread)
        _logger.info('%d cron thread(s) started', self.count)

    def stop(self, timeout=10):
        """Ask the threads to stop and wait a little for a running job to end (a job cut short by
        the exit is rolled back by PostgreSQL)."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)
        self.threads = []
