"""OdooRPC quick start (pip install odoorpc). Usage: python with_odoorpc.py [URL] [DB] [LOGIN] [PASSWORD]"""

import os
import sys
import urllib.parse

import odoorpc

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

parts = urllib.parse.urlsplit(url)
odoo = odoorpc.ODOO(parts.hostname, port=parts.port or 8069)
odoo.login(db, login, password)
Partner = odoo.env['res.partner']
partner_id = Partner.create({'name': 'Example (odoorpc)'})
print(Partner.browse(partner_id).name, odoo.env.user.name)
Partner.unlink([partner_id])
print('ok')
