"""Public face for addons: ``from openerp_lite import api``."""

from .orm.api import constrains, depends, model, model_create_multi, multi, onchange, one, private, returns
from .orm.environment import Environment
from .orm.rpc import rpc

__all__ = [
    'Environment',
    'constrains',
    'depends',
    'model',
    'model_create_multi',
    'multi',
    'onchange',
    'one',
    'private',
    'returns',
    'rpc',
]
