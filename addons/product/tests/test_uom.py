from openerp_lite.exceptions import UserError, ValidationError
from openerp_lite.tests import TransactionCase


class TestUom(TransactionCase):
    def setUp(self):
        super().setUp()
        ref = self.env.ref
        self.unit, self.dozen = ref('product.product_uom_unit'), ref('product.product_uom_dozen')
        self.kg, self.gram = ref('product.product_uom_kgm'), ref('product.product_uom_gram')
        self.hour, self.day = ref('product.product_uom_hour'), ref('product.product_uom_day')

    def test_quantities_convert_through_the_reference_unit(self):
        self.assertEqual(self.dozen._compute_quantity(2, self.unit), 24)
        self.assertEqual(self.unit._compute_quantity(6, self.dozen), 0.5)
        self.assertEqual(self.gram._compute_quantity(1500, self.kg), 1.5)
        self.assertEqual(self.day._compute_quantity(3, self.hour), 24)
        self.assertEqual(self.kg._compute_quantity(2.5, self.kg), 2.5)

    def test_converted_quantity_rounded_to_the_target_unit(self):
        self.assertEqual(self.unit._compute_quantity(1, self.dozen), 0.083)
        self.assertAlmostEqual(self.unit._compute_quantity(1, self.dozen, round=False), 1 / 12.0)
        self.assertEqual(self.kg._compute_quantity(0.0004, self.gram), 0.0)
        self.assertEqual(self.kg._compute_quantity(0.0015, self.gram), 2.0)

    def test_prices_convert_the_other_way(self):
        self.assertAlmostEqual(self.kg._compute_price(18.0, self.gram), 0.018)
        self.assertAlmostEqual(self.unit._compute_price(10.0, self.dozen), 120.0)

    def test_units_of_different_categories_do_not_convert(self):
        with self.assertRaises(UserError):
            self.kg._compute_quantity(1, self.unit)
        with self.assertRaises(UserError):
            self.hour._compute_price(1, self.unit)

    def test_one_reference_unit_per_category_with_ratio_one(self):
        category = self.unit.category_id
        with self.assertRaises(ValidationError):
            self.env['product.uom'].create(
                {'name': 'Pair', 'category_id': category.id, 'uom_type': 'reference', 'factor': 1.0}
            )
        with self.assertRaises(ValidationError):
            self.env['product.uom'].create(
                {'name': 'Pair', 'category_id': category.id, 'uom_type': 'bigger', 'factor': 2.0}
            )
        pair = self.env['product.uom'].create(
            {'name': 'Pair', 'category_id': category.id, 'uom_type': 'bigger', 'factor': 0.5}
        )
        self.assertEqual(pair._compute_quantity(3, self.unit), 6)
        self.assertEqual(pair.factor_inv, 2.0)
