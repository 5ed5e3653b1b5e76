"""Attachments: files stored in PostgreSQL and linked to a record, readable by whoever may read
that record.

Every process and machine serving the database sees the same files, and a dump carries them. An
attachment linked to a record (``res_model``, ``res_id``) follows that record's access: reading it
needs the right to read the record, creating, changing or deleting it the right to write the
record. One linked to nothing belongs to its creator (and to the administrators), unless it is
``public``. The attachments behind a model's ``Binary(attachment=True)`` fields carry the field's
name in ``res_field`` and are hidden from ordinary searches, as Odoo does; reaching one needs the
right to read (or write) that field too, so a field restricted to some groups stays theirs.

The check sits at the ORM's own doors, not in the RPC methods: every stored value is read through
``_read_columns`` (``read``, ``copy``, ``name_get``, a related record's field), every set of ids
comes from ``_search`` or ``_search_subquery`` (searches, dotted domains, x2many fields), and
``read_group`` counts only the attachments a search would find.
"""

import base64
import binascii
import hashlib
import mimetypes

from openerp_lite import api, fields, models
from openerp_lite.exceptions import AccessError, ValidationError

#: the first bytes of the formats a client most often sends without a file name
_MAGIC = (
    (b'\x89PNG\r\n\x1a\n', 'image/png'),
    (b'\xff\xd8\xff', 'image/jpeg'),
    (b'GIF87a', 'image/gif'),
    (b'GIF89a', 'image/gif'),
    (b'%PDF-', 'application/pdf'),
    (b'PK\x03\x04', 'application/zip'),
    (b'<?xml', 'application/xml'),
    (b'{', 'application/json'),
)


def guess_mimetype(name, raw):
    """The MIME type of a file: from its content's first bytes, else from its name's extension."""
    for magic, mimetype in _MAGIC:
        if raw and raw.startswith(magic):
            return mimetype
    guessed = mimetypes.guess_type(name or '')[0]
    if guessed:
        return guessed
    if raw and all(32 <= byte < 127 or byte in (9, 10, 13) for byte in raw[:512]):
        return 'text/plain'
    return 'application/octet-stream'


class Attachment(models.Model):
    _name = 'ir.attachment'
    _description = 'Attachment'
    _order = 'id desc'

    name = fields.Char(required=True)
    description = fields.Text()
    res_model = fields.Char('Resource Model', index=True, help='The model of the record it is attached to')
    res_field = fields.Char(
        'Resource Field', index=True, readonly=True, help='The binary field whose value it holds, if any'
    )
    res_id = fields.Integer('Resource ID', index=True, help='The id of the record it is attached to')
    company_id = fields.Many2one('res.company', 'Company')
    type = fields.Selection([('binary', 'File'), ('url', 'URL')], default='binary', required=True)
    url = fields.Char('Url', size=1024)
    public = fields.Boolean('Is public document')
    datas = fields.Binary('File Content (base64)')
    raw = fields.Binary('File Content (raw)', compute='_compute_raw', inverse='_inverse_raw')
    file_size = fields.Integer('File Size', readonly=True)
    checksum = fields.Char('Checksum/SHA1', size=40, readonly=True, index=True)
    mimetype = fields.Char('Mime Type')

    def _compute_raw(self):
        for attachment in self:
            attachment.raw = attachment.datas

    def _inverse_raw(self):
        for attachment in self:
            value = self.env.cache[(self._name, 'raw')].get(attachment.id)
            attachment.write({'datas': value})

    # -- the content: size, checksum, type ------------------------------------------------------
    @staticmethod
    def _decoded(value):
        if not value:
            return b''
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if hasattr(value, 'data'):  # xmlrpc.client.Binary
            return bytes(value.data)
        try:
            return base64.b64decode(value.encode('ascii') if isinstance(value, str) else value, validate=True)
        except (binascii.Error, UnicodeEncodeError, TypeError):
            raise ValidationError("An attachment's datas are base64 text") from None

    def _with_content(self, vals, name=None):
        """``vals`` with the size, checksum and (unless given) MIME type of its ``datas``."""
        if 'raw' in vals and 'datas' not in vals:
            vals = dict(vals, datas=vals.pop('raw'))
        if 'datas' not in vals:
            return vals
        raw = self._decoded(vals['datas'])
        vals = dict(
            vals,
            datas=base64.b64encode(raw).decode('ascii') if raw else False,
            file_size=len(raw),
            checksum=hashlib.sha1(raw).hexdigest() if raw else False,
        )
        if not vals.get('mimetype'):
            vals['mimetype'] = guess_mimetype(vals.get('name') or name, raw)
        return vals

    # -- access follows the attached record -----------------------------------------------------
    def _check_attached(self, mode, targets=None):
        """Refuse unless the user may ``mode`` ('read' or 'write') every record these attachments
        (or ``targets``: ``[(res_model, res_id, create_uid, public, res_field)]``) are linked to,
        and the field whose value an attachment holds, if any."""
        if self.env.su:
            return
        if targets is None:
            self.env.cr.execute(
                'SELECT res_model, res_id, create_uid, public, res_field FROM ir_attachment '
                'WHERE id = ANY(%s)',
                (list(self._ids),),
            )
            targets = self.env.cr.fetchall()
        by_model = {}
        for res_model, res_id, owner, public, res_field in targets:
            if res_model and res_field:
                self._check_field_of(res_model, res_field)
            if not res_model:
                if (
                    owner != self.env.uid
                    and not (public and mode == 'read')
                    and not self.env.user.has_group('base.group_system')
                ):
                    raise AccessError(
                        'Sorry, you are not allowed to access this attachment: it belongs to another user.'
                    )
                continue
            by_model.setdefault(res_model, set()).add(res_id)
        for res_model, ids in by_model.items():
            if res_model not in self.env:
                raise AccessError('Attachments of %s cannot be reached: no such model' % res_model)
            records = self.env[res_model].browse(sorted(i for i in ids if i))
            records.check_access_rights(mode)
            records.exists().check_access_rule(mode)

    def _check_field_of(self, res_model, res_field):
        """Refuse an attachment holding the value of a field the user may not see."""
        model = self.env[res_model] if res_model in self.env else None
        field = model._fields.get(res_field) if model is not None else None
        if field is not None and not model._field_allowed(field):
            raise AccessError(
                'Sorry, you are not allowed to access this attachment: it holds field %s of %s.'
                % (res_field, res_model)
            )

    def _visible_ids(self, ids):
        """The subset of ``ids`` whose attached records the user may read (for searches)."""
        if self.env.su or not ids:
            return ids
        self.env.cr.execute(
            'SELECT id, res_model, res_id, create_uid, public, res_field FROM ir_attachment '
            'WHERE id = ANY(%s)',
            (list(ids),),
        )
        rows = self.env.cr.fetchall()
        allowed, by_model = set(), {}
        system = None
        for aid, res_model, res_id, owner, public, res_field in rows:
            if res_model and res_field and not self._field_visible(res_model, res_field):
                continue
            if not res_model:
                if system is None:
                    system = self.env.user.has_group('base.group_system')
                if owner == self.env.uid or public or system:
                    allowed.add(aid)
                continue
            by_model.setdefault(res_model, []).append((aid, res_id))
        for res_model, pairs in by_model.items():
            if res_model not in self.env:
                continue
            model = self.env[res_model]
            if not model.check_access_rights('read', raise_exception=False):
                continue
            readable = set(
                model.with_context(active_test=False)
                .search([('id', 'in', sorted({res_id for _a, res_id in pairs if res_id}))])
                .ids
            )
            allowed.update(aid for aid, res_id in pairs if res_id in readable)
        return [aid for aid in ids if aid in allowed]

    def _field_visible(self, res_model, res_field):
        try:
            self._check_field_of(res_model, res_field)
        except AccessError:
            return False
        return True

    def _search(self, domain, offset=0, limit=None, order=None, count=False):
        domain = list(domain or [])
        if not self._domain_mentions(domain, 'res_field'):
            # a binary field's attachment is reached through its record's field, not listed
            domain = ['&', ('res_field', '=', False)] + (domain or [(1, '=', 1)])
        if self.env.su:
            return super()._search(domain, offset, limit, order, count)
        ids = self._visible_ids(super()._search(domain, 0, None, order, False))
        if count:
            return len(ids)
        ids = ids[offset or 0 :]
        return ids[:limit] if limit else ids

    def _search_subquery(self, domain, active_test=None):
        """The attachments a relation or a dotted domain reaches: those a search finds."""
        if self.env.su:
            return super()._search_subquery(domain, active_test)
        self.check_access_rights('read')
        return 'SELECT unnest(%s::int[])', [list(self._search(domain))]

    # -- the ORM's methods, checked against the attached records ---------------------------------
    def _read_columns(self, names):
        # every stored value is read here (read, copy, name_get, a relation's display name)
        self._check_attached('read')
        return super()._read_columns(names)

    def read(self, fields=None, load='_classic_read'):
        self._check_attached('read')
        return super().read(fields, load)

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Groups of the attachments a search finds (the others are not counted or named)."""
        if self.env.su:
            return super().read_group(domain, fields, groupby, offset, limit, orderby, lazy)
        self.check_access_rights('read')
        visible = [('id', 'in', self._search(domain or []))]
        groups = super().read_group(
            visible + list(domain or []), fields, groupby, offset, limit, orderby, lazy
        )
        for group in groups:
            # the group's domain as the client wrote it: a search finds the same attachments
            if group.get('__domain', [])[:1] == visible:
                group['__domain'] = group['__domain'][1:]
        return groups

    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        vals_list = [self._with_content(dict(vals)) for vals in vals_list]
        self._check_attached(
            'write',
            [
                (vals.get('res_model'), vals.get('res_id'), self.env.uid, False, vals.get('res_field'))
                for vals in vals_list
            ],
        )
        return super().create(vals_list)

    def write(self, vals):
        self._check_attached('write')
        if 'res_model' in vals or 'res_id' in vals or 'res_field' in vals:
            # where it goes: the record (and the field) it will hold the value of
            self._check_attached(
                'write',
                [
                    (
                        vals.get('res_model', att.res_model),
                        vals.get('res_id', att.res_id),
                        self.env.uid,
                        False,
                        vals.get('res_field', att.res_field),
                    )
                    for att in self.sudo()
                ],
            )
        if 'datas' in vals or 'raw' in vals:
            vals = self._with_content(dict(vals), self[:1].name if len(self) == 1 else None)
        return super().write(vals)

    def unlink(self):
        self._check_attached('write')
        return super().unlink()
