"""Custom models and fields: defined by database rows, not by code.

Odoo's external API lets an administrator create a model (an ``ir.model`` row with
``state = 'manual'`` and a name starting with ``x_``) and add fields to any model
(``ir.model.fields`` rows, ``state = 'manual'``, names starting with ``x_``). The loader reads
those rows in the transaction it loads the registry in and turns them into declaration classes,
composed like an addon's: one class per custom model, and one extension per model that custom
fields extend. A row that no longer makes sense (its comodel's module was uninstalled) is
skipped with a warning, never allowed to stop the registry from loading.

The same checks answer a client creating a row (:func:`field_problem`), so what loads is what
was accepted.
"""

import ast
import logging
import re

from ..orm import fields_basic, fields_relational
from ..orm.fields_base import Field
from ..orm.models import Model, TransientModel

_logger = logging.getLogger(__name__)

#: the pseudo-module custom models and fields belong to
MODULE = '__manual__'

MODEL_NAME = re.compile(r'^x_[a-z0-9_]+(\.[a-z0-9_]+)*$')
FIELD_NAME = re.compile(r'^x_[a-z0-9_]+$')
#: PostgreSQL truncates longer identifiers, so two names could end up one table or column
MAX_IDENTIFIER = 63

#: ``ttype`` → field class, for every type a custom field may have
FIELD_TYPES = {
    'char': fields_basic.Char,
    'text': fields_basic.Text,
    'html': fields_basic.Html,
    'integer': fields_basic.Integer,
    'float': fields_basic.Float,
    'monetary': fields_basic.Monetary,
    'boolean': fields_basic.Boolean,
    'date': fields_basic.Date,
    'datetime': fields_basic.Datetime,
    'selection': fields_basic.Selection,
    'binary': fields_basic.Binary,
    'many2one': fields_relational.Many2one,
    'one2many': fields_relational.One2many,
    'many2many': fields_relational.Many2many,
}
RELATIONAL = ('many2one', 'one2many', 'many2many')
ON_DELETE = ('set null', 'cascade', 'restrict')
#: PostgreSQL's largest ``varchar(n)``
MAX_CHAR_SIZE = 10485760

_FIELD_COLUMNS = (
    'id',
    'model',
    'name',
    'ttype',
    'field_description',
    'help',
    'required',
    'readonly',
    'index',
    'copied',
    'translate',
    'size',
    'relation',
    'relation_field',
    'relation_table',
    'column1',
    'column2',
    'on_delete',
    'domain',
    'currency_field',
)


def table_of(model_name):
    return model_name.replace('.', '_')


def parse_selection(text):
    """``[(value, label), ...]`` from the string form Odoo keeps in ``ir.model.fields.selection``
    (a Python literal); ValueError naming the problem otherwise."""
    try:
        value = ast.literal_eval(text) if isinstance(text, str) else text
    except (ValueError, SyntaxError) as error:
        raise ValueError(
            'the selection %r is not a list of (value, label) pairs (%s)' % (text, error)
        ) from None
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(part, str) for part in item)
        for item in value
    ):
        raise ValueError('the selection %r is not a list of (value, label) pairs of strings' % (text,))
    return [tuple(item) for item in value]


def parse_domain(text):
    """The domain of a relational custom field as a list, from the string Odoo keeps (a Python
    literal such as ``"[('active', '=', True)]"``); ValueError naming the problem otherwise.

    Only a literal: the ORM applies the domain when it reads the field, so an expression (of
    ``uid``, of the context) would have to be evaluated on the server for every read.
    """
    if text in (None, False, ''):
        return []
    try:
        value = ast.literal_eval(text) if isinstance(text, str) else text
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(
            'the domain %r is not a literal list of (field, operator, value) terms' % (text,)
        ) from None
    if not isinstance(value, (list, tuple)) or not all(
        item in ('&', '|', '!')
        or (isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str))
        for item in value
    ):
        raise ValueError('the domain %r is not a list of (field, operator, value) terms' % (text,))
    return [item if isinstance(item, str) else tuple(item) for item in value]


def read_definitions(cr):
    """``(models, fields, selections, groups)`` of the custom rows, read in the transaction of
    ``cr``: nothing for a database whose tables predate custom models."""
    cr.execute(
        'SELECT count(*) = 2 FROM information_schema.columns WHERE table_schema = '
        "current_schema() AND column_name = 'state' AND table_name IN "
        "('ir_model', 'ir_model_fields')"
    )
    if not cr.fetchone()[0]:
        return [], [], {}, {}
    cr.execute("SELECT model, name, transient FROM ir_model WHERE state = 'manual' ORDER BY id")
    models = cr.dictfetchall()
    cr.execute(
        "SELECT %s FROM ir_model_fields WHERE state = 'manual' ORDER BY id" % ', '.join(_FIELD_COLUMNS)
    )
    fields = cr.dictfetchall()
    selections = {}
    cr.execute("SELECT to_regclass('ir_model_fields_selection') IS NOT NULL")
    if cr.fetchone()[0]:
        cr.execute(
            'SELECT s.field_id, s.value, s.name FROM ir_model_fields_selection s JOIN '
            "ir_model_fields f ON f.id = s.field_id WHERE f.state = 'manual' "
            'ORDER BY s.sequence, s.id'
        )
        for field_id, value, label in cr.fetchall():
            selections.setdefault(field_id, []).append((value, label))
    groups = {}
    cr.execute("SELECT to_regclass('ir_model_fields_group_rel') IS NOT NULL")
    if cr.fetchone()[0]:
        # a group without an external id matches nobody: the field stays restricted
        cr.execute(
            "SELECT r.field_id, coalesce(d.module || '.' || d.name, '%s.no_such_group') "
            'FROM ir_model_fields_group_rel r LEFT JOIN ir_model_data d ON '
            "d.model = 'res.groups' AND d.res_id = r.group_id ORDER BY 2" % MODULE
        )
        for field_id, xmlid in cr.fetchall():
            groups.setdefault(field_id, []).append(xmlid)
    return models, fields, selections, groups


def declarations(definitions, loaded):
    """The declaration classes of the custom rows, to compose after the addons' own classes.

    ``loaded``: ``{model name: final class}`` of the addons, to check the rows against.
    """
    models, fields, selections, groups = definitions
    known = set(loaded)
    classes = []
    for row in models:
        if row['model'] in loaded:
            _logger.warning('custom model %s skipped: an addon declares a model of that name', row['model'])
            continue
        classes.append(
            _model_class(row, any(f['model'] == row['model'] and f['name'] == 'x_name' for f in fields))
        )
        known.add(row['model'])
    per_model = {}
    for row in fields:
        problem = field_problem(row, known, lambda model, name: _has_field(model, name, loaded, fields))
        if problem:
            _logger.warning('custom field %s.%s skipped: %s', row['model'], row['name'], problem)
            continue
        per_model.setdefault(row['model'], {})[row['name']] = make_field(
            row, selections.get(row['id']), groups.get(row['id'])
        )
    for model_name, attrs in per_model.items():
        attrs.update(_inherit=model_name, _module=MODULE, _register=False)
        classes.append(type('manual_fields_%s' % table_of(model_name), (Model,), attrs))
    return classes


def _model_class(row, has_name):
    base = TransientModel if row.get('transient') else Model
    return type(
        table_of(row['model']),
        (base,),
        {
            '_name': row['model'],
            '_description': row['model'],
            '_module': MODULE,
            '_register': False,
            '_custom': True,
            '_rec_name': 'x_name' if has_name else None,
        },
    )


def _has_field(model_name, field_name, loaded, rows):
    cls = loaded.get(model_name)
    if cls is not None and isinstance(getattr(cls, field_name, None), Field):
        return True
    return any(row['model'] == model_name and row['name'] == field_name for row in rows)


def field_problem(row, known_models, has_field):
    """Why the custom field ``row`` (a dict of ``ir.model.fields`` columns) cannot be built, or
    None. ``known_models``: the model names that exist; ``has_field(model, name)``: whether a
    model has a field."""
    name, ttype = row.get('name'), row.get('ttype')
    if not isinstance(name, str) or not FIELD_NAME.match(name) or len(name) > MAX_IDENTIFIER:
        return (
            'custom field names start with x_ and use lowercase letters, digits and '
            'underscores (at most %d characters): %r' % (MAX_IDENTIFIER, name)
        )
    if row.get('model') not in known_models:
        return 'model %r does not exist' % (row.get('model'),)
    if ttype not in FIELD_TYPES:
        return 'unknown field type %r (custom fields may be %s)' % (ttype, ', '.join(FIELD_TYPES))
    if ttype in RELATIONAL:
        problem = _relation_problem(row, known_models, has_field)
        if problem:
            return problem
    return _value_problem(row, has_field)


def _relation_problem(row, known_models, has_field):
    """Why the relational custom field ``row`` cannot be built, or None."""
    ttype = row['ttype']
    if row.get('relation') not in known_models:
        return 'a %s field needs the model it points to in "relation"; %r does not exist' % (
            ttype,
            row.get('relation'),
        )
    if ttype == 'one2many':
        inverse = row.get('relation_field')
        if not inverse or not has_field(row['relation'], inverse):
            return (
                'a one2many needs in "relation_field" a many2one of %s pointing back; %r is '
                'not a field of it' % (row['relation'], inverse)
            )
    if ttype == 'many2many':
        for key in ('relation_table', 'column1', 'column2'):
            value = row.get(key)
            if value and (not re.match(r'^[a-z_][a-z0-9_]*$', value) or len(value) > MAX_IDENTIFIER):
                return '%s %r is not a valid table or column name' % (key, value)
        table = row.get('relation_table')
        if table and not table.startswith('x_'):
            return 'the relation table of a custom many2many must start with x_ (%r)' % table
    if ttype == 'many2one' and (row.get('on_delete') or 'set null') not in ON_DELETE:
        return 'on_delete must be one of %s' % ', '.join(ON_DELETE)
    try:
        parse_domain(row.get('domain'))
    except ValueError as error:
        return str(error)
    return None


def _value_problem(row, has_field):
    """Why the values of custom field ``row`` cannot be stored as it says, or None."""
    size = row.get('size')
    if size not in (None, False) and (
        not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_CHAR_SIZE
    ):
        return 'size must be a whole number from 0 to %d, not %r' % (MAX_CHAR_SIZE, size)
    if row['ttype'] == 'monetary':
        currency = row.get('currency_field') or 'currency_id'
        if not has_field(row['model'], currency) and not has_field(row['model'], 'x_currency_id'):
            return (
                'a monetary field needs a many2one to res.currency on the model, named '
                'currency_id, x_currency_id or given in "currency_field"'
            )
    return None


def make_field(row, selection=None, groups=None):
    """The field object of custom field ``row``."""
    ttype = row['ttype']
    args = {
        'string': row.get('field_description') or row['name'],
        'help': row.get('help') or None,
        'required': bool(row.get('required')),
        'readonly': bool(row.get('readonly')),
        'index': bool(row.get('index')),
        'copy': bool(row.get('copied')),
        'manual': True,
    }
    if groups:
        args['groups'] = ','.join(groups)
    if ttype in ('char', 'text', 'html'):
        args['translate'] = bool(row.get('translate'))
    if ttype == 'char' and row.get('size'):
        args['size'] = row['size']
    if ttype == 'selection':
        args['selection'] = selection or []
    if ttype in RELATIONAL:
        args['comodel_name'] = row['relation']
        domain = parse_domain(row.get('domain'))
        if domain:
            args['domain'] = domain
    if ttype == 'many2one':
        args['ondelete'] = row.get('on_delete') or 'set null'
    elif ttype == 'one2many':
        args['inverse_name'] = row['relation_field']
    elif ttype == 'many2many':
        for key, arg in (('relation_table', 'relation'), ('column1', 'column1'), ('column2', 'column2')):
            if row.get(key):
                args[arg] = row[key]
    elif ttype == 'monetary':
        args['currency_field'] = row.get('currency_field') or 'currency_id'
    elif ttype == 'binary':
        args['attachment'] = True
    return FIELD_TYPES[ttype](**args)
