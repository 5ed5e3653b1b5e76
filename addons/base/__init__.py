"""The base module: kernel models every database has."""

from . import models  # noqa: F401
from .models.res_users import bootstrap_superuser  # noqa: F401
