"""``GET /web/binary/company_logo``: the logo of a company, as an image, for login pages and
the headers of documents.

Which database: ``?dbname=``, else the database of the caller's web session, else the only
database this server serves. A name from the query string is checked like every database named by
the wire (``--db-filter`` and the openerp-lite mark, before any connection). Which company: that
of the session's user when the session belongs to that database, else that of the superuser (the
main company). The route never answers 404: when there is no database, no company or no logo, it
serves a built-in transparent PNG, so an ``<img>`` pointing here always shows something sensible.

Sans-I/O like ``web_routes``: :func:`company_logo` returns ``(status, headers, body)``.
"""

import logging
import struct
import urllib.parse
import zlib

import psycopg2

from .. import sql_db
from ..exceptions import OpenERPLiteError
from ..service import base as service_base

_logger = logging.getLogger(__name__)

PATH = '/web/binary/company_logo'


def _png(width, height, rgba):
    """A PNG of one colour, built here so the placeholder ships as code, not as a file."""
    rows = b''.join(b'\x00' + bytes(rgba) * width for _ in range(height))

    def chunk(kind, data):
        return (
            struct.pack('>I', len(data))
            + kind
            + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack('>IIBBBBB', width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'IDAT', zlib.compress(rows))
        + chunk(b'IEND', b'')
    )


#: what is served when there is no logo to serve: one transparent pixel
PLACEHOLDER = _png(1, 1, (0, 0, 0, 0))

#: first bytes of the image formats a browser shows, and their content types
_SIGNATURES = (
    (b'\x89PNG\r\n\x1a\n', 'image/png'),
    (b'\xff\xd8\xff', 'image/jpeg'),
    (b'GIF87a', 'image/gif'),
    (b'GIF89a', 'image/gif'),
    (b'BM', 'image/bmp'),
    (b'\x00\x00\x01\x00', 'image/x-icon'),
)


def content_type_of(data):
    """The content type of image ``data`` from its first bytes (``application/octet-stream``
    when it is no image format known here)."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'image/webp'
    head = data[:512].lstrip().lower()
    if head.startswith(b'<svg') or (head.startswith(b'<?xml') and b'<svg' in head):
        return 'image/svg+xml'
    return 'application/octet-stream'


def _session_of(info, sid, dbname):
    """The checked web session ``sid`` when it may say whose company to show, else None."""
    from ..service import security, session

    if not sid:
        return None
    _secret, sid_db = session.split_sid(sid)
    if sid_db is None or (dbname is not None and sid_db != dbname):
        return None
    try:
        return security.check_session(info, sid)
    except (OpenERPLiteError, psycopg2.Error):
        return None


def _database(info, dbname, current):
    """The database to read the logo from, or None."""
    if dbname is not None:
        return dbname if service_base.is_served(info, dbname) else None
    if current is not None:
        return current.db
    from ..service import db as db_service

    served = db_service.served_databases(info)
    return served[0] if len(served) == 1 else None


def _logo(dbname, uid):
    """The logo bytes of the company of user ``uid`` in ``dbname``, or None."""
    try:
        with sql_db.cursor(dbname, readonly=True) as cr:
            cr.execute(
                'SELECT c.logo FROM res_users u JOIN res_company c ON c.id = u.company_id WHERE u.id = %s',
                (uid,),
            )
            row = cr.fetchone()
    except (psycopg2.Error, OpenERPLiteError) as error:
        # a database made before res.company had a logo (upgrade base), or one going away
        _logger.info('company logo of %s unavailable: %s', dbname, str(error).strip()[:200])
        return None
    return bytes(row[0]) if row and row[0] is not None else None


def company_logo(query_string, info, sid=None):
    """``(status, headers, body)`` of the logo route (see the module docstring)."""
    params = urllib.parse.parse_qs(query_string or '', keep_blank_values=False)
    dbname = params.get('dbname', [None])[0]
    current = _session_of(info, sid, dbname)
    database = _database(info, dbname, current)
    logo = None
    if database is not None:
        from ..orm.environment import SUPERUSER_ID  # the ORM is loaded late, as by the services

        uid = current.uid if current is not None and current.db == database else SUPERUSER_ID
        logo = _logo(database, uid)
    body = logo or PLACEHOLDER
    kind = content_type_of(body)
    headers = [
        ('Content-Type', kind),
        ('Content-Length', str(len(body))),
        ('X-Content-Type-Options', 'nosniff'),
        ('Cache-Control', 'no-cache'),
    ]
    if kind == 'image/svg+xml':
        # an SVG can carry scripts: opened directly, it must not run any on this origin
        headers.append(('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox"))
    return '200 OK', headers, body
