from . import product, product_category, product_uom  # noqa: F401
