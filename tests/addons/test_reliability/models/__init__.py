from . import faults, teams  # noqa: F401
