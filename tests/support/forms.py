"""Odoo's database manager forms as a backup script posts them (``curl -F``): multipart form
data, files included, and the reply whatever its status."""

import urllib.error
import urllib.request
import uuid


def post_form(server, path, fields, files=None):
    """POST ``fields`` (and ``files``) as multipart/form-data, as ``curl -F`` does."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            (
                '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)
            ).encode()
        )
    for name, (filename, content) in (files or {}).items():
        parts.append(
            (
                '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n' % (boundary, name, filename)
            ).encode()
            + content
            + b'\r\n'
        )
    body = b''.join(parts) + ('--%s--\r\n' % boundary).encode()
    request = urllib.request.Request(
        server.url + path, body, {'Content-Type': 'multipart/form-data; boundary=%s' % boundary}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
