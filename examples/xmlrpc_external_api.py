"""The Odoo external-API style: stdlib xmlrpc.client on /xmlrpc/2/<service>, execute_kw.

Usage: python xmlrpc_external_api.py [URL] [DB] [LOGIN] [PASSWORD]
(defaults: http://127.0.0.1:8069, $OPENERP_DB or "demo", admin, admin).
"""

import os
import sys
import xmlrpc.client

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

common = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/common')
print('server', common.version()['server_version'])
uid = common.authenticate(db, login, password, {})
if not uid:
    sys.exit('wrong login or password')
models = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/object')

partner_id = models.execute_kw(db, uid, password, 'res.partner', 'create', [{'name': 'Example (xmlrpc/2)'}])
rows = models.execute_kw(
    db,
    uid,
    password,
    'res.partner',
    'search_read',
    [[['id', '=', partner_id]]],
    {'fields': ['name'], 'limit': 5},
)
print(rows)
models.execute_kw(db, uid, password, 'res.partner', 'write', [[partner_id], {'city': 'Namur'}])
fields = models.execute_kw(
    db, uid, password, 'res.partner', 'fields_get', [], {'attributes': ['string', 'type']}
)
print(len(fields), 'fields on res.partner')
models.execute_kw(db, uid, password, 'res.partner', 'unlink', [[partner_id]])
print('ok')
