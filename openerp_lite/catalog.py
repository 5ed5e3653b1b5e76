"""Which databases of the PostgreSQL cluster are openerp-lite's, known without connecting to them.

A database name can come from the wire (an RPC argument, a session id, a Host header). Opening a
connection to it is already touching it, so the server must know it is one of its own first. Each
database openerp-lite creates (or adopts with ``openerp-server -d DB``) carries the comment
:data:`MARK` (``COMMENT ON DATABASE``), which lives in the cluster's shared catalog: any
connection to the maintenance database reads it, and so does an operator in ``psql -l+``. A copy
made with ``CREATE DATABASE ... TEMPLATE`` or restored from a dump does not inherit the comment, so
the db service marks those itself.
"""

from psycopg2 import sql

from . import sql_db

MARK = 'openerp-lite'

_MARKED = (
    'SELECT d.datname FROM pg_database d WHERE d.datallowconn AND NOT d.datistemplate '
    "AND shobj_description(d.oid, 'pg_database') = %s"
)


def is_marked(dbname):
    """True when ``dbname`` exists and carries the openerp-lite mark (one catalog query)."""
    rows = sql_db.admin_query(_MARKED + ' AND d.datname = %s', (MARK, dbname))
    return bool(rows)


def marked_databases(owned_only=True):
    """Names of the marked databases, sorted; ``owned_only``: only those the connecting role
    owns (the ones it can drop, rename and dump)."""
    query = _MARKED
    if owned_only:
        query += ' AND d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)'
    return [name for (name,) in sql_db.admin_query(query + ' ORDER BY d.datname', (MARK,))]


def mark(dbname):
    """Mark ``dbname`` as an openerp-lite database (the connecting role must own it)."""
    sql_db.admin_query(
        sql.SQL('COMMENT ON DATABASE {} IS {}').format(sql.Identifier(dbname), sql.Literal(MARK))
    )
