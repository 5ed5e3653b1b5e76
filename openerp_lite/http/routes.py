"""The routes of the WSGI application, declared in one table.

Each :class:`Route` names the paths it serves (a ``match`` function returning what it reads from
the path, or None), the HTTP methods it accepts, its handler (:mod:`.handlers`), and an example
path, which the tests use to send every route the requests it must refuse cleanly. The first
route whose ``match`` accepts a path serves it; a method the route does not accept gets a 405
naming the ones it does; a path no route matches gets a 404 in plain text.
"""

from . import binary, database_manager, handlers, status_page, web_routes


class Route:
    """One entry of :data:`ROUTES`.

    ``reply``: what the route answers in, so a client (and the tests) know what an error looks
    like there: ``xmlrpc`` (a fault), ``jsonrpc`` (an error object), ``json``, ``text``, ``html``
    or ``image``.
    """

    __slots__ = ('name', 'match', 'methods', 'handler', 'reply', 'example')

    def __init__(self, name, match, methods, handler, reply, example):
        self.name = name
        self.match = match
        self.methods = tuple(methods)
        self.handler = handler
        self.reply = reply
        self.example = example

    def __repr__(self):
        return '<Route %s %s>' % (self.name, self.example)


def exact(*paths):
    """A ``match`` for these paths exactly (found by one dict lookup, see :func:`find`)."""
    wanted = frozenset(paths)

    def match(path):
        return True if path in wanted else None

    match.paths = wanted
    return match


def service_under(*prefixes):
    """A ``match`` for ``<prefix><service>``: returns the service name (one path segment)."""

    def match(path):
        for prefix in prefixes:
            if path.startswith(prefix):
                name = path[len(prefix) :]
                return name if name and '/' not in name else None
        return None

    return match


def accepted_by(predicate):
    return lambda path: True if predicate(path) else None


POST = ('POST',)
GET = ('GET', 'HEAD')

ROUTES = [
    Route('jsonrpc', exact('/jsonrpc'), POST, handlers.jsonrpc_call, 'jsonrpc', '/jsonrpc'),
    Route('xmlrpc2', service_under('/xmlrpc/2/'), POST, handlers.xmlrpc_2, 'xmlrpc', '/xmlrpc/2/common'),
    Route(
        'xmlrpc',
        service_under('/xmlrpc/', '/openerp/xmlrpc/1/'),
        POST,
        handlers.xmlrpc_legacy,
        'xmlrpc',
        '/xmlrpc/common',
    ),
    Route('health', exact('/web/health', '/web/health/'), GET, handlers.health, 'json', '/web/health'),
    Route('status', exact(status_page.PATH), GET, status_page.handle, 'html', status_page.PATH),
    Route('root', exact('/'), GET, handlers.root, 'text', '/'),
    Route(
        'web',
        accepted_by(web_routes.is_web_route),
        POST,
        handlers.web_session,
        'jsonrpc',
        '/web/session/authenticate',
    ),
    Route('binary', exact(binary.PATH), GET, handlers.company_logo, 'image', binary.PATH),
    Route(
        'database_form',
        accepted_by(database_manager.is_form_route),
        POST,
        handlers.database_form,
        'json',
        '/web/database/backup',
    ),
]


def _index(table):
    """The exact paths of ``table`` by path, and the other routes in order: the first route
    serving a path is then one dict lookup, or a walk of the few prefix routes."""
    by_path, others = {}, []
    for route in table:
        for path in getattr(route.match, 'paths', ()):
            by_path.setdefault(path, route)
        if not hasattr(route.match, 'paths'):
            others.append(route)
    return by_path, others


_BY_PATH, _PREFIXED = _index(ROUTES)


def find(path):
    """``(route, match)`` of the first route serving ``path``, or ``(None, None)``."""
    route = _BY_PATH.get(path)
    if route is not None:
        return route, True
    for route in _PREFIXED:
        matched = route.match(path)
        if matched is not None:
            return route, matched
    return None, None
