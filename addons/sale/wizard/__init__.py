from . import sale_confirm_wizard  # noqa: F401
