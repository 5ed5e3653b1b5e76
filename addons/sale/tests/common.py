from openerp_lite.tests import TransactionCase


class SaleCase(TransactionCase):
    """Two salespeople, a manager, a customer and three products."""

    def setUp(self):
        super().setUp()
        ref = self.env.ref
        users = self.env['res.users']
        self.salesman = users.create(
            {
                'name': 'Test Salesman',
                'login': 'test_sale_salesman',
                'groups_id': [(6, 0, [ref('sale.group_sale_salesman').id])],
            }
        )
        self.other_salesman = users.create(
            {
                'name': 'Other Salesman',
                'login': 'test_sale_other',
                'groups_id': [(6, 0, [ref('sale.group_sale_salesman').id])],
            }
        )
        self.manager = users.create(
            {
                'name': 'Test Sales Manager',
                'login': 'test_sale_manager',
                'groups_id': [(6, 0, [ref('sale.group_sale_manager').id])],
            }
        )
        self.customer = self.env['res.partner'].create({'name': 'Test Customer'})
        products = self.env['product.product']
        self.desk = products.create({'name': 'Test Desk', 'list_price': 200.0})
        self.chair = products.create({'name': 'Test Chair', 'list_price': 50.0})
        self.hours = products.create(
            {
                'name': 'Test Assembly',
                'list_price': 40.0,
                'type': 'service',
                'uom_id': ref('product.product_uom_hour').id,
            }
        )

    def make_order(self, user=None, lines=None):
        env = self.env(user=user.id) if user else self.env
        if lines is None:
            lines = [(self.desk, 1), (self.chair, 4), (self.hours, 2)]
        return env['sale.order'].create(
            {
                'partner_id': self.customer.id,
                'order_line': [
                    (0, 0, {'product_id': product.id, 'product_uom_qty': qty}) for product, qty in lines
                ],
            }
        )
