from . import product_uom, product_category, product
