"""Data files (XML and CSV) of a module: parsed into operations, then applied to an environment.

Two steps, so that the file format is testable without a database: ``parse_xml_file`` and
``parse_csv_file`` turn a file into a list of ``RecordOp``/``DeleteOp``/``FunctionOp`` (checking
structure, attribute values and ``eval`` expressions statically); ``apply_operations`` resolves
values against the ORM (external ids, searches, field types) and writes. Every failure, in either
step, is a ``DataFileError`` whose message names the file, the line and the cause.

Only the ``_orm_*`` functions of the adapter section touch the ORM.
"""

import base64
import csv
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from lxml import etree

from openerp_lite.exceptions import UserError
from openerp_lite.tools.safe_eval import check_expression, default_eval_context, safe_eval

_logger = logging.getLogger(__name__)

#: elements of OpenERP data files that only matter to a web client; skipped, never an error
IGNORED_ELEMENTS = frozenset(
    {
        'menuitem',
        'act_window',
        'report',
        'template',
        'url',
        'wizard',
        'workflow',
        'ir_set',
        'assert',
    }
)
#: models of web-client records (views, menus, window actions): skipped when not in the registry
WEB_CLIENT_MODELS = frozenset(
    {
        'ir.ui.view',
        'ir.ui.menu',
        'ir.actions.act_window',
        'ir.actions.act_window.view',
        'ir.actions.client',
        'ir.actions.act_url',
        'ir.actions.report',
        'ir.actions.report.xml',
        'ir.values',
        'ir.ui.view_sc',
    }
)
TEXT_TYPES = ('int', 'float', 'char', 'xml', 'html', 'base64', 'file', 'list', 'tuple')
_X2MANY = ('one2many', 'many2many')
_MODEL_NAME = re.compile(r'^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$')
MODES = ('init', 'update')


class DataFileError(UserError):
    """A data file cannot be loaded; ``filename``, ``line`` (or None) and ``cause`` say why."""

    def __init__(self, filename, line, cause):
        where = '%s:%s' % (filename, line) if line else str(filename)
        super().__init__('%s: %s' % (where, cause))
        self.filename, self.line, self.cause = filename, line, cause


# -- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A field or argument value as written in the file, resolved later against the ORM.

    ``kind``: ``literal`` (final value), ``text`` (converted by the field's type), ``ref``
    (external id), ``eval`` (safe_eval expression), ``search`` (domain expression on ``model``),
    ``xmlids`` (list of external ids from a CSV ``field:id`` cell), ``list`` (``<value>`` items,
    ``payload`` a list of Values, built as a list or a tuple per ``type``).
    """

    kind: str
    payload: Any
    type: Optional[str] = None
    model: Optional[str] = None


@dataclass(frozen=True)
class RecordOp:
    model: str
    xmlid: Optional[str]  # always qualified (``module.name``), or None for an anonymous record
    values: dict
    noupdate: bool
    forcecreate: bool
    line: Optional[int]
    kind: str = field(default='record', init=False)


@dataclass(frozen=True)
class DeleteOp:
    model: str
    xmlid: Optional[str]
    search: Optional[str]
    noupdate: bool
    line: Optional[int]
    kind: str = field(default='delete', init=False)


@dataclass(frozen=True)
class FunctionOp:
    model: str
    name: str
    args: Optional[Value]  # an ``eval`` or ``list`` Value, or None for no argument
    noupdate: bool
    line: Optional[int]
    kind: str = field(default='function', init=False)


def qualify_xmlid(xmlid, module):
    """``name`` -> ``module.name``; ``other.name`` stays; refuses empty parts with ValueError."""
    xmlid = (xmlid or '').strip()
    if '.' not in xmlid:
        xmlid = '%s.%s' % (module, xmlid)
    prefix, _, name = xmlid.partition('.')
    if not prefix or not name:
        raise ValueError('invalid external id %r' % xmlid)
    return xmlid


# -- XML parsing ----------------------------------------------------------------------------------


class _XmlParser:
    """Walks one XML data file; keeps what error messages and ``file=`` attributes need."""

    def __init__(self, filename, module, module_dir, default_noupdate):
        self.filename, self.module, self.module_dir = filename, module, module_dir
        self.default_noupdate = default_noupdate

    def error(self, element, cause):
        return DataFileError(self.filename, getattr(element, 'sourceline', None), cause)

    def flag(self, element, attribute, default):
        raw = element.get(attribute)
        if raw is None:
            return default
        if raw.strip() in ('1', 'True', 'true'):
            return True
        if raw.strip() in ('0', 'False', 'false', ''):
            return False
        raise self.error(element, '%s="%s" must be 1 or 0' % (attribute, raw))

    def required(self, element, attribute):
        value = (element.get(attribute) or '').strip()
        if not value:
            raise self.error(element, '<%s> needs a %r attribute' % (element.tag, attribute))
        return value

    def model(self, element):
        name = self.required(element, 'model')
        if not _MODEL_NAME.match(name):
            raise self.error(element, 'invalid model name %r' % name)
        return name

    def xmlid(self, element, attribute='id'):
        raw = element.get(attribute)
        if raw is None:
            return None
        try:
            return qualify_xmlid(raw, self.module)
        except ValueError as exc:
            raise self.error(element, str(exc))

    def expression(self, element, attribute):
        expr = element.get(attribute)
        try:
            check_expression(expr)
        except ValueError as exc:
            raise self.error(element, '%s="%s": %s' % (attribute, expr, exc))
        return expr

    def parse(self, root):
        if root.tag not in ('odoo', 'openerp'):
            raise self.error(root, 'root element must be <odoo> or <openerp>, not <%s>' % root.tag)
        operations = []
        root_noupdate = self.flag(root, 'noupdate', self.default_noupdate)
        for child in _elements(root):
            if child.tag == 'data':
                noupdate = self.flag(child, 'noupdate', root_noupdate)
                for element in _elements(child):
                    self.element(element, noupdate, operations)
            else:
                self.element(child, root_noupdate, operations)
        return operations

    def element(self, element, noupdate, operations):
        if element.tag == 'record':
            operations.append(self.record(element, noupdate))
        elif element.tag == 'delete':
            operations.append(self.delete(element, noupdate))
        elif element.tag == 'function':
            operations.append(self.function(element, noupdate))
        elif element.tag in IGNORED_ELEMENTS:
            _logger.debug(
                '%s:%s: <%s> skipped (no web client)', self.filename, element.sourceline, element.tag
            )
        else:
            raise self.error(element, 'unknown element <%s>' % element.tag)

    def record(self, element, noupdate):
        model, xmlid = self.model(element), self.xmlid(element)
        values = {}
        for child in _elements(element):
            if child.tag != 'field':
                raise self.error(child, '<record> may only contain <field>, not <%s>' % child.tag)
            name = self.required(child, 'name')
            if name in values:
                raise self.error(child, 'field %r given twice' % name)
            values[name] = self.value(child)
        return RecordOp(
            model, xmlid, values, noupdate, self.flag(element, 'forcecreate', True), element.sourceline
        )

    def delete(self, element, noupdate):
        model, xmlid = self.model(element), self.xmlid(element)
        search = self.expression(element, 'search') if element.get('search') else None
        if xmlid is None and search is None:
            raise self.error(element, '<delete> needs an "id" or a "search" attribute')
        return DeleteOp(model, xmlid, search, noupdate, element.sourceline)

    def function(self, element, noupdate):
        model, name = self.model(element), self.required(element, 'name')
        if name.startswith('_'):
            raise self.error(element, 'private method %r cannot be called from data' % name)
        children = list(_elements(element))
        if element.get('eval') is not None:
            if children:
                raise self.error(element, '<function> has both eval= and <value> children')
            args = Value('eval', self.expression(element, 'eval'))
        elif children:
            args = Value('list', [self.item(child) for child in children], 'list')
        else:
            args = None
        return FunctionOp(model, name, args, noupdate, element.sourceline)

    def item(self, element):
        if element.tag != 'value':
            raise self.error(element, 'expected <value>, found <%s>' % element.tag)
        return self.value(element)

    def value(self, element):
        """The Value of a ``<field>`` or ``<value>`` element."""
        sources = [a for a in ('ref', 'eval', 'search') if element.get(a) is not None]
        if len(sources) > 1:
            raise self.error(element, 'use only one of ref=, eval=, search= (found %s)' % ', '.join(sources))
        if sources and (len(element) or (element.text or '').strip()):
            raise self.error(element, '%s= and a text or element content together' % sources[0])
        if element.get('ref') is not None:
            return Value('ref', self.xmlid(element, 'ref'))
        if element.get('eval') is not None:
            return Value('eval', self.expression(element, 'eval'))
        if element.get('search') is not None:
            if element.get('use', 'id') != 'id':
                raise self.error(element, 'use="%s" is not supported (only ids)' % element.get('use'))
            return Value('search', self.expression(element, 'search'), model=element.get('model'))
        kind = element.get('type')
        if kind is None:
            if len(element):
                return Value('literal', _inner_xml(element), 'xml')
            return Value('text', element.text or '')
        return self.typed(element, kind)

    def typed(self, element, kind):
        text = element.text or ''
        try:
            if kind in ('xml', 'html'):
                return Value('literal', _inner_xml(element), kind)
            if kind in ('list', 'tuple'):
                return Value('list', [self.item(child) for child in _elements(element)], kind)
            if len(element):
                raise ValueError('type="%s" takes text, not child elements' % kind)
            if kind == 'char':
                return Value('literal', text, kind)
            if kind == 'int':
                return Value('literal', False if text.strip() in ('', 'None') else int(text), kind)
            if kind == 'float':
                return Value('literal', float(text), kind)
            if kind == 'base64':
                if element.get('file'):
                    with open(self.module_file(element.get('file')), 'rb') as handle:
                        return Value('literal', base64.b64encode(handle.read()).decode(), kind)
                return Value('literal', text.strip(), kind)
            if kind == 'file':
                relpath = (element.get('file') or text).strip()
                self.module_file(relpath)
                return Value('literal', '%s,%s' % (self.module, relpath), kind)
        except (ValueError, OSError) as exc:
            raise self.error(element, 'type="%s": %s' % (kind, exc))
        raise self.error(element, 'unknown type="%s" (expected one of %s)' % (kind, ', '.join(TEXT_TYPES)))

    def module_file(self, relpath):
        if self.module_dir is None:
            raise ValueError('module folder unknown, cannot read %r' % relpath)
        path = _inside(self.module_dir, relpath)
        if not os.path.isfile(path):
            raise ValueError('file %r not found in module %r' % (relpath, self.module))
        return path


def _elements(node):
    """Child elements only: comments and processing instructions have a non-string tag."""
    return (child for child in node if isinstance(child.tag, str))


def _inner_xml(element):
    return (element.text or '') + ''.join(etree.tostring(child, encoding='unicode') for child in element)


def _inside(folder, relpath):
    """``folder/relpath``, refusing absolute paths and ``..`` escapes (ValueError)."""
    base = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(base, relpath))
    if os.path.isabs(relpath) or not path.startswith(base + os.sep):
        raise ValueError('path %r leaves the module folder' % relpath)
    return path


def parse_xml_file(path, module, noupdate=False, filename=None, module_dir=None):
    """Operations of the XML data file ``path``, in file order.

    ``filename`` is the name used in error messages (default ``path``); ``module_dir`` is where
    ``file=`` attributes are read from (default: the folder of ``module`` on the addons path).
    """
    filename = filename or path
    parser = etree.XMLParser(
        remove_comments=True, remove_pis=True, resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        tree = etree.parse(path, parser)
    except etree.XMLSyntaxError as exc:
        raise DataFileError(filename, exc.lineno, 'invalid XML: %s' % exc.msg)
    except OSError as exc:
        raise DataFileError(filename, None, 'cannot read file: %s' % exc)
    if module_dir is None:
        from openerp_lite.modules.module import get_module_path

        module_dir = get_module_path(module)
    return _XmlParser(filename, module, module_dir, noupdate).parse(tree.getroot())


# -- CSV parsing ----------------------------------------------------------------------------------


def csv_model_name(path):
    """``security/ir.model.access.csv`` -> ``ir.model.access`` (text after a ``-`` is a label)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return stem.split('-', 1)[0]


def _csv_columns(filename, header, line):
    """Header cells -> list of (field name, is_xmlid_reference); ``id`` maps to (None, True)."""
    columns, seen = [], set()
    for cell in header:
        name = cell.strip()
        if name == 'id':
            column = (None, True)
        elif name.endswith(':id') or name.endswith('/id'):
            column = (name[:-3], True)
        elif not name or not name.isidentifier():
            raise DataFileError(
                filename, line, 'unsupported column %r (use a field name, field:id or field/id)' % name
            )
        else:
            column = (name, False)
        if column[0] in seen:
            raise DataFileError(filename, line, 'column %r appears twice' % name)
        seen.add(column[0])
        columns.append(column)
    if (None, True) not in columns:
        raise DataFileError(
            filename,
            line,
            "an 'id' column of external ids is required, so that upgrades update the same rows",
        )
    return columns


def parse_csv_file(path, module, noupdate=False, filename=None):
    """One ``RecordOp`` per data row of the CSV file ``path`` (model named after the file)."""
    filename = filename or path
    model = csv_model_name(path)
    if not _MODEL_NAME.match(model):
        raise DataFileError(filename, None, 'file name %r does not name a model' % model)
    operations, columns, reader = [], None, None
    try:
        with open(path, encoding='utf-8-sig', newline='') as handle:
            reader = csv.reader(handle, strict=True)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if columns is None:
                    columns = _csv_columns(filename, row, reader.line_num)
                    continue
                operations.append(_csv_row(filename, module, model, columns, row, reader.line_num, noupdate))
    except csv.Error as exc:
        raise DataFileError(filename, reader.line_num, 'invalid CSV: %s' % exc)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(filename, None, 'cannot read file: %s' % exc)
    if columns is None:
        raise DataFileError(filename, None, 'empty CSV file (no header row)')
    return operations


def _csv_row(filename, module, model, columns, row, line, noupdate):
    if len(row) != len(columns):
        raise DataFileError(filename, line, 'row has %d cells, the header has %d' % (len(row), len(columns)))
    xmlid, values = None, {}
    try:
        for (name, is_ref), cell in zip(columns, row):
            if name is None:
                if not cell.strip():
                    raise ValueError('empty id')
                xmlid = qualify_xmlid(cell, module)
            elif is_ref:
                refs = [qualify_xmlid(part, module) for part in cell.split(',') if part.strip()]
                values[name] = Value('xmlids', refs)
            else:
                values[name] = Value('text', cell)
    except ValueError as exc:
        raise DataFileError(filename, line, str(exc))
    return RecordOp(model, xmlid, values, noupdate, True, line)


# -- applying operations --------------------------------------------------------------------------


def _convert_text(text, ftype):
    """Text from a file -> value for a field of type ``ftype`` (empty text is False)."""
    stripped = text.strip()
    if ftype in ('char', 'text', 'html'):
        return text if text else False
    if not stripped:
        return [(6, 0, [])] if ftype in _X2MANY else False
    if ftype == 'integer':
        try:
            return int(stripped)
        except ValueError:
            raise ValueError('expected an integer, got %r' % stripped)
    if ftype in ('float', 'monetary'):
        try:
            return float(stripped)
        except ValueError:
            raise ValueError('expected a number, got %r' % stripped)
    if ftype == 'boolean':
        if stripped.lower() in ('1', 'true'):
            return True
        if stripped.lower() in ('0', 'false'):
            return False
        raise ValueError('expected 1/0/True/False, got %r' % stripped)
    if ftype in ('many2one', 'reference') or ftype in _X2MANY:
        raise ValueError(
            'a %s value must be given by external id (ref=, eval= or a field:id '
            'column), not as text %r' % (ftype, stripped)
        )
    return text  # selection, date, datetime, binary: as written


class _Applier:
    """Resolves Values and runs operations for one data file."""

    def __init__(self, env, module, mode, filename):
        self.env, self.module, self.mode, self.filename = env, module, mode, filename
        self.eval_context = default_eval_context()
        self.eval_context['ref'] = self.ref

    def ref(self, xmlid):
        return _orm_xmlid_to_res_id(self.env, qualify_xmlid(xmlid, self.module))

    def resolve(self, value, ftype=None, comodel=None):
        if value.kind == 'literal':
            return value.payload
        if value.kind == 'text':
            return _convert_text(value.payload, ftype) if ftype else value.payload
        if value.kind == 'eval':
            return safe_eval(value.payload, self.eval_context)
        if value.kind == 'list':
            items = [self.resolve(item) for item in value.payload]
            return tuple(items) if value.type == 'tuple' else items
        if value.kind == 'ref':
            ids = [self.ref(value.payload)]
        elif value.kind == 'xmlids':
            ids = [self.ref(xmlid) for xmlid in value.payload]
        elif value.kind == 'search':
            model = value.model or comodel
            if not model:
                raise ValueError('search= needs a model= attribute here')
            if not _orm_has_model(self.env, model):
                raise ValueError('unknown model %r in search=' % model)
            domain = safe_eval(value.payload, self.eval_context)
            ids = list(_orm_search(self.env, model, domain).ids)
        else:
            raise ValueError('unknown value kind %r' % value.kind)
        if ftype in _X2MANY:
            return [(6, 0, ids)]
        if value.kind == 'xmlids' and len(ids) > 1:
            raise ValueError('%d external ids for a single-record field' % len(ids))
        return ids[0] if ids else False

    def run(self, op):
        getattr(self, 'run_' + op.kind)(op)

    def run_record(self, op):
        if not _orm_has_model(self.env, op.model):
            if op.model in WEB_CLIENT_MODELS:
                _logger.debug('%s:%s: %s record skipped (no web client)', self.filename, op.line, op.model)
                return
            raise ValueError('unknown model %r' % op.model)
        fields = _orm_fields(self.env, op.model)
        values = {}
        for name, value in op.values.items():
            if name not in fields:
                raise ValueError('model %r has no field %r' % (op.model, name))
            ftype, comodel = fields[name]
            try:
                values[name] = self.resolve(value, ftype, comodel)
            except Exception as exc:
                raise ValueError('field %r: %s' % (name, getattr(exc, 'message', exc))) from exc
        module, name = op.xmlid.split('.', 1) if op.xmlid else (self.module, None)
        _orm_load_record(self.env, module, name, op.model, values, op.noupdate, self.mode, op.forcecreate)

    def run_delete(self, op):
        if op.xmlid:
            _orm_delete_xmlid(self.env, *op.xmlid.split('.', 1))
        if op.search:
            _orm_unlink(_orm_search(self.env, op.model, safe_eval(op.search, self.eval_context)))

    def run_function(self, op):
        if op.noupdate and self.mode != 'init':
            return  # a noupdate function runs at install only
        args = self.resolve(op.args) if op.args is not None else ()
        if not isinstance(args, (list, tuple)):
            args = (args,)
        _orm_call(self.env, op.model, op.name, args)


def _describe(op):
    if op.kind == 'record':
        return 'record %s (%s)' % (op.xmlid or '<no id>', op.model)
    if op.kind == 'delete':
        return 'delete %s (%s)' % (op.xmlid or op.search, op.model)
    return 'function %s.%s' % (op.model, op.name)


def apply_operations(env, module, operations, mode, filename='<data>'):
    """Run parsed operations in order; any failure is a DataFileError with file and line."""
    if mode not in MODES:
        raise ValueError('mode must be one of %s, not %r' % (MODES, mode))
    applier = _Applier(env, module, mode, filename)
    for op in operations:
        try:
            applier.run(op)
        except DataFileError:
            raise
        except Exception as exc:
            # an unexpected error keeps its type: a bare KeyError would read as just "1"
            cause = exc.message if isinstance(exc, UserError) else '%s: %s' % (type(exc).__name__, exc)
            raise DataFileError(filename, op.line, '%s: %s' % (_describe(op), cause)) from exc


def load_data_file(env, module, relpath, mode, noupdate=False):
    """Load ``relpath`` (XML or CSV, relative to module ``module``'s folder) into ``env``.

    ``mode`` is ``'init'`` (install) or ``'update'`` (upgrade: records under ``noupdate`` are left
    as they are). Demo files are loaded with ``noupdate=True``. Returns the number of operations.
    """
    from openerp_lite.modules.module import get_module_path  # same layer; avoids an import cycle

    if mode not in MODES:
        raise ValueError('mode must be one of %s, not %r' % (MODES, mode))
    filename = '%s/%s' % (module, relpath)
    module_dir = get_module_path(module)
    if module_dir is None:
        raise DataFileError(filename, None, 'module %r is not in the addons path' % module)
    try:
        path = _inside(module_dir, relpath)
    except ValueError as exc:
        raise DataFileError(filename, None, str(exc))
    if not os.path.isfile(path):
        raise DataFileError(filename, None, 'file not found')
    extension = os.path.splitext(path)[1].lower()
    if extension == '.xml':
        operations = parse_xml_file(path, module, noupdate, filename, module_dir)
    elif extension == '.csv':
        operations = parse_csv_file(path, module, noupdate, filename)
    else:
        raise DataFileError(filename, None, 'unsupported data file type %r (use .xml or .csv)' % extension)
    _logger.debug('loading %s (%d operations, mode %s)', filename, len(operations), mode)
    apply_operations(env, module, operations, mode, filename)
    return len(operations)


# -- ORM adapter: the only code that calls the ORM ------------------------------------------------


def _orm_has_model(env, model):
    try:
        env[model]
    except KeyError:
        return False
    return True


def _orm_fields(env, model):
    """``{field name: (type, comodel name or None)}`` of ``model``."""
    return {name: (f.type, getattr(f, 'comodel_name', None)) for name, f in env[model]._fields.items()}


def _orm_xmlid_to_res_id(env, xmlid):
    return env['ir.model.data']._xmlid_to_res_id(xmlid, raise_if_not_found=True)


def _orm_load_record(env, module, name, model, values, noupdate, mode, forcecreate):
    return env['ir.model.data']._load_record(
        module, name, model, values, noupdate, mode, forcecreate=forcecreate
    )


def _orm_delete_xmlid(env, module, name):
    env['ir.model.data']._delete_xmlid_record(module, name)


def _orm_search(env, model, domain):
    return env[model].search(domain)


def _orm_unlink(records):
    records.unlink()


def _orm_call(env, model, method, args):
    return getattr(env[model], method)(*args)
