from openerp_lite.exceptions import AccessError, UserError

from .common import SaleCase


class TestSaleAccess(SaleCase):
    def test_salesman_sees_and_changes_only_own_orders(self):
        mine = self.make_order(user=self.salesman)
        theirs = self.make_order(user=self.other_salesman)
        as_me = self.env(user=self.salesman.id)['sale.order']
        visible = as_me.search([('id', 'in', [mine.id, theirs.id])])
        self.assertEqual(visible.ids, [mine.id])
        lines = self.env(user=self.salesman.id)['sale.order.line'].search(
            [('order_id', 'in', [mine.id, theirs.id])]
        )
        self.assertEqual(set(lines.ids), set(mine.order_line.ids))
        with self.assertRaises(AccessError):
            as_me.browse(theirs.id).action_confirm()
        with self.assertRaises(AccessError):
            as_me.browse(theirs.id).write({'note': 'mine now'})
        self.assertEqual(theirs.state, 'draft')
        as_me.browse(mine.id).action_confirm()
        self.assertEqual(mine.state, 'sale')

    def test_manager_sees_and_confirms_every_order(self):
        theirs = self.make_order(user=self.other_salesman)
        as_manager = self.env(user=self.manager.id)['sale.order']
        self.assertIn(theirs.id, as_manager.search([]).ids)
        as_manager.browse(theirs.id).action_confirm()
        self.assertEqual(theirs.state, 'sale')

    def test_plain_employee_has_no_access_to_orders(self):
        employee = self.env['res.users'].create(
            {
                'name': 'Employee',
                'login': 'test_sale_employee',
                'groups_id': [(6, 0, [self.env.ref('base.group_user').id])],
            }
        )
        with self.assertRaises(AccessError):
            self.env(user=employee.id)['sale.order'].search([])


class TestConfirmWizard(SaleCase):
    def test_wizard_confirms_several_quotations(self):
        orders = self.make_order(user=self.salesman) | self.make_order(user=self.salesman)
        wizards = self.env(user=self.salesman.id)['sale.confirm.wizard']
        wizard = wizards.create({'order_ids': [(6, 0, orders.ids)]})
        self.assertEqual(sorted(wizard.action_apply()), sorted(orders.ids))
        self.assertEqual(set(orders.mapped('state')), {'sale'})
        self.assertEqual(wizard.confirmed_count, 2)

    def test_wizard_refuses_or_skips_what_cannot_be_confirmed(self):
        good = self.make_order(user=self.salesman)
        empty = self.make_order(user=self.salesman, lines=[])
        wizards = self.env(user=self.salesman.id)['sale.confirm.wizard']
        strict = wizards.create({'order_ids': [(6, 0, [good.id, empty.id])]})
        with self.assertRaises(UserError):
            strict.action_apply()
        self.assertEqual(good.state, 'draft')
        lenient = wizards.create({'order_ids': [(6, 0, [good.id, empty.id])], 'skip_invalid': True})
        self.assertEqual(lenient.action_apply(), [good.id])
        self.assertEqual((good.state, empty.state), ('sale', 'draft'))

    def test_wizard_cannot_reach_another_salesman_s_orders(self):
        theirs = self.make_order(user=self.other_salesman)
        wizards = self.env(user=self.salesman.id)['sale.confirm.wizard']
        # the order is invisible to the wizard's user: nothing to confirm
        with self.assertRaises((AccessError, UserError)):
            wizards.create({'order_ids': [(6, 0, [theirs.id])]}).action_apply()
        self.assertEqual(theirs.state, 'draft')
