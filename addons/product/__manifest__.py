{
    'name': 'Products',
    'version': '1.0',
    'summary': 'Products, product categories and units of measure with conversions',
    'description': """
Products
========

* products with an internal reference, a sales price and a cost;
* a tree of product categories;
* units of measure grouped in categories (Unit, Weight, Length, Working time), each defined by
  its ratio to the reference unit of its category, with conversion of quantities and prices;
* the decimal precisions "Product Price" and "Product Unit of Measure".

Every internal user reads products; the "Products / Manager" group maintains them.
""",
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'category': 'Sales',
    'depends': ['base'],
    'data': [
        'security/product_security.xml',
        'security/ir.model.access.csv',
        'data/product_data.xml',
    ],
    'demo': ['data/product_demo.xml'],
    'installable': True,
    'auto_install': False,
}
