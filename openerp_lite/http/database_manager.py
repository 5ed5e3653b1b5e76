"""Odoo's database manager form routes: ``POST /web/database/backup``, ``restore``, ``create``,
``duplicate``, ``drop`` and ``change_password``.

What backup scripts (``curl -F master_pwd=... -F name=db -F backup_format=zip
.../web/database/backup -o db.zip``) and odooly's web mode use. Each route is the ``db`` service
method that does the same job, with the same master password check, back-off and name rules; the
fields come as a form (urlencoded or multipart, the backup file of ``restore`` as a file part). A
backup comes back as a download; anything else as JSON, ``{"result": ...}``, or on failure the
JSON-RPC error object naming the problem with an HTTP status saying what kind it is (403 for a
wrong master password, 400 for a bad request, 413 for a body over the limit) — never an HTML
page.

Sans-I/O: :func:`handle` takes the path, the decoded fields and files and the call info, and
returns ``(status, headers, body)``.
"""

import base64
import datetime
import logging

from ..exceptions import AccessError, ProtocolError
from ..service import db as db_service
from . import jsonrpc
from .errors import log_refusal, mapping_for

_logger = logging.getLogger(__name__)

PREFIX = '/web/database/'
TRUE_WORDS = ('1', 'true', 'on', 'yes', 'y')


def is_form_route(path):
    return path.startswith(PREFIX) and path[len(PREFIX) :] in ROUTES


def _field(form, name, required=True):
    value = form.get(name)
    if (value is None or value == '') and required:
        raise ProtocolError('The form needs the field %r.' % name, -32602)
    return value


def _flag(form, name):
    return str(form.get(name) or '').strip().lower() in TRUE_WORDS


def backup(info, form, files):
    name = _field(form, 'name')
    backup_format = form.get('backup_format') or 'zip'
    if backup_format not in ('zip', 'dump', 'custom'):
        raise ProtocolError('backup_format must be zip or dump, not %r.' % backup_format, -32602)
    data = base64.b64decode(db_service.dump(info, _field(form, 'master_pwd'), name, backup_format))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d_%H-%M-%S')
    extension, content_type = (
        ('zip', 'application/zip') if backup_format == 'zip' else ('dump', 'application/octet-stream')
    )
    return (
        '200 OK',
        [
            ('Content-Type', content_type),
            ('Content-Disposition', 'attachment; filename="%s_%s.%s"' % (name, stamp, extension)),
        ],
        data,
    )


def restore(info, form, files):
    upload = files.get('backup_file')
    if upload is None:
        raise ProtocolError('The form needs the file "backup_file".', -32602)
    data = base64.b64encode(upload).decode('ascii')
    return db_service.restore(
        info, _field(form, 'master_pwd'), _field(form, 'name'), data, _flag(form, 'copy')
    )


def create(info, form, files):
    return db_service.create_database(
        info,
        _field(form, 'master_pwd'),
        _field(form, 'name'),
        _flag(form, 'demo'),
        form.get('lang') or 'en_US',
        _field(form, 'password'),
        form.get('login') or 'admin',
        form.get('country_code') or None,
    )


def duplicate(info, form, files):
    return db_service.duplicate_database(
        info, _field(form, 'master_pwd'), _field(form, 'name'), _field(form, 'new_name')
    )


def drop(info, form, files):
    return db_service.drop(info, _field(form, 'master_pwd'), _field(form, 'name'))


def change_password(info, form, files):
    return db_service.change_admin_password(info, _field(form, 'master_pwd'), _field(form, 'master_pwd_new'))


ROUTES = {
    'backup': backup,
    'restore': restore,
    'create': create,
    'duplicate': duplicate,
    'drop': drop,
    'change_password': change_password,
}


def handle(path, form, files, info):
    """Serve one form route: ``(status, headers, body bytes)``."""
    route = ROUTES[path[len(PREFIX) :]]
    try:
        if not info.options.list_db:
            # as Odoo's: with the database list hidden, the web database manager is off too
            raise AccessError(
                'The database manager is disabled on this server (list_db = False); the db '
                'service still answers the master password over XML-RPC and JSON-RPC.'
            )
        result = route(info, form, files)
    except Exception as error:  # noqa: BLE001 - every failure becomes the documented reply
        log_refusal(_logger, error, path)
        status = mapping_for(error).status
        return status, [('Content-Type', jsonrpc.CONTENT_TYPE)], jsonrpc.encode_error(None, error)
    if isinstance(result, tuple):
        return result
    return '200 OK', [('Content-Type', jsonrpc.CONTENT_TYPE)], jsonrpc.encode_result(None, result)
