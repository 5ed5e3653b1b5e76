"""OpenERP 6.1/7.0-style script: stdlib xmlrpc.client on /xmlrpc/<service>, object.execute.

Usage: python xmlrpc_openerp7.py [URL] [DB] [LOGIN] [PASSWORD]
(defaults: http://127.0.0.1:8069, $OPENERP_DB or "demo", admin, admin).
"""

import os
import sys
import xmlrpc.client

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

common = xmlrpc.client.ServerProxy(url + '/xmlrpc/common', allow_none=True)
uid = common.login(db, login, password)
if not uid:
    sys.exit('wrong login or password')
sock = xmlrpc.client.ServerProxy(url + '/xmlrpc/object', allow_none=True)

partner_id = sock.execute(db, uid, password, 'res.partner', 'create', {'name': 'Example (OpenERP 7)'})
ids = sock.execute(db, uid, password, 'res.partner', 'search', [('name', 'like', 'Example')])
for row in sock.execute(db, uid, password, 'res.partner', 'read', ids, ['name']):
    print(row['id'], row['name'])
sock.execute(db, uid, password, 'res.partner', 'write', [partner_id], {'city': 'Liege'})
sock.execute(db, uid, password, 'res.partner', 'unlink', [partner_id])
print('ok')
