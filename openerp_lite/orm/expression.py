"""Domains to SQL.

A domain is a list in prefix notation: ``'&'``, ``'|'`` (two operands), ``'!'`` (one operand) and
leaves ``(path, operator, value)``; consecutive terms are implicitly and-ed. Field paths may go
through relations with dots. Every value becomes a query parameter; field names are looked up
in the model and operators in :data:`OPERATORS`, so nothing from the wire reaches SQL text
unvalidated. Paths through a relation compile to a sub-select on the target model, built by that
model with its own record rules and ``active_test``, so a dotted domain never reveals rows the
user could not search directly.
"""

from ..exceptions import AccessError, UserError

AND, OR, NOT = '&', '|', '!'
TRUE_LEAF, FALSE_LEAF = (1, '=', 1), (0, '=', 1)
TRUE_SQL, FALSE_SQL = 'TRUE', 'FALSE'

OPERATORS = (
    '=',
    '!=',
    '<>',
    '<=',
    '<',
    '>',
    '>=',
    '=?',
    '=like',
    '=ilike',
    'like',
    'not like',
    'ilike',
    'not ilike',
    'in',
    'not in',
    'child_of',
    'parent_of',
)
NEGATIVE = ('!=', 'not like', 'not ilike', 'not in')
SCALAR_TYPES = (str, int, float, bool, type(None))
#: most terms (operators and leaves) a domain may have
MAX_TERMS = 100000


class DomainError(UserError):
    """A domain that cannot be understood: wrong shape, unknown field or operator."""


def _is_leaf(term):
    return (
        isinstance(term, (list, tuple))
        and len(term) == 3
        and (isinstance(term[0], str) or tuple(term) in (TRUE_LEAF, FALSE_LEAF))
    )


def normalize(domain):
    """Make every ``&`` explicit and check the arity; returns a new list.

    Refuses domains of more than :data:`MAX_TERMS` terms: the request size limit already bounds
    them, this keeps the work per call bounded whatever that limit is set to.
    """
    if domain is None or domain is False:
        return []
    if not isinstance(domain, (list, tuple)):
        raise DomainError('A domain must be a list, got %r' % (domain,))
    if len(domain) > MAX_TERMS:
        raise DomainError('Domain too large: %d terms (at most %d)' % (len(domain), MAX_TERMS))
    terms = []
    implicit_ands = 0
    expected = 1
    for term in domain:
        if expected == 0:
            # consecutive expressions are and-ed: the '&' they need all go in front
            implicit_ands += 1
            expected = 1
        if isinstance(term, str) and term in (AND, OR):
            expected += 1
        elif isinstance(term, str) and term == NOT:
            pass
        elif _is_leaf(term):
            expected -= 1
            term = tuple(term)
        else:
            raise DomainError('Invalid domain term %r' % (term,))
        terms.append(term)
    if expected > 0 and terms:
        raise DomainError('Domain %r has an operator without enough operands' % (domain[:20],))
    return [AND] * implicit_ands + terms


def _check_value(value, depth=0):
    if isinstance(value, SCALAR_TYPES):
        return
    if isinstance(value, (list, tuple)) and depth == 0:
        for item in value:
            _check_value(item, 1)
        return
    raise DomainError('Invalid value %r in domain' % (value,))


class Compiler:
    """Compiles one domain of one model to a SQL condition on ``alias``."""

    def __init__(self, model, alias):
        self.model = model
        self.alias = alias
        self.params = []

    def compile(self, domain):
        terms = normalize(domain)
        if not terms:
            return TRUE_SQL, []
        # Terms are compiled right to left, so each stack entry carries its own parameters and
        # they are concatenated in the order their SQL text appears.
        stack = []
        for term in reversed(terms):
            if term in (AND, OR):
                (left, left_params), (right, right_params) = stack.pop(), stack.pop()
                stack.append(
                    ('(%s %s %s)' % (left, 'AND' if term == AND else 'OR', right), left_params + right_params)
                )
            elif term == NOT:
                sql, params = stack.pop()
                stack.append(('(NOT COALESCE(%s, FALSE))' % sql, params))
            else:
                start = len(self.params)
                sql = self._leaf(term)
                stack.append((sql, self.params[start:]))
                del self.params[start:]
        sql, self.params = stack[0]
        return sql, self.params

    # -- leaves ----------------------------------------------------------------------------------
    def _leaf(self, leaf):
        if leaf == TRUE_LEAF:
            return TRUE_SQL
        if leaf == FALSE_LEAF:
            return FALSE_SQL
        path, operator, value = self._checked_leaf(leaf)
        if operator == '=?':
            if value is None or value is False:
                return TRUE_SQL
            operator = '='
        name, _, rest = path.partition('.')
        field = self._searched_field(name)
        if rest:
            return self._path_leaf(field, name, rest, operator, value)
        if operator in ('child_of', 'parent_of'):
            return self._hierarchy_leaf(field, name, operator, value)
        if field is None:
            return self._column_leaf(None, self._col(name), operator, value)
        if field.type in ('one2many', 'many2many'):
            return self._x2many_leaf(field, operator, value)
        if not field.column:
            return self._computed_leaf(field, operator, value)
        if field.type == 'many2one' and self._is_name_value(operator, value):
            return self._many2one_name_leaf(field, name, operator, value)
        return self._column_leaf(field, field.column_sql(self.alias, self.model.env), operator, value)

    @staticmethod
    def _checked_leaf(leaf):
        """``(path, operator, value)`` of a leaf, its operator normalised, or a DomainError."""
        path, operator, value = leaf
        if not isinstance(operator, str) or operator.lower() not in OPERATORS:
            raise DomainError('Invalid operator %r in domain' % (operator,))
        operator = operator.lower()
        if operator == '<>':
            operator = '!='
        if not path or not isinstance(path, str):
            raise DomainError('Invalid field name %r in domain' % (path,))
        if hasattr(value, '_ids'):  # a recordset from Python code
            value = list(value.ids)
        _check_value(value)
        return path, operator, value

    def _searched_field(self, name):
        """The field ``name`` of the model (None for ``id``), once the caller may search it."""
        if name == 'id':
            return None
        model = self.model
        field = model._fields.get(name)
        if field is None or field.internal:
            raise DomainError('Invalid field %r in domain of model %s' % (name, model._name))
        if not model._field_allowed(field):
            # searching a field is reading it, one comparison at a time
            raise AccessError('You do not have access to field %r of model %s' % (name, model._name))
        return field

    def _many2one_name_leaf(self, field, name, operator, value):
        sub = self.model.env[field.comodel_name]._name_search_subquery(operator, value)
        if operator in NEGATIVE:
            # OpenERP adds False to the ids a negative name search finds: an empty many2one is
            # "not like" any name
            return '(%s IN (%s) OR %s IS NULL)' % (self._col(name), self._take(sub), self._col(name))
        return '%s IN (%s)' % (self._col(name), self._take(sub))

    def _col(self, name):
        return '"%s"."%s"' % (self.alias, name)

    def _take(self, subquery):
        sql, params = subquery
        self.params.extend(params)
        return sql

    @staticmethod
    def _is_name_value(operator, value):
        if operator in ('like', 'ilike', 'not like', 'not ilike', '=like', '=ilike'):
            return True
        if isinstance(value, str):
            return True
        return isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value)

    def _column_leaf(self, field, column, operator, value):
        ftype = field.type if field is not None else 'integer'
        if field is not None and value not in (None, False) and not isinstance(value, (list, tuple)):
            value = self._convert(field, value)
        elif isinstance(value, (list, tuple)) and field is not None:
            value = [self._convert(field, v) if v not in (None, False) else v for v in value]
        if operator in ('in', 'not in'):
            return self._in_leaf(column, operator, value, ftype)
        if isinstance(value, (list, tuple)):
            if operator in ('=', '!='):
                return self._in_leaf(column, 'in' if operator == '=' else 'not in', value, ftype)
            raise DomainError('Operator %r does not take a list' % operator)
        if value is None or (value is False and ftype != 'boolean'):
            if operator == '=':
                return '%s IS NULL' % column
            if operator == '!=':
                return '%s IS NOT NULL' % column
            if operator in ('like', 'ilike', '=like', '=ilike'):
                return FALSE_SQL if ftype != 'char' else '%s IS NULL' % column
        if ftype == 'boolean' and operator in ('=', '!='):
            truth = bool(value) if operator == '=' else not bool(value)
            return ('%s = TRUE' % column) if truth else '(%s IS NULL OR %s = FALSE)' % (column, column)
        if operator in ('like', 'ilike', 'not like', 'not ilike'):
            self.params.append('%%%s%%' % value)
            sql_op = operator.upper()
        elif operator in ('=like', '=ilike'):
            self.params.append(value)
            sql_op = operator[1:].upper()
        else:
            self.params.append(value)
            sql_op = operator
        cast = '::text' if operator.endswith('like') else ''
        if operator in NEGATIVE or (operator in ('like', 'ilike') and value == ''):
            # ``like ''`` matches every row, the empty ones included, as in OpenERP
            return '(%s%s %s %%s OR %s IS NULL)' % (column, cast, sql_op, column)
        return '%s%s %s %%s' % (column, cast, sql_op)

    def _in_leaf(self, column, operator, values, ftype):
        if not isinstance(values, (list, tuple)):
            values = [values]
        if ftype == 'boolean':
            # NULL is false for a boolean, as with ``= False``: False in the list also takes NULL
            values = [bool(v) for v in values if v is not None]
            has_null = False in values
        else:
            has_null = any(v is None or v is False for v in values)
            values = [v for v in values if not (v is None or v is False)]
        parts = []
        if values:
            self.params.append(list(values))
            parts.append('%s = ANY(%%s)' % column)
        if operator == 'in':
            if has_null:
                parts.append('%s IS NULL' % column)
            return '(%s)' % ' OR '.join(parts) if parts else FALSE_SQL
        if not values:
            return '%s IS NOT NULL' % column if has_null else TRUE_SQL
        parts = ['NOT (%s = ANY(%%s))' % column]
        return '(%s)' % (parts[0] if has_null else '%s OR %s IS NULL' % (parts[0], column))

    @staticmethod
    def _convert(field, value):
        if field.type in ('date', 'datetime') and value:
            return field.convert_to_column(value)
        return value

    # -- relations -------------------------------------------------------------------------------
    def _path_leaf(self, field, name, rest, operator, value):
        if field is None or field.type not in ('many2one', 'one2many', 'many2many'):
            raise DomainError(
                'Field %r of %s is not relational, it cannot be followed by %r'
                % (name, self.model._name, rest)
            )
        comodel = self.model.env[field.comodel_name]
        sub = comodel._search_subquery([(rest, operator, value)])
        if field.type == 'many2one':
            return '%s IN (%s)' % (self._col(name), self._take(sub))
        return '"%s".id IN (%s)' % (self.alias, self._take(self._x2many_ids_of(field, sub)))

    def _x2many_ids_of(self, field, comodel_subquery):
        """Ids of this model linked through ``field`` to the comodel ids of a sub-select."""
        sql, params = comodel_subquery
        if field.type == 'one2many':
            return (
                'SELECT "%s" FROM "%s" WHERE id IN (%s) AND "%s" IS NOT NULL'
                % (field.inverse_name, field.comodel_name.replace('.', '_'), sql, field.inverse_name),
                params,
            )
        return (
            'SELECT "%s" FROM "%s" WHERE "%s" IN (%s)' % (field.column1, field.relation, field.column2, sql),
            params,
        )

    def _x2many_leaf(self, field, operator, value):
        comodel = self.model.env[field.comodel_name]
        if value is False or value is None or value == []:
            if operator in ('=', 'in'):
                return '"%s".id NOT IN (%s)' % (
                    self.alias,
                    self._take(self._x2many_ids_of(field, ('SELECT id FROM "%s"' % comodel._table, []))),
                )
            if operator in ('!=', 'not in'):
                return '"%s".id IN (%s)' % (
                    self.alias,
                    self._take(self._x2many_ids_of(field, ('SELECT id FROM "%s"' % comodel._table, []))),
                )
        if self._is_name_value(operator, value):
            sub = comodel._name_search_subquery(operator, value)
        else:
            positive = {'!=': '=', 'not in': 'in'}.get(operator, operator)
            sub = comodel._search_subquery([('id', positive, value)], active_test=False)
            if positive != operator:
                return '"%s".id NOT IN (%s)' % (self.alias, self._take(self._x2many_ids_of(field, sub)))
        return '"%s".id IN (%s)' % (self.alias, self._take(self._x2many_ids_of(field, sub)))

    def _hierarchy_leaf(self, field, name, operator, value):
        model = self.model
        parent = model._parent_name
        if field is not None and not getattr(field, 'comodel_name', None):
            raise DomainError('%s applies to id and relational fields, not to %r' % (operator, name))
        target = model.env[field.comodel_name] if field is not None else model
        if parent not in target._fields:
            raise DomainError('Model %s has no %r field for %s' % (target._name, parent, operator))
        if self._is_name_value('=', value):
            ids = [r[0] for r in target._name_search_ids(value)]
        else:
            ids = list(value) if isinstance(value, (list, tuple)) else [value]
        try:
            ids = [int(i) for i in ids if i]
        except (TypeError, ValueError):
            raise DomainError('Invalid value %r for %s: expected record ids or a name' % (value, operator))
        table = target._table
        if operator == 'child_of':
            walk = (
                'WITH RECURSIVE t(id) AS (SELECT id FROM "%s" WHERE id = ANY(%%s) UNION '
                'SELECT c.id FROM "%s" c JOIN t ON c."%s" = t.id) SELECT id FROM t' % (table, table, parent)
            )
        else:
            walk = (
                'WITH RECURSIVE t(id, parent) AS (SELECT id, "%s" FROM "%s" WHERE id = ANY(%%s) '
                'UNION SELECT p.id, p."%s" FROM "%s" p JOIN t ON p.id = t.parent) SELECT id FROM t'
                % (parent, table, parent, table)
            )
        self.params.append(ids)
        column = '"%s".id' % self.alias if name == 'id' else self._col(name)
        return '%s IN (%s)' % (column, walk)

    def _computed_leaf(self, field, operator, value):
        search = getattr(field, 'search', None)
        if search:
            domain = getattr(self.model, search)(operator, value)
            sub = self.model._search_subquery(domain, active_test=False)
            return '"%s".id IN (%s)' % (self.alias, self._take(sub))
        if getattr(field, 'related_path', None):
            return self._leaf(('.'.join(field.related_path), operator, value))
        raise DomainError('Field %s is not stored and cannot be searched' % field)
