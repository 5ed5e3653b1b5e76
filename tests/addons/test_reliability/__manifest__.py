{
    'name': 'Reliability test models (test only)',
    'version': '1.0',
    'summary': 'Multi-row writes that can be interrupted, a contended counter, numbered documents, '
    'a method that loses every race, and records split between two teams by record '
    'rules: the subjects of tests/reliability.',
    'category': 'Hidden',
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [
        'security/test_reliability_security.xml',
        'security/ir.model.access.csv',
    ],
    'installable': True,
    'auto_install': False,
}
