"""The cross-process signal protocol: counters in PostgreSQL that say what changed.

Each database has a small table (``server_tables.SIGNAL_TABLE``) with one counter per signal
kind: ``registry`` (the installed modules) and one per cache kind. A transaction that changes one
of them bumps its counter *inside* the transaction, as its last statement, sent with its
``COMMIT`` (:func:`bump_at_commit`), so the commit publishes the data and the signal together: a
process that dies at any point leaves both or neither. Two transactions bumping the same counter
conflict on its row like any concurrent update, and the loser is retried; bumping in the commit
round trip holds that row for as short a time as possible.

A process compares the counters with the versions it knows, in the snapshot its call reads its
data in: with one query (:func:`read`), or with a guard sent with the ``COMMIT`` that refuses it
when they differ (:func:`guard`). The versions include the database's *identity*, its
``pg_database`` oid: a database dropped and created again (a restore) under the same name has a
new one, whatever its counters say.

This module is only the protocol, on a cursor; what to do about a change (reload, clear) is the
registry's business.
"""

import random

from . import server_tables

TABLE = server_tables.SIGNAL_TABLE
#: the key of the versions dict holding the database's identity (not a counter row)
IDENTITY = 'identity'

#: rows per counter: a kind's counter is the sum of its rows, and a transaction bumps one of
#: them chosen at random, so that concurrent changes of one kind seldom wait for each other's
#: commit on a single row (rows ``kind``, ``kind#1`` ... ``kind#7``)
SHARDS = 8

_READ = (
    "SELECT split_part(kind, '#', 1), sum(version)::bigint FROM %s GROUP BY 1 "
    'UNION ALL SELECT %%s, oid::bigint FROM pg_database WHERE datname = current_database()' % TABLE
)

# Counters only grow, and a process never knows a counter above the database's: the sums are
# equal exactly when every counter is. A mismatch casts a word to int, the SQLSTATE
# sql_db.GUARD_FAILED, which refuses the commit.
_GUARD = (
    'SELECT (CASE WHEN (SELECT sum(version) FROM %s) = %%s AND (SELECT oid::bigint FROM '
    "pg_database WHERE datname = current_database()) = %%s THEN '0' "
    "ELSE 'stale signals' END)::int" % TABLE
)

# the main query sees the table as it was before the CTE's update: its sum plus the row bumped
_BUMP = (
    'WITH bumped AS (UPDATE %s SET version = version + 1 WHERE kind = %%s RETURNING 1) '
    'SELECT sum(version)::bigint + (SELECT count(*) FROM bumped) FROM %s '
    "WHERE split_part(kind, '#', 1) = %%s" % (TABLE, TABLE)
)
_BUMP_AT_COMMIT = 'UPDATE %s SET version = version + 1 WHERE kind = ANY(%%s::varchar[])' % TABLE


def rows(kinds):
    """The names of the counter rows of ``kinds``."""
    return [_row(kind, shard) for kind in kinds for shard in range(SHARDS)]


def _row(kind, shard):
    return kind if shard == 0 else '%s#%d' % (kind, shard)


def read(cr, kinds):
    """``{kind: counter, IDENTITY: oid}`` for ``kinds``, in one round trip."""
    cr.execute(_READ, (IDENTITY,))
    versions = dict.fromkeys(kinds, 0)
    versions.update(cr.fetchall())
    return versions


def bump(cr, kind):
    """Add one to the counter of ``kind`` in the transaction of ``cr``; returns its new value.
    The row stays locked until that transaction ends."""
    cr.execute(_BUMP, (_row(kind, random.randrange(SHARDS)), kind))
    row = cr.fetchone()
    return row[0] if row else None


def bump_at_commit(cr, kinds):
    """Add one to the counters of ``kinds`` (a set the transaction may still grow) as the last
    statement of the transaction of ``cr``, in its ``COMMIT`` round trip: part of the
    transaction, but holding the counter rows' locks only for that round trip."""
    shard = random.randrange(SHARDS)
    cr.at_commit(_BUMP_AT_COMMIT, lambda: ([_row(kind, shard) for kind in sorted(kinds)],))


def guard(cr, expected, kinds, own_bumps):
    """Make the ``COMMIT`` of ``cr`` refuse when the counters of ``kinds`` or the identity differ
    from ``expected``; ``own_bumps()`` is how many counters the transaction bumped itself (read at
    commit time)."""
    total = sum(expected.get(kind, 0) for kind in kinds)
    cr.guard_commit(_GUARD, lambda: (total + own_bumps(), expected.get(IDENTITY)))


def same(versions, known, kinds):
    """Whether ``versions`` read from the database match ``known`` (counters and identity)."""
    return all(versions.get(kind, 0) == known.get(kind, 0) for kind in kinds) and versions.get(
        IDENTITY
    ) == known.get(IDENTITY)
