{
    'name': 'Stateless mode test models',
    'summary': 'Models the cross-process coherence tests change on one server and read on another.',
    'depends': ['base'],
    'data': ['security/ir.model.access.csv', 'data.xml'],
    'installable': True,
}
