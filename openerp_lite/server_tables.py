"""The tables the server itself keeps in each of its databases, beside the models' tables.

- ``openerp_lite_signal``: one counter per signal kind, the cross-process cache signals
  (``registry``);
- ``web_session``: web sessions, so a session opened on one process works on every other
  (``service.session``);
- ``auth_failure``: failed password checks per login and source address, the login back-off
  shared by every process (``service.login_guard``).

They are created with the database (``registry.create_database_schema``) and, for a database made
by an earlier version, when a process first loads its registry; never on first use by a request,
so a request can never create anything in a database.
"""

SIGNAL_TABLE = 'openerp_lite_signal'
SESSION_TABLE = 'web_session'
FAILURE_TABLE = 'auth_failure'

SIGNAL_DDL = (
    'CREATE TABLE IF NOT EXISTS %s (kind varchar PRIMARY KEY, version bigint NOT NULL '
    'DEFAULT 0)' % SIGNAL_TABLE
)

SESSION_DDL = """
CREATE TABLE IF NOT EXISTS %s (
    sid_hash   bytea PRIMARY KEY,
    db         varchar NOT NULL,
    uid        integer NOT NULL,
    login      varchar NOT NULL,
    context    text NOT NULL DEFAULT '{}',
    created    timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
    last_seen  timestamp NOT NULL DEFAULT (now() at time zone 'UTC'),
    credential bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS web_session_last_seen_idx ON %s (last_seen);
""" % (SESSION_TABLE, SESSION_TABLE)

#: ``key``: a login (or ``#<uid>`` for a uid that has none); ``source``: the client address
FAILURE_DDL = (
    """
CREATE TABLE IF NOT EXISTS %s (
    key           varchar NOT NULL,
    source        varchar NOT NULL,
    failures      integer NOT NULL,
    last_seen     timestamptz NOT NULL,
    blocked_until timestamptz,
    PRIMARY KEY (key, source)
)
"""
    % FAILURE_TABLE
)

TABLES = ((SIGNAL_TABLE, SIGNAL_DDL), (SESSION_TABLE, SESSION_DDL), (FAILURE_TABLE, FAILURE_DDL))
#: tables of earlier versions that these replace
OBSOLETE = ('login_failure',)


def missing(cr):
    """Names of the server tables the database of ``cr`` lacks (one read-only query)."""
    cr.execute(
        'SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL',
        ([name for name, _ddl in TABLES],),
    )
    return [row[0] for row in cr.fetchall()]


def ensure(cr, signal_rows):
    """Create what is missing of the server tables, and the counter rows ``signal_rows``.

    Only reads when everything is there (a process loading a registry, a standby); concurrent
    creators are serialised by an advisory lock held until the transaction ends.
    """
    absent = missing(cr)
    if absent:
        cr.execute("SELECT pg_advisory_xact_lock(hashtext('openerp_lite.server_tables'))")
        for name, ddl in TABLES:
            if name in absent:
                cr.execute(ddl)
        for name in OBSOLETE:
            cr.execute('DROP TABLE IF EXISTS "%s"' % name)
    cr.execute('SELECT count(*) FROM %s WHERE kind = ANY(%%s)' % SIGNAL_TABLE, (list(signal_rows),))
    if cr.fetchone()[0] < len(signal_rows):
        cr.execute(
            'INSERT INTO %s (kind) SELECT unnest(%%s::varchar[]) ON CONFLICT DO NOTHING' % SIGNAL_TABLE,
            (list(signal_rows),),
        )
