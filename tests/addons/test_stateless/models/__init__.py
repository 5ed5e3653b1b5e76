from . import item, probe  # noqa: F401
