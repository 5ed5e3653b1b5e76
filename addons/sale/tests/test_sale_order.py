from openerp_lite.exceptions import UserError, ValidationError

from .common import SaleCase


class TestSaleOrder(SaleCase):
    def test_name_from_the_sequence_and_salesperson_is_the_creator(self):
        first = self.make_order(user=self.salesman)
        second = self.make_order(user=self.salesman)
        self.assertTrue(first.name.startswith('SO') and second.name.startswith('SO'))
        self.assertNotEqual(first.name, second.name)
        self.assertEqual(first.user_id, self.salesman)
        self.assertEqual(first.state, 'draft')

    def test_lines_take_price_description_and_unit_from_the_product(self):
        order = self.make_order()
        desk_line = order.order_line.filtered(lambda line: line.product_id == self.desk)
        self.assertEqual(desk_line.price_unit, 200.0)
        self.assertEqual(desk_line.product_uom, self.env.ref('product.product_uom_unit'))
        self.assertEqual(desk_line.name, 'Test Desk')
        hours_line = order.order_line.filtered(lambda line: line.product_id == self.hours)
        self.assertEqual(hours_line.product_uom, self.env.ref('product.product_uom_hour'))

    def test_price_given_is_kept_and_price_follows_the_unit_of_the_line(self):
        order = self.make_order(lines=[])
        lines = self.env['sale.order.line']
        special = lines.create({'order_id': order.id, 'product_id': self.desk.id, 'price_unit': 150.0})
        dozen = lines.create(
            {
                'order_id': order.id,
                'product_id': self.chair.id,
                'product_uom': self.env.ref('product.product_uom_dozen').id,
            }
        )
        self.assertEqual(special.price_unit, 150.0)
        self.assertEqual(dozen.price_unit, 600.0)
        self.assertEqual(order.amount_total, 750.0)

    def test_subtotals_and_totals_follow_quantities_prices_and_discounts(self):
        order = self.make_order()
        self.assertEqual(sorted(order.order_line.mapped('price_subtotal')), [80.0, 200.0, 200.0])
        self.assertEqual(order.amount_untaxed, 480.0)
        self.assertEqual(order.amount_total, 480.0)
        chair_line = order.order_line.filtered(lambda line: line.product_id == self.chair)
        chair_line.write({'discount': 12.5})
        self.assertEqual(chair_line.price_subtotal, 175.0)
        self.assertEqual(order.amount_total, 455.0)
        chair_line.unlink()
        self.assertEqual(order.amount_total, 280.0)
        self.env['sale.order.line'].create(
            {'order_id': order.id, 'product_id': self.chair.id, 'product_uom_qty': 1, 'price_unit': 33.33}
        )
        self.assertEqual(order.amount_total, 313.33)

    def test_line_checks_discount_quantity_and_unit_category(self):
        order = self.make_order(lines=[])
        lines = self.env['sale.order.line']
        with self.assertRaises(ValidationError):
            lines.create({'order_id': order.id, 'product_id': self.desk.id, 'discount': 120.0})
        with self.assertRaises(ValidationError):
            lines.create({'order_id': order.id, 'product_id': self.desk.id, 'product_uom_qty': -1})
        with self.assertRaises(ValidationError):
            lines.create(
                {
                    'order_id': order.id,
                    'product_id': self.desk.id,
                    'product_uom': self.env.ref('product.product_uom_kgm').id,
                }
            )
        self.assertFalse(order.order_line)

    def test_life_cycle(self):
        order = self.make_order()
        self.assertTrue(order.action_confirm())
        self.assertEqual(order.state, 'sale')
        self.assertTrue(order.confirmation_date)
        with self.assertRaises(UserError):
            order.action_confirm()
        order.action_done()
        self.assertEqual(order.state, 'done')
        with self.assertRaises(UserError):
            order.action_cancel()
        with self.assertRaises(UserError):
            order.order_line[0].write({'product_uom_qty': 10})
        with self.assertRaises(UserError):
            order.unlink()

    def test_cancel_and_back_to_quotation(self):
        order = self.make_order()
        with self.assertRaises(UserError):
            order.action_done()
        order.action_confirm()
        order.action_cancel()
        self.assertEqual(order.state, 'cancel')
        order.action_draft()
        self.assertEqual((order.state, order.confirmation_date), ('draft', False))
        order.action_confirm()
        self.assertEqual(order.state, 'sale')

    def test_order_without_lines_cannot_be_confirmed(self):
        order = self.make_order(lines=[])
        with self.assertRaises(UserError):
            order.action_confirm()
        self.assertEqual(order.state, 'draft')

    def test_status_changes_only_through_the_actions(self):
        order = self.make_order(user=self.salesman)
        as_salesman = self.env(user=self.salesman.id)['sale.order'].browse(order.id)
        with self.assertRaises(UserError):
            as_salesman.write({'state': 'done'})
        with self.assertRaises(UserError):
            self.env(user=self.salesman.id)['sale.order'].create(
                {'partner_id': self.customer.id, 'state': 'sale'}
            )
        as_salesman.action_confirm()
        self.assertEqual(order.state, 'sale')

    def test_only_quotations_and_cancelled_orders_are_deleted(self):
        draft = self.make_order()
        confirmed = self.make_order()
        confirmed.action_confirm()
        with self.assertRaises(UserError):
            confirmed.unlink()
        line_ids = draft.order_line.ids
        draft.unlink()
        self.assertFalse(self.env['sale.order.line'].browse(line_ids).exists())

    def test_copy_gets_a_new_name_and_starts_as_quotation(self):
        order = self.make_order()
        order.action_confirm()
        duplicate = order.copy()
        self.assertNotEqual(duplicate.name, order.name)
        self.assertEqual(duplicate.state, 'draft')
        self.assertEqual(len(duplicate.order_line), 3)
        self.assertEqual(duplicate.amount_total, order.amount_total)
