"""odoo-client-lib quick start (pip install odoo-client-lib).
Usage: python with_odoolib.py [URL] [DB] [LOGIN] [PASSWORD]"""

import os
import sys
import urllib.parse

import odoolib

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

parts = urllib.parse.urlsplit(url)
conn = odoolib.get_connection(
    hostname=parts.hostname, port=parts.port or 8069, database=db, login=login, password=password
)
partners = conn.get_model('res.partner')
partner_id = partners.create({'name': 'Example (odoolib)'})
print(partners.read(partner_id, ['name']))
partners.unlink([partner_id])
print('ok')
