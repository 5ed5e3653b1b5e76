"""The HTTP layer: one WSGI callable serving XML-RPC, JSON-RPC and operational routes.

``application`` is what every server adapter (and ``gunicorn openerp_lite.http:application``)
serves; ``setup(options)`` installs the settings it uses. The codecs (:mod:`.xmlrpc`,
:mod:`.jsonrpc`) and the error table (:mod:`.errors`) know nothing about sockets or services.
"""

from .wsgi import application, setup

__all__ = ['application', 'setup']
