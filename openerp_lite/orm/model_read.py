"""Reading: search, read, name_get/name_search, fields_get, and the batched fetch behind them.

Reading or searching N records costs a constant number of queries: columns of all prefetched
records in one SELECT, each x2many field in one more, many2one display names in one per target
model.
"""

import re

from ..exceptions import AccessError, MissingError, UserError
from . import api, expression
from .rpc import rpc

ORDER_TERM = re.compile(
    r'^\s*(?:"([a-z0-9_]+)"|([a-z0-9_]+))(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$', re.I
)
DEFAULT_LOAD = '_classic_read'


class ReadMixin:
    # -- queries ---------------------------------------------------------------------------------
    def _where_calc(self, domain, active_test=None, alias=None):
        """``(where_sql, params)`` for ``domain`` plus ``active_test`` and the record rules."""
        alias = alias or self._table
        domain = list(domain or [])
        if active_test is None:
            active_test = self.env.context.get('active_test', True)
        if (
            active_test
            and 'active' in self._fields
            and self._fields['active'].column
            and not self._domain_mentions(domain, 'active')
        ):
            domain = ['&', ('active', '=', True)] + (domain if domain else [expression.TRUE_LEAF])
        sql, params = expression.Compiler(self, alias).compile(domain)
        rule = self._rule_domain('read')
        if rule is not None:
            rule_sql, rule_params = expression.Compiler(self.sudo(), alias).compile(rule)
            sql, params = '(%s) AND (%s)' % (sql, rule_sql), params + rule_params
        return sql, params

    @staticmethod
    def _domain_mentions(domain, name):
        return any(
            isinstance(t, (list, tuple))
            and len(t) == 3
            and isinstance(t[0], str)
            and t[0].split('.')[0] == name
            for t in domain
        )

    def _search_subquery(self, domain, active_test=None):
        """A sub-select of the ids matching ``domain``, as this model's user may see them."""
        self.check_access_rights('read')
        where, params = self._where_calc(domain, active_test=active_test)
        return 'SELECT "%s".id FROM "%s" WHERE %s' % (self._table, self._table, where), params

    def _name_search_subquery(self, operator, value):
        name = self._rec_name_field()
        if isinstance(value, (list, tuple)):
            domain = [(name, 'in' if operator in ('=', 'in') else 'not in', list(value))]
        else:
            domain = [(name, operator, value)]
        return self._search_subquery(domain)

    def _name_search_ids(self, name):
        return [(rid,) for rid in self.search([(self._rec_name_field(), 'ilike', name)]).ids]

    def _rule_domain(self, mode):
        """The record-rule domain restricting this user's ``mode`` access, or None."""
        if self.env.su:
            return None
        domain = None
        if 'ir.rule' in self.env.registry.models:
            domain = self.env['ir.rule']._compute_domain(self._name, mode)
        if self._transient:
            own = [('create_uid', '=', self.env.uid)]
            domain = own if not domain else ['&'] + own + list(domain)
        return domain

    def _order_by(self, order, alias):
        """Validated ``ORDER BY`` text and the joins it needs; refuses anything unexpected."""
        order = order or self._order or 'id'
        if not isinstance(order, str):
            raise AccessError('Invalid "order" specified (%r).' % (order,))
        terms, joins = [], []
        for part in order.split(','):
            match = ORDER_TERM.match(part)
            if not match:
                raise AccessError(
                    'Invalid "order" specified (%r). A valid "order" is a '
                    'comma-separated list of field names, each optionally followed '
                    'by asc or desc.' % order
                )
            name = match.group(1) or match.group(2)
            direction, nulls = (match.group(3) or 'asc').upper(), match.group(4)
            suffix = ' %s' % direction + (' NULLS %s' % nulls.upper() if nulls else '')
            if name == 'id':
                terms.append('"%s".id%s' % (alias, suffix))
                continue
            field = self._fields.get(name)
            if field is None or field.internal:
                raise AccessError(
                    'Invalid "order" specified: field %r does not exist on model %s' % (name, self._name)
                )
            if not self._field_allowed(field):
                raise AccessError('You do not have access to field %r of model %s' % (name, self._name))
            if field.type == 'many2one' and field.column:
                comodel = self.env[field.comodel_name]
                rec = comodel._rec_name_field()
                if rec in comodel._fields and not comodel._field_allowed(comodel._fields[rec]):
                    rec = 'id'  # sorting by a name the caller may not read would reveal it
                join_alias = '%s__%s' % (alias, name)
                joins.append(
                    'LEFT JOIN "%s" AS "%s" ON "%s"."%s" = "%s".id'
                    % (comodel._table, join_alias, alias, name, join_alias)
                )
                target = comodel._fields.get(rec)
                terms.append(
                    '%s%s'
                    % (
                        target.column_sql(join_alias, self.env)
                        if target is not None and target.column
                        else '"%s".id' % join_alias,
                        suffix,
                    )
                )
            elif field.column:
                terms.append('%s%s' % (field.column_sql(alias, self.env), suffix))
            elif self._sortable_through(field):
                # a field taken over through a many2one (``_inherits``, a related field): the
                # stored column of the record the link points to
                link, target = field.related_path
                comodel = self.env[self._fields[link].comodel_name]
                join_alias = '%s__%s' % (alias, link)
                joins.append(
                    'LEFT JOIN "%s" AS "%s" ON "%s"."%s" = "%s".id'
                    % (comodel._table, join_alias, alias, link, join_alias)
                )
                terms.append('%s%s' % (comodel._fields[target].column_sql(join_alias, self.env), suffix))
            # other non-stored fields cannot be sorted in SQL: skipped, as OpenERP does
        if not terms or terms[-1].split('"')[3:4] != ['id']:
            terms.append('"%s".id' % alias)
        return ', '.join(terms), ' '.join(dict.fromkeys(joins))

    def _sortable_through(self, field):
        path = getattr(field, 'related_path', None)
        if not path or len(path) != 2:
            return False
        link = self._fields.get(path[0])
        if link is None or link.type != 'many2one' or not link.column:
            return False
        target = self.env[link.comodel_name]._fields.get(path[1])
        return bool(
            target is not None
            and target.column
            and target.type != 'many2one'
            and self.env[link.comodel_name]._field_allowed(target)
        )

    def _search(self, domain, offset=0, limit=None, order=None, count=False):
        self.check_access_rights('read')
        where, params = self._where_calc(domain)
        table = self._table
        if count:
            self.env.cr.execute('SELECT count(1) FROM "%s" WHERE %s' % (table, where), params)
            return self.env.cr.fetchone()[0]
        order_sql, joins = self._order_by(order, table)
        query = 'SELECT "%s".id FROM "%s" %s WHERE %s ORDER BY %s' % (table, table, joins, where, order_sql)
        if limit:
            query += ' LIMIT %d' % int(limit)
        if offset:
            query += ' OFFSET %d' % int(offset)
        self.env.cr.execute(query, params)
        return [row[0] for row in self.env.cr.fetchall()]

    # ``search`` and ``search_count`` keep a default domain for the server's own code, but a
    # client must send one (``required``), as Odoo and OpenERP 7 ask: a call that forgot its
    # domain is a mistake, not a wish for every record. ``search_read``'s domain is optional.
    @api.model
    @rpc('read', rules=False, params=('domain', 'offset', 'limit', 'order', 'count'), required=('domain',))
    def search(self, domain=None, offset=0, limit=None, order=None, count=False):
        """Records matching ``domain`` (or their number with ``count=True``)."""
        for name, value in (('offset', offset), ('limit', limit)):
            if value not in (None, False) and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise UserError('Invalid %s %r: expected a non-negative integer' % (name, value))
        result = self._search(domain or [], offset or 0, limit or None, order or None, count)
        if count:
            return result
        return self.browse(result)

    @api.model
    @rpc('read', rules=False, params=('domain',), required=('domain',))
    def search_count(self, domain=None):
        return self._search(domain or [], count=True)

    @api.model
    @rpc('read', rules=False, params=('domain', 'fields', 'offset', 'limit', 'order'))
    def search_read(self, domain=None, fields=None, offset=0, limit=None, order=None):
        self._readable_fields(fields)  # a field the caller may not read is refused, rows or not
        records = self.search(domain or [], offset=offset, limit=limit, order=order)
        if not records:
            return []
        return records.read(fields)

    # -- fetching into the cache -----------------------------------------------------------------
    def _get_cached_value(self, field):
        rid = self._ids[0]
        values = self.env.cache.get((self._name, field.name))
        if values is None or rid not in values:
            self._fetch_field(field)
            values = self.env.cache.get((self._name, field.name), {})
            if rid not in values:
                raise self._missing_error([rid])
        return values[rid]

    def _cache_set(self, field_name, values_by_id):
        self.env.cache.setdefault((self._name, field_name), {}).update(values_by_id)

    def _fetch_field(self, field):
        cached = self.env.cache.get((self._name, field.name), {})
        ids = [rid for rid in self._prefetch_ids if rid not in cached] or list(self._ids)
        records = self.browse(ids[:1000] if self._ids[0] in ids[:1000] else self._ids)
        if field.column or field.name == 'id':
            names = [
                f.name
                for f in self._fields.values()
                if f.column and f.name != 'id' and (f.prefetch or f is field)
            ]
            records._read_columns(names)
        elif field.type in ('one2many', 'many2many'):
            records._read_x2many(field)
        else:
            records._compute_into_cache(field)

    def _read_columns(self, names):
        """Fetch stored columns of these records into the cache, enforcing record rules."""
        ids = list(self._ids)
        if not ids:
            return
        columns = ', '.join(['id'] + ['"%s"' % name for name in names])
        where, params = 'id = ANY(%s)', [ids]
        rule = self._rule_domain('read')
        if rule is not None:
            rule_sql, rule_params = expression.Compiler(self.sudo(), self._table).compile(rule)
            where, params = '%s AND (%s)' % (where, rule_sql), params + rule_params
        self.env.cr.execute('SELECT %s FROM "%s" WHERE %s' % (columns, self._table, where), params)
        rows = self.env.cr.fetchall()
        env = self.env
        for position, name in enumerate(names, 1):
            field = self._fields[name]
            self._cache_set(name, {row[0]: field.convert_to_cache(row[position], env) for row in rows})
        self._cache_set('id', {row[0]: row[0] for row in rows})
        if rule is not None and len(rows) < len(set(ids)):
            found = {row[0] for row in rows}
            forbidden = [rid for rid in self.browse([i for i in ids if i not in found]).exists().ids]
            if forbidden:
                raise AccessError(
                    'The requested operation cannot be completed due to security '
                    'restrictions (record rules).\n(Document type: %s, Operation: read,'
                    ' Records: %s)' % (self._name, forbidden[:10])
                )

    def _read_x2many(self, field):
        ids = list(self._ids)
        comodel = self.env[field.comodel_name]
        result = {rid: [] for rid in ids}
        if field.type == 'one2many':
            domain = [(field.inverse_name, 'in', ids)] + list(field.domain or [])
            lines = comodel.search(domain)
            if lines:
                lines._read_columns([field.inverse_name])
                inverse = self.env.cache[(comodel._name, field.inverse_name)]
                for line_id in lines._ids:
                    owner = inverse.get(line_id)
                    if owner in result:
                        result[owner].append(line_id)
        else:
            visible, params = comodel._search_subquery(list(field.domain or []))
            order_sql, joins = comodel._order_by(None, 'c')
            if joins:
                order_sql = 'c.id'
            self.env.cr.execute(
                'SELECT r."%s", r."%s" FROM "%s" r JOIN "%s" c ON c.id = r."%s" '
                'WHERE r."%s" = ANY(%%s) AND c.id IN (%s) ORDER BY %s'
                % (
                    field.column1,
                    field.column2,
                    field.relation,
                    comodel._table,
                    field.column2,
                    field.column1,
                    visible,
                    order_sql,
                ),
                [ids] + params,
            )
            for owner, target in self.env.cr.fetchall():
                result[owner].append(target)
        self._cache_set(field.name, {rid: tuple(values) for rid, values in result.items()})

    def _compute_siblings(self, field):
        """The fields computed by the same method as ``field`` (itself included): one run of the
        method assigns them all."""
        if not isinstance(field.compute, str):
            return [field]
        return [f for f in self._fields.values() if f.compute == field.compute]

    def _compute_into_cache(self, field):
        """Run the compute method of a non-stored (or not yet stored) field on these records; the
        values of every field that method computes land in the cache."""
        transaction = self.env.transaction
        siblings = self._compute_siblings(field)
        keys = {(self._name, f.name) for f in siblings}
        computing = transaction.computing
        keys -= computing  # a method reading another field it computes: keep the outer run's
        computing |= keys
        try:
            for sibling in siblings:
                if (self._name, sibling.name) in keys:
                    self._cache_set(sibling.name, {rid: sibling.convert_to_cache(False) for rid in self._ids})
            method = field.compute
            if isinstance(method, str):
                getattr(self, method)()
            else:
                method(self)
        finally:
            computing -= keys

    # -- read ------------------------------------------------------------------------------------
    def _readable_fields(self, fields):
        """Validate the requested field names; default to every field the user may see."""
        if fields is None or fields is False or fields == []:
            return [
                name for name, field in self._fields.items() if self._field_allowed(field) and name != 'id'
            ]
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, (list, tuple)):
            raise UserError('Invalid fields list %r' % (fields,))
        result = []
        for name in fields:
            if not isinstance(name, str) or name not in self._fields:
                raise UserError('Invalid field %r on model %r' % (name, self._name))
            if not self._field_allowed(self._fields[name]):
                raise AccessError('You do not have access to field %r of model %s' % (name, self._name))
            if name != 'id' and name not in result:
                result.append(name)
        return result

    def _field_allowed(self, field):
        if field.internal:
            return False
        if not field.groups or self.env.su:
            return True
        user_groups = self.env['res.users']._user_group_xmlids(self.env.uid)
        return any(group.strip() in user_groups for group in field.groups.split(','))

    @rpc('read', rules=False, params=('fields', 'load'), result='read')
    def read(self, fields=None, load=DEFAULT_LOAD):
        """A list of dicts, one per existing record, each with ``id``; many2one as ``[id, name]``
        (a bare id with ``load='_classic_write'``), x2many as lists of ids, empty as ``False``.
        Records that do not exist (any more) are left out; records hidden by the record rules
        raise AccessError."""
        self.check_access_rights('read')
        names = self._readable_fields(fields)
        if not self._ids:
            return []
        column_names = [n for n in names if self._fields[n].column]
        self._read_columns(column_names)
        # ids that no longer exist are left out, as Odoo does (a client reading a list it got
        # earlier gets the rows still there); ids hidden by record rules are not missing:
        # _read_columns refused them above, so a rule violation never passes for a deletion
        present = self.env.cache.get((self._name, 'id'), {})
        records = self.browse([rid for rid in self._ids if rid in present])
        if not records:
            return []
        for name in names:
            field = self._fields[name]
            if field.column:
                continue
            if field.type in ('one2many', 'many2many'):
                records._read_x2many(field)
            else:
                records._compute_into_cache(field)
        self._prefetch_display_names(records, names, load)
        result = []
        cache = self.env.cache
        converters = [(name, self._fields[name], cache[(self._name, name)]) for name in names]
        # conversions get the whole recordset (for its environment), not a record per row: building
        # one recordset per row and field cost more than the conversions themselves
        for rid in records._ids:
            row = {'id': rid}
            for name, field, values in converters:
                row[name] = field.convert_to_read(values[rid], records, load)
            result.append(row)
        return result

    def _prefetch_display_names(self, records, names, load):
        if load == '_classic_write':
            return
        for name in names:
            field = self._fields[name]
            if field.type != 'many2one':
                continue
            values = self.env.cache[(self._name, name)]
            ids = sorted({values[rid] for rid in records._ids if values.get(rid)})
            if ids:
                self.env[field.comodel_name].sudo().browse(ids)._remember_display_names()

    def _remember_display_names(self):
        names = self.env.transaction.display_names
        lang = self.env.lang  # a translated name differs per language
        todo = [rid for rid in self._ids if (self._name, rid, lang) not in names]
        if todo:
            records = self.browse(todo)
            try:
                pairs = records.name_get()
            except MissingError:
                # a reference to a row deleted in this transaction: name what still exists (the
                # check costs a query, so only on this rare path)
                pairs = records.exists().name_get()
            for rid, label in pairs:
                names[(self._name, rid, lang)] = label

    def _display_name_of(self, rid):
        names = self.env.transaction.display_names
        key = (self._name, rid, self.env.lang)
        if key not in names:
            self.browse(rid)._remember_display_names()
        return names.get(key, '%s,%s' % (self._name, rid))

    # -- names -----------------------------------------------------------------------------------
    def _rec_name_field(self):
        if self._rec_name and self._rec_name in self._fields:
            return self._rec_name
        for candidate in ('name', 'x_name'):
            if candidate in self._fields:
                return candidate
        return 'id'

    @rpc('read', rules=False, params=())
    def name_get(self):
        """``[(id, display name), ...]`` from the ``_rec_name`` field."""
        name = self._rec_name_field()
        if name == 'id' or not self._ids:
            return [(rid, '%s,%s' % (self._name, rid)) for rid in self._ids]
        field = self._fields[name]
        result = []
        for record in self:
            value = record[name]
            if field.type == 'many2one':
                value = value.display_name if value else False
            result.append((record.id, value if value else ''))
        return result

    def _compute_display_name(self):
        for rid, label in self.name_get():
            self._cache_set('display_name', {rid: label})

    @api.model
    @rpc('read', rules=False, params=('name', 'args', 'operator', 'limit'))
    def name_search(self, name='', args=None, operator='ilike', limit=100):
        domain = list(args or [])
        if name:
            domain = domain + [(self._rec_name_field(), operator, name)]
        return self.search(domain, limit=limit).name_get()

    @api.model
    @rpc('create', rules=False, params=('name',))
    def name_create(self, name):
        record = self.create({self._rec_name_field(): name})
        return record.name_get()[0]

    # -- reflection ------------------------------------------------------------------------------
    @api.model
    @rpc('read', rules=False, params=('allfields', 'attributes'))
    def fields_get(self, allfields=None, attributes=None):
        """Descriptions of the fields the user may see: ``{name: {type, string, ...}}``."""
        if allfields and not isinstance(allfields, (list, tuple)):
            raise UserError('allfields must be a list of field names')
        if attributes and not isinstance(attributes, (list, tuple)):
            raise UserError('attributes must be a list of attribute names')
        writable = self.check_access_rights('write', raise_exception=False) or self.check_access_rights(
            'create', raise_exception=False
        )
        result = {}
        for name, field in self._fields.items():
            if allfields and name not in allfields:
                continue
            if not self._field_allowed(field):
                continue
            desc = field.get_description(self.env)
            if not writable:
                desc['readonly'] = True
            if attributes:
                desc = {key: value for key, value in desc.items() if key in attributes}
            result[name] = desc
        return result

    @api.model
    @rpc('read', rules=False, params=())
    def fields_get_keys(self):
        """Names of the fields the caller may see (as ``fields_get``)."""
        return [name for name, field in self._fields.items() if self._field_allowed(field)]
