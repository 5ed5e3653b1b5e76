"""erppeek quick start (pip install erppeek). Usage: python with_erppeek.py [URL] [DB] [LOGIN] [PASSWORD]"""

import os
import sys

import erppeek

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'

client = erppeek.Client(url, db, login, password)
Partner = client.model('res.partner')
partner = Partner.create({'name': 'Example (erppeek)'})
print(partner.id, partner.name, Partner.search([('name', 'like', 'Example')]))
partner.unlink()
print('ok')
