from openerp_lite.exceptions import AccessError, ValidationError
from openerp_lite.tests import TransactionCase


class TestProduct(TransactionCase):
    def setUp(self):
        super().setUp()
        self.products = self.env['product.product']
        self.office = self.env['product.category'].create(
            {'name': 'Test Office', 'parent_id': self.env.ref('product.product_category_saleable').id}
        )

    def test_defaults_category_all_unit_and_saleable(self):
        product = self.products.create({'name': 'Stapler'})
        self.assertEqual(product.categ_id, self.env.ref('product.product_category_all'))
        self.assertEqual(product.uom_id, self.env.ref('product.product_uom_unit'))
        self.assertTrue(product.sale_ok and product.active)
        self.assertEqual(product.list_price, 1.0)

    def test_prices_rounded_to_the_product_price_precision(self):
        self.assertEqual(self.env['decimal.precision'].precision_get('Product Price'), 2)
        product = self.products.create({'name': 'Pen', 'list_price': 1.23456})
        self.env.invalidate_all()
        self.assertEqual(product.read(['list_price'])[0]['list_price'], 1.23)

    def test_negative_prices_refused(self):
        with self.assertRaises(ValidationError):
            self.products.create({'name': 'Gift', 'list_price': -1.0})

    def test_display_name_and_search_by_internal_reference(self):
        product = self.products.create({'name': 'Lamp', 'default_code': 'TST-LAMP'})
        self.assertEqual(product.name_get(), [(product.id, '[TST-LAMP] Lamp')])
        found = self.products.name_search('tst-lamp')
        self.assertEqual([pid for pid, _name in found], [product.id])
        self.assertEqual([pid for pid, _name in self.products.name_search('Lamp')], [product.id])

    def test_category_tree_names_counts_and_no_cycles(self):
        child = self.env['product.category'].create({'name': 'Paper', 'parent_id': self.office.id})
        self.assertEqual(child.complete_name, 'All / Saleable / Test Office / Paper')
        self.products.create({'name': 'A4', 'categ_id': child.id})
        self.products.create({'name': 'Desk', 'categ_id': self.office.id})
        self.assertEqual(self.office.product_count, 2)
        in_tree = self.products.search([('categ_id', 'child_of', self.office.id)])
        self.assertEqual(sorted(in_tree.mapped('name')), ['A4', 'Desk'])
        with self.assertRaises(ValidationError):
            self.office.write({'parent_id': child.id})

    def test_archived_products_hidden_from_search(self):
        product = self.products.create({'name': 'Old', 'default_code': 'TST-OLD', 'active': False})
        self.assertFalse(self.products.search([('default_code', '=', 'TST-OLD')]))
        self.assertEqual(
            self.products.with_context(active_test=False).search([('default_code', '=', 'TST-OLD')]), product
        )

    def test_users_read_products_managers_maintain_them(self):
        users = self.env['res.users']
        clerk = users.create(
            {
                'name': 'Clerk',
                'login': 'test_product_clerk',
                'groups_id': [(6, 0, [self.env.ref('base.group_user').id])],
            }
        )
        manager = users.create(
            {
                'name': 'Buyer',
                'login': 'test_product_manager',
                'groups_id': [(6, 0, [self.env.ref('product.group_product_manager').id])],
            }
        )
        as_clerk = self.env(user=clerk.id)['product.product']
        self.assertTrue(as_clerk.search([]))
        with self.assertRaises(AccessError):
            as_clerk.create({'name': 'Not allowed'})
        as_manager = self.env(user=manager.id)['product.product']
        created = as_manager.create({'name': 'Allowed', 'categ_id': self.office.id})
        created.write({'list_price': 5.0})
        self.assertEqual(created.list_price, 5.0)
