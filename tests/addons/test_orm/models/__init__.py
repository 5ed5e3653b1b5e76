from . import counter, partner, record  # noqa: F401
