"""``read_group``: aggregates of the records matching a domain, grouped by fields or date periods.

One SQL query with GROUP BY; record rules and ``active_test`` apply as for ``search``. Group and
aggregate names are checked against the model and a fixed list of functions before they reach SQL.
"""

import datetime
import re

from ..exceptions import AccessError, UserError
from . import api
from .rpc import rpc

AGGREGATES = ('sum', 'avg', 'min', 'max', 'count', 'count_distinct', 'bool_and', 'bool_or', 'array_agg')
INTERVALS = {
    'day': ('day', '%d %b %Y'),
    'week': ('week', 'W%W %Y'),
    'month': ('month', '%B %Y'),
    'quarter': ('quarter', None),
    'year': ('year', '%Y'),
}
FIELD_SPEC = re.compile(r'^(\w+)(?::(\w+)(?:\((\w+)\))?)?$')
GROUP_SPEC = re.compile(r'^(\w+)(?::(\w+))?$')
NUMERIC = ('integer', 'float', 'monetary')


class GroupMixin:
    def _group_spec(self, spec):
        match = GROUP_SPEC.match(spec.strip()) if isinstance(spec, str) else None
        if not match:
            raise UserError('Invalid groupby %r' % (spec,))
        name, interval = match.groups()
        field = self._fields.get(name)
        if field is None or not field.column or field.internal:
            raise UserError('Cannot group %s by %r: not a stored field' % (self._name, name))
        if not self._field_allowed(field):
            raise AccessError('You do not have access to field %r of model %s' % (name, self._name))
        if field.type in ('date', 'datetime'):
            interval = interval or 'month'
            if interval not in INTERVALS:
                raise UserError('Invalid date interval %r (use %s)' % (interval, ', '.join(INTERVALS)))
        elif interval:
            raise UserError('Only date fields take an interval, not %s' % name)
        return spec.strip(), name, field, interval

    def _aggregate_specs(self, fields, group_names):
        result = []
        for spec in fields or []:
            match = FIELD_SPEC.match(spec.strip()) if isinstance(spec, str) else None
            if not match:
                raise UserError('Invalid field specification %r' % (spec,))
            alias, func, source = match.groups()
            name = source or alias
            if name in group_names or name == '__count':
                continue
            field = self._fields.get(name)
            if field is None:
                raise UserError('Invalid field %r on model %r' % (name, self._name))
            if not self._field_allowed(field):
                raise AccessError('You do not have access to field %r of model %s' % (name, self._name))
            if not field.column:
                continue
            func = func or field.group_operator or (field.type in NUMERIC and 'sum') or None
            if func is None:
                continue
            if func not in AGGREGATES:
                raise UserError('Invalid aggregate function %r' % func)
            result.append((alias, name, func))
        return result

    @api.model
    @rpc('read', rules=False, params=('domain', 'fields', 'groupby', 'offset', 'limit', 'orderby', 'lazy'))
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Rows of ``{group values, <group>_count or __count, aggregates, __domain}``."""
        self.check_access_rights('read')
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if not groupby:
            raise UserError('read_group needs at least one groupby')
        specs = [self._group_spec(g) for g in (groupby[:1] if lazy else groupby)]
        aggregates = self._aggregate_specs(fields, {s[1] for s in specs})
        table = self._table
        where, params = self._where_calc(domain or [])
        select, group_exprs = [], []
        for position, (_spec, _name, field, interval) in enumerate(specs):
            column = field.column_sql(table, self.env)
            if interval:
                column = "date_trunc('%s', %s)" % (INTERVALS[interval][0], column)
            elif field.type == 'boolean':
                # NULL is False for a boolean (``= False`` selects both): one group, whose
                # __domain then counts what the group counts
                column = 'COALESCE(%s, false)' % column
            group_exprs.append(column)
            select.append('%s AS g%d' % (column, position))
        select.append('count(*) AS __count')
        for position, (_alias, name, func) in enumerate(aggregates):
            column = '"%s"."%s"' % (table, name)
            expr = 'count(DISTINCT %s)' % column if func == 'count_distinct' else '%s(%s)' % (func, column)
            select.append('%s AS a%d' % (expr, position))
        order = self._group_order(orderby, specs, aggregates)
        query = 'SELECT %s FROM "%s" WHERE %s GROUP BY %s ORDER BY %s' % (
            ', '.join(select),
            table,
            where,
            ', '.join(group_exprs),
            order,
        )
        if limit:
            query += ' LIMIT %d' % int(limit)
        if offset:
            query += ' OFFSET %d' % int(offset)
        self.env.cr.execute(query, params)
        rows = self.env.cr.fetchall()
        return self._group_rows(rows, specs, aggregates, domain or [], lazy, groupby)

    def _group_order(self, orderby, specs, aggregates):
        positions = {spec[0]: 'g%d' % i for i, spec in enumerate(specs)}
        positions.update({spec[1]: 'g%d' % i for i, spec in enumerate(specs)})
        positions.update({alias: 'a%d' % i for i, (alias, _n, _f) in enumerate(aggregates)})
        positions['__count'] = '__count'
        if not orderby:
            return ', '.join('g%d' % i for i in range(len(specs)))
        terms = []
        for part in str(orderby).split(','):
            words = part.split()
            if (
                not words
                or len(words) > 2
                or words[0] not in positions
                or (len(words) == 2 and words[1].lower() not in ('asc', 'desc'))
            ):
                raise UserError('Invalid orderby %r for read_group' % orderby)
            terms.append('%s %s' % (positions[words[0]], words[1].upper() if len(words) == 2 else 'ASC'))
        return ', '.join(terms)

    def _group_rows(self, rows, specs, aggregates, domain, lazy, groupby):
        m2o_ids = {}
        for position, (_spec, _name, field, _interval) in enumerate(specs):
            if field.type == 'many2one':
                m2o_ids[position] = sorted({row[position] for row in rows if row[position]})
        labels = {}
        for position, ids in m2o_ids.items():
            comodel = self.env[specs[position][2].comodel_name].sudo().browse(ids)
            labels[position] = dict(comodel.exists().name_get())
        result = []
        count_key = ('%s_count' % specs[0][1]) if lazy else '__count'
        for row in rows:
            values = {}
            group_domain = list(domain)
            for position, (spec, name, field, interval) in enumerate(specs):
                raw = row[position]
                key = spec if interval else name
                if field.type == 'many2one':
                    values[key] = [raw, labels[position].get(raw, '')] if raw else False
                    group_domain = group_domain + [(name, '=', raw or False)]
                elif interval:
                    values[key], range_domain = self._period(field, interval, raw)
                    group_domain = group_domain + range_domain
                else:
                    values[key] = raw if raw is not None else False
                    group_domain = group_domain + [(name, '=', values[key])]
            values[count_key] = row[len(specs)]
            for position, (alias, _name, _func) in enumerate(aggregates):
                value = row[len(specs) + 1 + position]
                values[alias] = float(value) if hasattr(value, 'as_tuple') else value
            values['__domain'] = group_domain
            if lazy and len(groupby) > 1:
                values['__context'] = {'group_by': groupby[1:]}
            result.append(values)
        return result

    @staticmethod
    def _period(field, interval, start):
        if start is None:
            return False, [(field.name, '=', False)]
        if interval == 'day':
            end = start + datetime.timedelta(days=1)
        elif interval == 'week':
            end = start + datetime.timedelta(days=7)
        elif interval == 'month':
            end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        elif interval == 'quarter':
            month = start.month + 3
            end = start.replace(year=start.year + (month - 1) // 12, month=(month - 1) % 12 + 1)
        else:
            end = start.replace(year=start.year + 1)
        fmt = INTERVALS[interval][1]
        label = 'Q%d %d' % ((start.month - 1) // 3 + 1, start.year) if fmt is None else start.strftime(fmt)
        text = '%Y-%m-%d' if field.type == 'date' else '%Y-%m-%d %H:%M:%S'
        return label, ['&', (field.name, '>=', start.strftime(text)), (field.name, '<', end.strftime(text))]
