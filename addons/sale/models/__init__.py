from . import sale_order, sale_order_line  # noqa: F401
