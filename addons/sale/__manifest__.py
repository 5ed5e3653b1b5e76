{
    'name': 'Sales',
    'version': '1.0',
    'summary': 'Quotations and sale orders: lines, totals, confirmation, salespeople and managers',
    'description': """
Sales
=====

* sale orders numbered by the ``sale.order`` sequence (SO001, SO002, ...), for a customer, with
  lines of products, quantities in a unit of measure, unit prices (the product's sales price by
  default) and discounts; stored subtotals and totals;
* a life cycle enforced by the server: Quotation -> Sales Order -> Done, or Cancelled
  (``action_confirm``, ``action_done``, ``action_cancel``, ``action_draft``);
* "Sales / User: Own Documents Only" sees and edits the orders they are the salesperson of,
  "Sales / Manager" sees them all;
* a wizard confirming several quotations at once.

Prices are untaxed: this module has no taxes, so the total equals the untaxed amount.
""",
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'category': 'Sales',
    'depends': ['product'],
    'data': [
        'security/sale_security.xml',
        'security/ir.model.access.csv',
        'data/sale_data.xml',
    ],
    'demo': ['data/sale_demo.xml'],
    'installable': True,
    'auto_install': False,
    'application': True,
}
