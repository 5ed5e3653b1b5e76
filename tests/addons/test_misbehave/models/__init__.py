from . import misbehave  # noqa: F401
