"""odooly quick start (pip install odooly). Usage: python with_odooly.py [URL] [DB] [LOGIN] [PASSWORD]"""

import os
import sys

import odooly

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

client = odooly.Client(url, db, login, password)
Partner = client.env['res.partner']
partner = Partner.create({'name': 'Example (odooly)'})
print(partner.id, partner.name, Partner.search([('name', 'like', 'Example')]).ids)
partner.unlink()
print('ok')
