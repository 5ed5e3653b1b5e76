from . import item  # noqa: F401
