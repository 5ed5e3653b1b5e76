{
    'name': 'Misbehaving requests (test only)',
    'version': '1.0',
    'summary': 'Public methods that loop on the CPU, allocate memory, sleep or fail, so the '
    'server limits are exercised through the real RPC path.',
    'category': 'Hidden',
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [
        'security/ir.model.access.csv',
    ],
    'installable': True,
    'auto_install': False,
}
