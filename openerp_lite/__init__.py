"""openerp-lite: a small OpenERP-compatible ERP server.

Addons import the public face from here: ``from openerp_lite import api, fields, models, exceptions``.
Those submodules are loaded on first access so that importing the package stays cheap and has no
side effects (nothing reads configuration at import time).
"""

import importlib

from . import release

__version__ = release.version

_PUBLIC = ('api', 'fields', 'models', 'exceptions', 'tools', 'expression')


def __getattr__(name):
    if name in _PUBLIC:
        return importlib.import_module('.' + name, __name__)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
