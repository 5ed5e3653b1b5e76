"""The floors: the least a server on this stack could do for a request, under the same Gunicorn
settings as ``openerp-server --workers N``.

* ``hello``: a bare WSGI application answering a fixed body (the HTTP floor, for ``version``);
* ``read``: decodes the same XML-RPC ``read1`` request, runs one parameterised ``SELECT`` by primary
  key through :mod:`openerp_lite.sql_db`'s pool, encodes the reply (the floor for ``read1``: no
  ORM, no access check, no signal check).

Run as ``python -m openerp_lite.bench.floor hello|read [openerp-server options]``; the bench does it.
"""

import sys
import xmlrpc.client

import server_adapters
from server_adapters import gunicorn as gunicorn_adapter

from .. import sql_db
from ..tools import config

READ_QUERY = 'SELECT name, email, city FROM res_partner WHERE id = %s'


def hello_app(environ, start_response):
    """Read the request body, answer a fixed XML-RPC reply."""
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if length:
        environ['wsgi.input'].read(length)
    body = (
        b'<?xml version="1.0"?><methodResponse><params><param><value><string>hello</string>'
        b'</value></param></params></methodResponse>'
    )
    start_response('200 OK', [('Content-Type', 'text/xml'), ('Content-Length', str(len(body)))])
    return [body]


class ReadFloor:
    """The minimal ``read1``: XML-RPC decode, one SELECT by id, XML-RPC encode."""

    def __init__(self, dbname):
        self.dbname = dbname

    def __call__(self, environ, start_response):
        if environ['REQUEST_METHOD'] != 'POST':
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'read floor']
        length = int(environ.get('CONTENT_LENGTH') or 0)
        params, _method = xmlrpc.client.loads(environ['wsgi.input'].read(length))
        record_id = params[5][0][0]  # execute_kw(db, uid, password, model, 'read', [[id]], {...})
        with sql_db.cursor(self.dbname) as cr:
            cr.execute(READ_QUERY, (record_id,))
            row = cr.fetchone()
        record = {'id': record_id, 'name': row[0], 'email': row[1] or False, 'city': row[2] or False}
        body = xmlrpc.client.dumps(([record],), methodresponse=True, allow_none=True).encode()
        start_response('200 OK', [('Content-Type', 'text/xml'), ('Content-Length', str(len(body)))])
        return [body]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ('hello', 'read'):
        print(
            'usage: python -m openerp_lite.bench.floor hello|read [openerp-server options]', file=sys.stderr
        )
        return 2
    which = argv.pop(0)
    options = config.parse(argv + ['--limit-request', '0'], environ={})
    sql_db.configure(
        host=options.db_host,
        port=options.db_port,
        user=options.db_user,
        password=options.db_password,
        maxconn=options.db_maxconn,
    )
    hooks = server_adapters.Hooks(pre_fork=lambda *_worker: sql_db.close_all())
    settings = gunicorn_adapter.settings(options, hooks)
    settings['proc_name'] = 'openerp-lite-floor-%s' % which
    app = hello_app if which == 'hello' else ReadFloor(options.db_name)
    gunicorn_adapter.Application(app, settings).run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
