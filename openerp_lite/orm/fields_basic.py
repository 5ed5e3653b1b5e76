"""Scalar field types: text, numbers, booleans, dates, selections and binary data."""

import base64
import binascii
import datetime
import decimal
import functools
import math

from ..exceptions import ValidationError
from . import translations
from .fields_base import Field

DATE_FORMAT = '%Y-%m-%d'
DATETIME_FORMAT = '%Y-%m-%d %H:%M:%S'


class Char(Field):
    """Text on one line; with ``translate=True``, one value per language (``translations``)."""

    type = 'char'
    _type_defaults = {'size': None, 'trim': True}

    @property
    def column_type(self):
        if self.translate:
            return 'jsonb'
        return 'varchar(%d)' % self.size if self.size else 'varchar'

    def _clip(self, value):
        value = str(value)
        return value[: self.size] if self.size else value

    def convert_to_column(self, value, record=None):
        if value is None or value is False:
            return None
        if self.translate:
            if isinstance(value, dict):
                try:
                    return translations.check_values(value, self.size)
                except ValueError as error:
                    raise ValidationError('%s: %s' % (self, error)) from None
            lang = record.env.lang if record is not None else translations.SOURCE_LANG
            return translations.InLanguage(self._clip(value), lang)
        return self._clip(value)

    def convert_to_cache(self, value, env=None):
        if value is None or value is False:
            return False
        if self.translate and isinstance(value, dict):
            return value
        return self._clip(value)

    def convert_to_record(self, value, record):
        if isinstance(value, dict):
            return translations.pick(value, record.env.lang) or False
        return value

    def convert_to_read(self, value, record, load='_classic_read'):
        return self.convert_to_record(value, record)

    def column_sql(self, alias, env):
        if self.translate:
            return translations.column_sql(alias, self.name, env.lang)
        return super().column_sql(alias, env)


class Text(Char):
    type = 'text'

    @property
    def column_type(self):
        return 'jsonb' if self.translate else 'text'


class Html(Text):
    type = 'html'


class Integer(Field):
    type = 'integer'
    column_type = 'int4'
    group_operator = 'sum'

    def convert_to_column(self, value, record=None):
        return int(value or 0)

    def convert_to_cache(self, value, env=None):
        return int(value or 0)

    def convert_to_read(self, value, record, load='_classic_read'):
        return value or 0


class Float(Field):
    """A float; ``digits`` is a ``(precision, scale)`` pair or the name of a
    ``decimal.precision`` record whose current value is read from the database (cached)."""

    type = 'float'
    group_operator = 'sum'
    _type_defaults = {'digits': None}

    @property
    def column_type(self):
        return 'numeric' if self.digits else 'float8'

    def get_digits(self, env):
        if isinstance(self.digits, str):
            if env is None:
                return None
            return (16, env['decimal.precision'].precision_get(self.digits))
        return tuple(self.digits) if self.digits else None

    def round(self, value, env):
        digits = self.get_digits(env)
        if digits:
            return round(value, digits[1])
        return value

    def convert_to_column(self, value, record=None):
        value = float(value or 0.0)
        if not math.isfinite(value):
            # PostgreSQL would store it, and no JSON reply could carry it back
            raise ValidationError('Field %s expects a finite number, got %r' % (self, value))
        return self.round(value, record.env if record is not None else None)

    def convert_to_cache(self, value, env=None):
        if isinstance(value, decimal.Decimal):
            value = float(value)
        return float(value or 0.0)

    def convert_to_read(self, value, record, load='_classic_read'):
        return value or 0.0


class Monetary(Float):
    type = 'monetary'
    _type_defaults = {'currency_field': 'currency_id', 'digits': (16, 2)}


class Boolean(Field):
    type = 'boolean'
    column_type = 'bool'

    def convert_to_column(self, value, record=None):
        return bool(value)

    def convert_to_cache(self, value, env=None):
        return bool(value)


def _parse(value, fmt, kind, cls):
    if isinstance(value, cls):
        return value
    text = str(value).strip()
    for candidate in (fmt, DATETIME_FORMAT, DATE_FORMAT, '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S.%f'):
        try:
            parsed = datetime.datetime.strptime(text, candidate)
            return parsed.date() if cls is datetime.date and kind == 'date' else parsed
        except ValueError:
            continue
    raise ValidationError('Invalid %s value %r (expected %s)' % (kind, value, fmt.replace('%', '')))


class Date(Field):
    """A date, as ``'YYYY-MM-DD'`` text on the wire and in the Python API."""

    type = 'date'
    column_type = 'date'
    group_operator = None

    @staticmethod
    def today(*args):
        return datetime.date.today().strftime(DATE_FORMAT)

    @staticmethod
    def context_today(record=None, timestamp=None):
        return datetime.date.today().strftime(DATE_FORMAT)

    def convert_to_column(self, value, record=None):
        if not value:
            return None
        parsed = _parse(value, DATE_FORMAT, 'date', datetime.date)
        return parsed.date() if isinstance(parsed, datetime.datetime) else parsed

    def convert_to_cache(self, value, env=None):
        if not value:
            return False
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.strftime(DATE_FORMAT)
        return self.convert_to_column(value).strftime(DATE_FORMAT)


class Datetime(Field):
    """A UTC timestamp, as ``'YYYY-MM-DD HH:MM:SS'`` text on the wire and in the Python API."""

    type = 'datetime'
    column_type = 'timestamp'

    @staticmethod
    def now(*args):
        return datetime.datetime.utcnow().replace(microsecond=0).strftime(DATETIME_FORMAT)

    def convert_to_column(self, value, record=None):
        if not value:
            return None
        parsed = _parse(value, DATETIME_FORMAT, 'datetime', datetime.datetime)
        if isinstance(parsed, datetime.date) and not isinstance(parsed, datetime.datetime):
            parsed = datetime.datetime.combine(parsed, datetime.time())
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return parsed.replace(microsecond=0)

    def convert_to_cache(self, value, env=None):
        if not value:
            return False
        if isinstance(value, datetime.datetime):
            return value.replace(microsecond=0).strftime(DATETIME_FORMAT)
        return self.convert_to_column(value).strftime(DATETIME_FORMAT)


class Selection(Field):
    """A value among ``selection``: a list of ``(value, label)`` pairs, or the name of a model
    method returning one (evaluated per call so that it may depend on the database)."""

    type = 'selection'
    column_type = 'varchar'

    def __init__(self, selection=None, string=None, **kwargs):
        if selection is not None:
            kwargs['selection'] = selection
        super().__init__(string=string, **kwargs)

    def new_for_model(self, model_name, extra_args=None):
        args = dict(self.args)
        extra_args = dict(extra_args or {})
        add = extra_args.pop('selection_add', None)
        args.update(extra_args)
        if add:
            args['selection'] = list(args.get('selection') or []) + [
                item for item in add if item not in (args.get('selection') or [])
            ]
        field = type(self)(**args)
        field.name, field.model_name, field._sequence = self.name, model_name, self._sequence
        return field

    def get_values(self, env):
        selection = self.selection
        if isinstance(selection, str):
            if env is None:
                return []
            selection = getattr(env[self.model_name], selection)()
        elif callable(selection):
            selection = selection(env[self.model_name]) if env is not None else []
        return [list(item) for item in selection or []]

    def convert_to_column(self, value, record=None):
        if value is False or value is None:
            return None
        if record is not None:
            allowed = [item[0] for item in self.get_values(record.env)]
            if value not in allowed:
                raise ValidationError(
                    'Wrong value for %s: %r (allowed: %s)' % (self, value, ', '.join(map(repr, allowed)))
                )
        return value


class Binary(Field):
    """Bytes stored in a ``bytea`` column, or with ``attachment=True`` in an ``ir.attachment``
    record (``res_model``, ``res_field``, ``res_id``); base64 text on the wire either way."""

    type = 'binary'
    column_type = 'bytea'
    _type_defaults = {'prefetch': False, 'copy': True, 'attachment': False}

    def setup(self, model_cls):
        super().setup(model_cls)
        if self.attachment:
            # no column: the value is the content of the record's attachment for this field,
            # read and written through the attachment model (``ir.attachment``)
            self.column_type = None
            self.store = False
            self.compute = functools.partial(_read_attachment_field, field=self)
            self.inverse = functools.partial(_write_attachment_field, field=self)
            self.readonly = self.args.get('readonly', False)

    def convert_to_column(self, value, record=None):
        if not value:
            return None
        if isinstance(value, str):
            try:
                value = base64.b64decode(value.encode('ascii'), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                raise ValidationError('Field %s expects base64 data' % self) from None
        elif hasattr(value, 'data'):  # xmlrpc.client.Binary
            value = value.data
        return bytes(value)

    def convert_to_cache(self, value, env=None):
        if not value:
            return False
        if isinstance(value, memoryview):
            value = value.tobytes()
        if isinstance(value, bytes):
            return base64.b64encode(value).decode('ascii')
        return value

    def convert_to_read(self, value, record, load='_classic_read'):
        context = record.env.context
        if value and (context.get('bin_size') or context.get('bin_size_' + self.name)):
            size = len(value) * 3 // 4
            return '%d bytes' % size if size < 1024 else '%.2f Kb' % (size / 1024.0)
        return value


class Image(Binary):
    """A picture (Odoo's ``Image``): an attachment-backed binary. ``max_width``/``max_height``
    are accepted for compatibility; the picture is stored as sent, not resized."""

    _type_defaults = {'attachment': True, 'max_width': 0, 'max_height': 0}


def _attachments_of(records, field):
    return (
        records.env['ir.attachment']
        .sudo()
        .search(
            [
                ('res_model', '=', records._name),
                ('res_field', '=', field.name),
                ('res_id', 'in', list(records._ids)),
            ]
        )
    )


def _read_attachment_field(records, field):
    """The values of an attachment-backed binary: the content of each record's attachment. The
    caller's right to read the records was checked; the attachments follow them."""
    values = {rid: False for rid in records._ids}
    if 'ir.attachment' in records.env:
        for attachment in _attachments_of(records, field):
            values[attachment.res_id] = attachment.datas
    records._cache_set(field.name, values)


def _write_attachment_field(records, field):
    """Store the cached value of an attachment-backed binary in each record's attachment
    (created, replaced, or deleted for an empty value)."""
    attachments = records.env['ir.attachment'].sudo()
    existing = {att.res_id: att for att in _attachments_of(records, field)}
    cached = records.env.cache.get((records._name, field.name), {})
    for rid in records._ids:
        value = cached.get(rid)
        current = existing.get(rid)
        if not value:
            if current:
                current.unlink()
        elif current:
            current.write({'datas': value})
        else:
            attachments.create(
                {
                    'name': field.name,
                    'res_model': records._name,
                    'res_field': field.name,
                    'res_id': rid,
                    'datas': value,
                }
            )
