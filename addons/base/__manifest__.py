{
    'name': 'Base',
    'version': '1.0',
    'summary': 'The kernel of openerp-lite: users, groups, partners, companies, access control, '
    'reflection of models, modules, sequences, configuration parameters and cron jobs.',
    'category': 'Hidden',
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'depends': [],
    'data': [
        'data/base_groups.xml',
        'data/res_lang_data.xml',
        'data/base_data.xml',
        'data/res_partner_data.xml',
        'data/ir_cron_data.xml',
        'security/ir.model.access.csv',
    ],
    'demo': ['data/base_demo.xml'],
    'pre_init_hook': 'bootstrap_superuser',
    'installable': True,
    'auto_install': False,
}
