"""Public face for addons: ``from openerp_lite import models``."""

from .orm.models import AbstractModel, BaseModel, Model, TransientModel  # noqa: F401
