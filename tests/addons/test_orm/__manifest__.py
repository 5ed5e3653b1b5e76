{
    'name': 'ORM test models',
    'version': '1.0',
    'summary': 'Test-only models declaring every field type, computed and related fields, '
    'constraints, record rules and an extension of res.partner.',
    'category': 'Hidden',
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [
        'data/test_orm_data.xml',
        'security/ir.model.access.csv',
        'security/test_orm_rules.xml',
    ],
    'installable': True,
    'auto_install': False,
}
