"""Writing: create, write, unlink, copy and defaults, with the work that follows a change.

After the columns are written: x2many commands, stored computed fields of these and dependent
records (through the registry's triggers), ``@api.constrains`` methods and the record rules of the
operation. All of it happens in the caller's transaction, so a failure anywhere rolls it all back.
"""

from ..exceptions import AccessError, UserError, ValidationError
from . import api, expression, translations
from .rpc import rpc

LOG_ACCESS_COLUMNS = ('create_uid', 'create_date', 'write_uid', 'write_date')
MAX_RECOMPUTE_DEPTH = 16


class WriteMixin:
    # -- access ----------------------------------------------------------------------------------
    @api.model
    @rpc(None, readonly=True, params=('operation', 'raise_exception'))
    def check_access_rights(self, operation, raise_exception=True):
        """Whether the user's groups grant ``operation`` on this model (``ir.model.access``)."""
        if operation not in ('read', 'write', 'create', 'unlink'):
            raise UserError('Invalid access mode %r' % (operation,))
        if self.env.su or 'ir.model.access' not in self.env.registry.models:
            return True
        return self.env['ir.model.access'].check(self._name, operation, raise_exception)

    @rpc('read', rules=False, params=('operation',))
    def check_access_rule(self, operation):
        """Raise AccessError unless every record passes the ``operation`` record rules."""
        if self.env.su or not self._ids:
            return
        rule = self._rule_domain(operation)
        if rule is None:
            return
        sql, params = expression.Compiler(self.sudo(), self._table).compile(rule)
        self.env.cr.execute(
            'SELECT id FROM "%s" WHERE id = ANY(%%s) AND (%s)' % (self._table, sql),
            [list(self._ids)] + params,
        )
        allowed = {row[0] for row in self.env.cr.fetchall()}
        denied = [rid for rid in self._ids if rid not in allowed]
        if denied:
            existing = self.browse(denied).exists()
            if len(existing) < len(denied):
                raise self._missing_error(sorted(set(denied) - set(existing.ids)))
            raise AccessError(
                'The requested operation cannot be completed due to security '
                'restrictions (record rules).\n(Document type: %s, Operation: %s, '
                'Records: %s)' % (self._name, operation, denied[:10])
            )

    # -- defaults ----------------------------------------------------------------------------------
    @api.model
    @rpc('create', readonly=True, params=('fields_list',))
    def default_get(self, fields_list):
        """Default values: ``context['default_<field>']``, then the field's ``default``.

        The context comes from the wire, so a ``default_<field>`` key only sets a field the
        caller could set in ``create`` itself: one it may access, that has a column or an inverse,
        and that is not ``readonly`` (a life-cycle ``state``, a reference numbered by the server).
        """
        if not isinstance(fields_list, (list, tuple)):
            raise UserError('default_get expects a list of field names')
        result = {}
        context = self.env.context
        for name in fields_list:
            field = self._fields.get(name)
            if field is None or not self._field_allowed(field):
                continue
            if 'default_' + name in context and self._default_from_context_allowed(field):
                result[name] = context['default_' + name]
                if field.type == 'many2one':
                    self._check_link_targets([{name: result[name]}])
            elif field.default is not None:
                value = field.default(self) if callable(field.default) else field.default
                if hasattr(value, '_ids'):
                    value = value.id if field.type == 'many2one' else [(6, 0, value.ids)]
                result[name] = value
        return result

    @staticmethod
    def _default_from_context_allowed(field):
        if field.readonly or field.name == 'id' or field.name in LOG_ACCESS_COLUMNS:
            return False
        return bool(field.column or field.inverse or field.type in ('one2many', 'many2many')) and not (
            field.compute and not field.inverse
        )

    def _add_missing_defaults(self, vals):
        missing = [
            name
            for name, field in self._fields.items()
            if name not in vals
            and name not in LOG_ACCESS_COLUMNS
            and name != 'id'
            and (field.store or field.inverse)
            and not (field.compute and not field.inverse)
        ]
        defaults = self.default_get(missing) if missing else {}
        return dict(defaults, **vals)

    # -- create ------------------------------------------------------------------------------------
    @api.model
    @rpc('create', rules=False, params=('vals_list',), result='create')
    def create(self, vals_list):
        """Create one record from a dict, or several from a list of dicts; returns the records."""
        single = isinstance(vals_list, dict)
        if single:
            vals_list = [vals_list]
        if not isinstance(vals_list, (list, tuple)) or not all(isinstance(v, dict) for v in vals_list):
            raise UserError('create expects a dict of values or a list of them')
        self.check_access_rights('create')
        self._invalidate_declared_caches()
        if self._transient:
            self._transient_vacuum()
        vals_list = [self._check_field_names(vals) for vals in vals_list]
        if self._inherits:
            vals_list = [self._create_parents(vals) for vals in vals_list]
        self._check_link_targets(vals_list)
        vals_list = [self._add_missing_defaults(vals) for vals in vals_list]
        records = self.browse([self._insert_row(vals) for vals in vals_list])
        for vals, record in zip(vals_list, records):
            record._write_relations(vals, creating=True)
        records.check_access_rule('create')
        changed = set()
        for vals in vals_list:
            changed.update(vals)
        records._invalidate_inverse_one2many(changed)
        stored_computed = [f for f in self._fields.values() if f.compute and f.store]
        records._recompute(stored_computed)
        records._validate_constraints(changed | {f.name for f in stored_computed})
        records._modified(changed)
        return records

    def _check_field_names(self, vals):
        unknown = [name for name in vals if name not in self._fields]
        if unknown:
            raise ValidationError(
                'Invalid field %s on model %s' % (', '.join(repr(name) for name in unknown), self._name)
            )
        for name in vals:
            if not self._field_allowed(self._fields[name]):
                raise AccessError('You do not have access to field %r of model %s' % (name, self._name))
        return vals

    def _split_inherited(self, vals):
        """``(own values, {link: values of that parent})`` of ``vals`` (``_inherits``)."""
        own, parents = {}, {}
        for name, value in vals.items():
            link = self._fields[name].inherited
            if link:
                parents.setdefault(link, {})[name] = value
            else:
                own[name] = value
        return own, parents

    def _create_parents(self, vals):
        """The values to create one record with, its parents (``_inherits``) made first: a
        parent record created from the values of its fields, or, when the link is given, those
        values written to the record it names."""
        own, parents = self._split_inherited(vals)
        for parent_name, link in self._inherits.items():
            parent_vals = parents.get(link, {})
            if own.get(link):
                if parent_vals:
                    self.env[parent_name].browse(self._fields[link].convert_to_column(own[link], self)).write(
                        parent_vals
                    )
            else:
                own[link] = self.env[parent_name].create(parent_vals).id
        return own

    def _write_parents(self, vals):
        """Write the values of inherited fields to the parent records; returns the others."""
        own, parents = self._split_inherited(vals)
        for link, parent_vals in parents.items():
            self.mapped(link).write(parent_vals)
        return own

    def _check_link_targets(self, vals_list):
        """Refuse many2one values naming records the caller may not read.

        A relation may only point to what its author can see: otherwise a salesman could move his
        order line into another salesman's order, which his record rules hide from him. The x2many
        commands follow the same rule (``fields_relational``). The superuser links anything.
        """
        if self.env.su:
            return
        targets = {}
        for vals in vals_list:
            for name, value in vals.items():
                field = self._fields[name]
                if field.type == 'many2one' and value:
                    targets.setdefault(field.comodel_name, set()).add(field.convert_to_column(value, self))
        for comodel_name, ids in targets.items():
            comodel = self.env[comodel_name].with_context(active_test=False)
            hidden = ids - set(comodel.search([('id', 'in', sorted(ids))]).ids)
            if hidden and comodel.sudo().browse(sorted(hidden)).exists():
                raise AccessError(
                    'You may not link records of %s you cannot read (%s).'
                    % (comodel_name, sorted(hidden)[:10])
                )

    def _column_values(self, vals):
        """Column values of ``vals``: stored fields the caller may set (a computed field without
        an inverse is written by its recomputation only)."""
        columns = {}
        for name, value in vals.items():
            field = self._fields[name]
            if name == 'id' or name in LOG_ACCESS_COLUMNS:
                continue
            if field.column and not (field.compute and not field.inverse):
                columns[name] = field.convert_to_column(value, self)
        return columns

    def _insert_row(self, vals):
        columns = self._column_values(vals)
        for name, field in self._fields.items():
            if (
                field.required
                and field.column
                and not field.compute
                and columns.get(name) is None
                and field.type != 'boolean'
            ):
                raise ValidationError(
                    'The field "%s" (%s) of %s is required.'
                    % (field.string, name, self._description or self._name)
                )
        names = list(columns)
        placeholders = ['%s'] * len(names)
        params = [columns[name] for name in names]
        if self._log_access:
            names += ['create_uid', 'write_uid', 'create_date', 'write_date']
            placeholders += ['%s', '%s', "(now() at time zone 'UTC')", "(now() at time zone 'UTC')"]
            params += [self.env.uid, self.env.uid]
        if names:
            query = 'INSERT INTO "%s" (%s) VALUES (%s) RETURNING id' % (
                self._table,
                ', '.join('"%s"' % n for n in names),
                ', '.join(placeholders),
            )
        else:
            query = 'INSERT INTO "%s" DEFAULT VALUES RETURNING id' % self._table
        self.env.cr.execute(query, params)
        return self.env.cr.fetchone()[0]

    def _invalidate_inverse_one2many(self, names):
        """A many2one set here changes the one2many that mirrors it on the other model (a line
        created for an order is one more of the order's lines): forget that one2many's cache."""
        for name in names:
            field = self._fields.get(name)
            if field is None or field.type != 'many2one':
                continue
            comodel = self.env.registry.models.get(field.comodel_name)
            stale = [
                fname
                for fname, other in (comodel._fields.items() if comodel else ())
                if other.type == 'one2many'
                and other.comodel_name == self._name
                and other.inverse_name == name
            ]
            if stale:
                self.env.transaction.invalidate(field.comodel_name, None, stale)

    def _write_relations(self, vals, creating=False):
        for name, value in vals.items():
            field = self._fields[name]
            if field.type in ('one2many', 'many2many') and not (field.compute and not field.inverse):
                field.apply_commands(self, value)
                self.env.transaction.invalidate(field.comodel_name)
                self.env.transaction.invalidate(self._name, self._ids, [name])
            elif field.compute and field.inverse and not field.store:
                self._cache_set(name, {rid: field.convert_to_cache(value) for rid in self._ids})
                if callable(field.inverse):
                    field.inverse(self)
                else:
                    getattr(self, field.inverse)()

    # -- write -------------------------------------------------------------------------------------
    @rpc('write', rules=False, params=('vals',), result='true')
    def write(self, vals):
        """Set ``vals`` on every record; returns True."""
        if not isinstance(vals, dict):
            raise UserError('write expects a dict of values')
        # a compute method assigning the fields being computed only fills the cache: no access
        # check, since a user reading a computed field needs no write right on the model
        computing = self.env.transaction.computing
        if computing and vals and all((self._name, name) in computing for name in vals):
            for name, value in vals.items():
                self._cache_set(name, {rid: self._fields[name].convert_to_cache(value) for rid in self._ids})
            return True
        self.check_access_rights('write')
        self._check_field_names(vals)
        self._invalidate_declared_caches()
        if not self._ids:
            return True
        self.check_access_rule('write')
        if self._inherits:
            vals = self._write_parents(vals)
        self._check_link_targets([vals])
        # records reached through a many2one before it changes (the previous parent of a moved
        # line) must be recomputed too: after the write they are no longer found from here
        relinked = [name for name in vals if self._fields[name].type == 'many2one']
        previous = self._dependents_of(relinked) if relinked else []
        columns = self._column_values(vals)
        sets, params = [], []
        for name, value in columns.items():
            sql, values = translations.assignment(name, value)
            sets.append(sql)
            params.extend(values)
        if self._log_access:
            sets += ['write_uid = %s', "write_date = (now() at time zone 'UTC')"]
            params.append(self.env.uid)
        if sets:
            self.env.cr.execute(
                'UPDATE "%s" SET %s WHERE id = ANY(%%s)' % (self._table, ', '.join(sets)),
                params + [list(self._ids)],
            )
            if self.env.cr.rowcount < len(set(self._ids)):
                missing = set(self._ids) - set(self.exists().ids)
                if missing:
                    raise self._missing_error(sorted(missing))
        self.env.transaction.invalidate(self._name, self._ids)
        self._invalidate_inverse_one2many(vals)
        self._write_relations(vals)
        required_cleared = [
            name for name, value in columns.items() if value is None and self._fields[name].required
        ]
        if required_cleared:
            field = self._fields[required_cleared[0]]
            raise ValidationError(
                'The field "%s" (%s) of %s is required.'
                % (field.string, field.name, self._description or self._name)
            )
        self._recompute(
            [
                f
                for f in self._fields.values()
                if f.compute and f.store and set(vals) & set(self._dependency_roots(f))
            ]
        )
        self._validate_constraints(set(vals))
        self._modified(set(vals))
        for records, fields in previous:
            records.exists()._recompute(fields)
        return True

    @staticmethod
    def _dependency_roots(field):
        return [path.split('.')[0] for path in field.depends]

    # -- unlink ------------------------------------------------------------------------------------
    @rpc('unlink', rules=False, params=(), result='true')
    def unlink(self):
        """Delete the records; many2one references follow their ``ondelete``."""
        self.check_access_rights('unlink')
        if not self._ids:
            return True
        self._invalidate_declared_caches()
        self.check_access_rule('unlink')
        existing = self.exists()
        if len(existing) < len(set(self._ids)):
            raise self._missing_error(sorted(set(self._ids) - set(existing.ids)))
        dependents = self._dependents_of(set(self._fields))
        self.env.cr.execute('DELETE FROM "%s" WHERE id = ANY(%%s)' % self._table, (list(self._ids),))
        if 'ir.model.data' in self.env.registry.models and self._name != 'ir.model.data':
            self.env.cr.execute(
                'DELETE FROM ir_model_data WHERE model = %s AND res_id = ANY(%s)',
                (self._name, list(self._ids)),
            )
            if self.env.cr.rowcount:
                self.env.registry.invalidate_cache('xmlid', self.env.cr)
        if 'ir.attachment' in self.env.registry.models and self._name != 'ir.attachment':
            # the values of the records' attachment-backed fields go with them
            self.env.cr.execute(
                'DELETE FROM ir_attachment WHERE res_model = %s AND res_id = ANY(%s) '
                'AND res_field IS NOT NULL',
                (self._name, list(self._ids)),
            )
        self.env.transaction.invalidate()
        for records, fields in dependents:
            records.exists()._recompute(fields)
        return True

    # -- copy --------------------------------------------------------------------------------------
    def copy_data(self, default=None):
        self.ensure_one()
        default = dict(default or {})
        vals = {}
        links = set(self._inherits.values())
        for name, field in self._fields.items():
            if name in default or name == 'id' or name in LOG_ACCESS_COLUMNS or not field.copy:
                continue
            if not self._field_allowed(field) or name in links:
                continue  # the copy leaves out what the caller may not see, and gets parents
            if field.inherited:  # of its own, made from the parent's copied values
                if field.type == 'one2many':
                    continue
            elif field.compute and not field.inverse:
                continue
            value = self[name]
            if field.type == 'many2one':
                vals[name] = value.id
            elif field.type == 'many2many':
                vals[name] = [(6, 0, value.ids)]
            elif field.type == 'one2many':
                vals[name] = [(0, 0, line.copy_data({field.inverse_name: False})[0]) for line in value]
                for command in vals[name]:
                    command[2].pop(field.inverse_name, None)
            elif field.type == 'binary' or getattr(field, 'translate', False):
                # the stored value: a binary's content, a translated field's every language
                vals[name] = self.env.cache[(self._name, name)][self.id]
                if field.type == 'binary':
                    vals[name] = field.convert_to_read(vals[name], self)
            else:
                vals[name] = value
        vals.update(default)
        return [vals]

    @rpc('create', rules=False, params=('default',), result='id')
    def copy(self, default=None):
        """A new record with the values of this one, ``default`` overriding; returns it."""
        if default is not None and not isinstance(default, dict):
            raise UserError('copy expects a dict of default values')
        self.ensure_one()
        return self.create(self.copy_data(default)[0])

    def _invalidate_declared_caches(self):
        for kind in self._invalidates:
            self.env.registry.invalidate_cache(kind, self.env.cr)

    # -- computed fields, triggers, constraints ----------------------------------------------------
    def _recompute(self, fields, depth=0):
        """Compute stored computed ``fields`` of these records and write their columns."""
        if not self._ids or not fields:
            return
        if depth > MAX_RECOMPUTE_DEPTH:
            raise UserError('Computed fields of %s depend on each other in a loop' % self._name)
        records = self.sudo().exists()
        if not records:
            return
        done = set()
        for field in fields:
            if field.name in done:
                continue
            siblings = [f for f in records._compute_siblings(field) if f.store]
            done.update(f.name for f in siblings)
            self.env.transaction.invalidate(self._name, records._ids, [f.name for f in siblings])
            records._compute_into_cache(field)
            for computed in siblings:
                if not computed.column:
                    continue
                values = self.env.cache[(self._name, computed.name)]
                rows = [(computed.convert_to_column(values[rid], records), rid) for rid in records._ids]
                self.env.cr.executemany(
                    'UPDATE "%s" SET "%s" = %%s WHERE id = %%s' % (self._table, computed.name), rows
                )
        records._modified(done, depth + 1)

    def _dependents_of(self, names):
        """``[(records, [fields])]`` of stored computed fields that depend on ``names`` here."""
        triggers = self.env.registry.triggers
        grouped = {}
        for name in names:
            for model_name, field, path in triggers.get((self._name, name), ()):
                if path:
                    targets = (
                        self.env[model_name]
                        .sudo()
                        .with_context(active_test=False)
                        .search([(path, 'in', list(self._ids))])
                    )
                else:
                    targets = self.env[model_name].sudo().browse(self._ids)
                if targets:
                    entry = grouped.setdefault(model_name, [self.env[model_name].sudo(), []])
                    entry[0] |= targets
                    if field not in entry[1]:
                        entry[1].append(field)
        return [tuple(value) for value in grouped.values()]

    def _modified(self, names, depth=0):
        """Recompute what depends on fields ``names`` of these records; drop stale computed values."""
        self._invalidate_computed()
        if not self._ids:
            return
        for records, fields in self._dependents_of(names):
            if records._name == self._name and set(records._ids) <= set(self._ids):
                fields = [f for f in fields if f.name not in names or depth == 0]
            records._recompute(fields, depth)

    def _invalidate_computed(self):
        cache = self.env.cache
        registry = self.env.registry
        for key in [k for k in cache if k[1] != 'id']:
            model = registry.models.get(key[0])
            field = model._fields.get(key[1]) if model else None
            if field is not None and (field.compute and not field.store):
                del cache[key]
        self.env.transaction.display_names.clear()

    def _validate_constraints(self, names):
        for method_name, fields in self._constraint_methods:
            if set(fields) & set(names):
                getattr(self, method_name)()
