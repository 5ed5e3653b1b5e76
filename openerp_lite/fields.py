"""Public face for addons: ``from openerp_lite import fields``."""

from .orm.fields_base import Field
from .orm.fields_basic import (
    Binary,
    Boolean,
    Char,
    Date,
    Datetime,
    Float,
    Html,
    Image,
    Integer,
    Monetary,
    Selection,
    Text,
)
from .orm.fields_relational import Many2many, Many2one, One2many

__all__ = [
    'Binary',
    'Boolean',
    'Char',
    'Date',
    'Datetime',
    'Field',
    'Float',
    'Html',
    'Image',
    'Integer',
    'Many2many',
    'Many2one',
    'Monetary',
    'One2many',
    'Selection',
    'Text',
]
