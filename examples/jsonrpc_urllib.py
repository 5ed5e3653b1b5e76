"""Raw JSON-RPC with urllib only: POST /jsonrpc with Odoo's "call" envelope.

Usage: python jsonrpc_urllib.py [URL] [DB] [LOGIN] [PASSWORD]
(defaults: http://127.0.0.1:8069, $OPENERP_DB or "demo", admin, admin).
"""

import itertools
import json
import os
import sys
import urllib.request

url, db, login, password = (sys.argv[1:] + [None] * 4)[:4]
url = url or 'http://127.0.0.1:8069'
db = db or os.environ.get('OPENERP_DB', 'demo')
login, password = login or 'admin', password or 'admin'
_ids = itertools.count(1)


def call(service, method, *args):
    """One JSON-RPC call; a server error raises RuntimeError with the server's message."""
    payload = {
        'jsonrpc': '2.0',
        'method': 'call',
        'id': next(_ids),
        'params': {'service': service, 'method': method, 'args': list(args)},
    }
    request = urllib.request.Request(
        url + '/jsonrpc', json.dumps(payload).encode(), {'Content-Type': 'application/json'}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = json.load(response)
    if 'error' in reply:
        raise RuntimeError(reply['error']['data']['message'])
    return reply['result']


print('server', call('common', 'version')['server_version'])
uid = call('common', 'login', db, login, password)
if not uid:
    sys.exit('wrong login or password')
partner_id = call(
    'object', 'execute_kw', db, uid, password, 'res.partner', 'create', [{'name': 'Example (JSON-RPC)'}]
)
print(call('object', 'execute_kw', db, uid, password, 'res.partner', 'read', [[partner_id], ['name']]))
call('object', 'execute_kw', db, uid, password, 'res.partner', 'unlink', [[partner_id]])
try:
    call('object', 'execute_kw', db, uid, password, 'no.such.model', 'search', [[]])
except RuntimeError as error:
    print('refused as expected:', error)
print('ok')
