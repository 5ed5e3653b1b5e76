{
    'name': 'Stateless mode: module installed on one server, used on another',
    'depends': ['base'],
    'data': ['security/ir.model.access.csv'],
    'installable': True,
}
