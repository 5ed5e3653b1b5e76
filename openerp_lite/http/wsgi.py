"""The WSGI callable: the settings it serves with, the proxy headers, and dispatch through the
route table (:mod:`.routes`).

Plain WSGI rather than a framework: the hot path is a short walk of the route table, one bounded
read, the codec and the dispatch (:mod:`.handlers`). Errors always come back in the protocol of
the route (a fault, a JSON-RPC error object or a short text/JSON body), never as an HTML
traceback.
"""

import logging

from werkzeug.middleware.proxy_fix import ProxyFix

from . import handlers, routes
from .request_body import text

_logger = logging.getLogger(__name__)

_state = {'options': None, 'server_kind': None}


def setup(options, server_kind=None):
    """Install the settings :func:`application` serves with (called once by each entry point,
    after ``bootstrap.settle`` handed the same settings to the layers below)."""
    _state['options'] = options
    _state['server_kind'] = server_kind


def _options():
    options = _state['options']
    if options is None:
        # Started by a foreign server (``gunicorn openerp_lite.http:application``) without main():
        # settle from the environment on the first request, never at import time.
        from .. import bootstrap

        _state['options'] = options = bootstrap.from_environment()
        _state['server_kind'] = _state['server_kind'] or 'external'
    return options


def application(environ, start_response):
    """The WSGI entry point of openerp-lite (``gunicorn openerp_lite.http:application``).

    With ``--proxy-mode`` the client address, scheme and host come from the ``X-Forwarded-For``,
    ``-Proto`` and ``-Host`` headers set by the one reverse proxy in front (the last value of
    each, so a client cannot forge them through the proxy); without it those headers are
    ignored, since any client could send them.
    """
    options = _options()
    if options.proxy_mode:
        return _behind_proxy(environ, start_response)
    return _serve(environ, start_response, options)


def _serve_forwarded(environ, start_response):
    return _serve(environ, start_response, _state['options'])


_behind_proxy = ProxyFix(_serve_forwarded, x_for=1, x_proto=1, x_host=1)


def _serve(environ, start_response, options):
    path = environ.get('PATH_INFO') or '/'
    method = environ.get('REQUEST_METHOD', 'GET')
    route, matched = routes.find(path)
    try:
        if route is None:
            return text(
                start_response,
                '404 Not Found',
                'No handler found for %s.\n' % path,
                close=method not in ('GET', 'HEAD'),
            )
        if method not in route.methods:
            allowed = ', '.join(route.methods)
            return text(
                start_response,
                '405 Method Not Allowed',
                'Use %s for %s.\n' % (' or '.join(route.methods), path),
                [('Allow', allowed)],
                close=True,
            )
        call = handlers.Call(environ, start_response, options, path, matched, _state['server_kind'])
        return route.handler(call)
    except Exception:
        # Last line of defence: a bug in a handler must not become an HTML traceback.
        _logger.exception('unhandled error serving %s %s', method, path)
        return text(
            start_response,
            '500 Internal Server Error',
            'Internal server error; see the server log.\n',
            close=True,
        )
