"""Public face for addons: ``from openerp_lite import fields``."""

from .orm.fields_base import Field  # noqa: F401
from .orm.fields_basic import (Binary, Boolean, Char, Date, Datetime, Float, Html, Integer,  # noqa: F401
                               Monetary, Selection, Text)
from .orm.fields_relational import Many2many, Many2one, One2many  # noqa: F401
