"""Public face for addons: ``from openerp_lite import api``."""

from .orm.api import (constrains, depends, model, model_create_multi, multi, onchange, one,  # noqa: F401
                      private, returns)
from .orm.environment import Environment  # noqa: F401
