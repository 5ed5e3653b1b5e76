"""Relational field types: many2one, one2many and many2many.

The cache holds ids (an int or ``False`` for many2one, a tuple of ids for x2many); the Python API
turns them into recordsets, ``read`` into ``[id, name]`` pairs or id lists. Writes take OpenERP's
command tuples, applied by :meth:`X2many.apply_commands`.
"""

from ..exceptions import AccessError, UserError, ValidationError
from .fields_base import Field

#: OpenERP's x2many write commands
CREATE, UPDATE, DELETE, UNLINK, LINK, CLEAR, SET = range(7)


#: most records a recordset reached through a relation prefetches along with itself
PREFETCH_MAX = 1000


def _related_prefetch(field, record, value):
    """Ids to prefetch with the target(s) of ``record.field``: the cached targets of the same
    field on every record ``record`` was prefetched with. Without it, walking ``rec.partner_id.name``
    over N records would fetch the N partners one query at a time."""
    if len(record._prefetch_ids) <= 1:
        return None
    cached = record.env.cache.get((record._name, field.name), {})
    ids = dict.fromkeys(value if isinstance(value, tuple) else (value,))
    for rid in record._prefetch_ids:
        target = cached.get(rid)
        if target:
            ids.update(dict.fromkeys(target if isinstance(target, tuple) else (target,)))
        if len(ids) >= PREFETCH_MAX:
            break
    return tuple(ids)


class _Relational(Field):
    _type_defaults = {'domain': None, 'context': None, 'check_company': False}

    def __init__(self, comodel_name=None, string=None, **kwargs):
        if comodel_name is not None:
            kwargs['comodel_name'] = comodel_name
        super().__init__(string=string, **kwargs)

    def setup(self, model_cls):
        super().setup(model_cls)
        if not getattr(self, 'comodel_name', None):
            raise TypeError('Field %s needs a comodel_name' % self)

    def comodel(self, env):
        return env[self.comodel_name]

    def get_description(self, env):
        desc = super().get_description(env)
        if isinstance(self.domain, (list, str)):
            desc['domain'] = self.domain
        if self.context:
            desc['context'] = self.context
        return desc


class Many2one(_Relational):
    type = 'many2one'
    column_type = 'int4'
    _type_defaults = {'ondelete': 'set null', 'auto_join': False, 'delegate': False}

    def setup(self, model_cls):
        super().setup(model_cls)
        if self.ondelete not in ('set null', 'cascade', 'restrict'):
            raise TypeError('Field %s: ondelete must be set null, cascade or restrict' % self)
        if self.required and self.ondelete == 'set null':
            self.ondelete = 'restrict'

    def convert_to_column(self, value, record=None):
        if not value:
            return None
        return self._to_id(value)

    def _to_id(self, value):
        if hasattr(value, '_ids'):
            return value.id or None
        if isinstance(value, (list, tuple)) and value:  # [id, name] pairs as read() gives them
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationError('Field %s expects a record id, got %r' % (self, value)) from None
        return value

    def convert_to_cache(self, value, env=None):
        if not value:
            return False
        return self._to_id(value)

    def convert_to_record(self, value, record):
        comodel = record.env[self.comodel_name]
        if not value:
            return comodel
        return type(comodel)(record.env, (value,), _related_prefetch(self, record, value))

    def empty_value(self, record):
        return record.env[self.comodel_name]

    def convert_to_read(self, value, record, load='_classic_read'):
        if not value:
            return False
        if load == '_classic_write':
            return value
        # the display name is shown whatever the user may read of the target, as OpenERP does;
        # read() has fetched the names of the whole batch already
        known = record.env.transaction.display_names
        label = known.get((self.comodel_name, value, record.env.lang)) if known else None
        if label is None:
            label = record.env[self.comodel_name].sudo().browse(value)._display_name_of(value)
        return [value, label]

    def convert_to_write(self, value, record):
        return value.id if hasattr(value, '_ids') else value


class _X2many(_Relational):
    _type_defaults = {'copy': False}
    store = True

    def convert_to_cache(self, value, env=None):
        return tuple(value or ())

    def convert_to_record(self, value, record):
        comodel = record.env[self.comodel_name]
        return type(comodel)(record.env, value, _related_prefetch(self, record, value))

    def empty_value(self, record):
        return record.env[self.comodel_name]

    def convert_to_read(self, value, record, load='_classic_read'):
        return list(value)

    def convert_to_write(self, value, record):
        if hasattr(value, '_ids'):
            return [(SET, 0, value.ids)]
        return value

    @staticmethod
    def normalize_commands(value, field):
        """Accept the command list, or a plain list of ids (= SET), and validate shapes."""
        if value is False or value is None:
            return [(CLEAR,)]
        if not isinstance(value, (list, tuple)):
            raise ValidationError('Field %s expects a list of commands, got %r' % (field, value))
        if value and all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            return [(SET, 0, list(value))]
        commands = []
        for command in value:
            if (
                not isinstance(command, (list, tuple))
                or not command
                or command[0] not in range(7)
                or isinstance(command[0], bool)
            ):
                raise ValidationError('Invalid command %r for field %s' % (command, field))
            code = command[0]
            needed = {CREATE: 3, UPDATE: 3, DELETE: 2, UNLINK: 2, LINK: 2, CLEAR: 1, SET: 3}[code]
            if len(command) < needed:
                raise ValidationError('Command %r for field %s has too few elements' % (command, field))
            if code in (UPDATE, DELETE, UNLINK, LINK) and not isinstance(command[1], int):
                raise ValidationError('Command %r for field %s needs a record id' % (command, field))
            if code in (CREATE, UPDATE) and not isinstance(command[2], dict):
                raise ValidationError('Command %r for field %s needs a dict of values' % (command, field))
            if code == SET and not isinstance(command[2], (list, tuple)):
                raise ValidationError('Command %r for field %s needs a list of ids' % (command, field))
            commands.append(tuple(command))
        return commands


class One2many(_X2many):
    """The reverse of a many2one (``inverse_name``) on ``comodel_name``; no column of its own."""

    type = 'one2many'
    column_type = None

    def __init__(self, comodel_name=None, inverse_name=None, string=None, **kwargs):
        if inverse_name is not None:
            kwargs['inverse_name'] = inverse_name
        super().__init__(comodel_name=comodel_name, string=string, **kwargs)

    def setup(self, model_cls):
        super().setup(model_cls)
        if not getattr(self, 'inverse_name', None):
            raise TypeError('Field %s needs an inverse_name' % self)

    @property
    def column(self):
        return False

    def apply_commands(self, records, value):
        comodel = records.env[self.comodel_name]
        inverse = self.inverse_name
        inverse_field = comodel._fields[inverse]
        for record in records:
            for command in self.normalize_commands(value, self):
                code = command[0]
                if code == CREATE:
                    comodel.create(dict(command[2], **{inverse: record.id}))
                elif code == UPDATE:
                    comodel.browse(command[1]).write(command[2])
                elif code == DELETE:
                    comodel.browse(command[1]).unlink()
                elif code == UNLINK:
                    self._cut(comodel.browse(command[1]), inverse_field)
                elif code == LINK:
                    comodel.browse(command[1]).write({inverse: record.id})
                elif code in (CLEAR, SET):
                    keep = set(command[2]) if code == SET else set()
                    current = comodel.search([(inverse, '=', record.id)])
                    self._cut(current.filtered(lambda r, keep=keep: r.id not in keep), inverse_field)
                    if keep:
                        comodel.browse(sorted(keep)).write({inverse: record.id})

    @staticmethod
    def _cut(lines, inverse_field):
        if not lines:
            return
        if inverse_field.ondelete == 'cascade' or inverse_field.required:
            lines.unlink()
        else:
            lines.write({inverse_field.name: False})


class Many2many(_X2many):
    """A relation table ``relation(column1 → this model, column2 → comodel)``."""

    type = 'many2many'
    column_type = None

    def __init__(self, comodel_name=None, relation=None, column1=None, column2=None, string=None, **kwargs):
        for key, value in (('relation', relation), ('column1', column1), ('column2', column2)):
            if value is not None:
                kwargs[key] = value
        super().__init__(comodel_name=comodel_name, string=string, **kwargs)

    @property
    def column(self):
        return False

    def setup(self, model_cls):
        super().setup(model_cls)
        table = model_cls._table
        cotable = self.comodel_name.replace('.', '_')
        if not getattr(self, 'relation', None):
            first, second = sorted((table, cotable))
            self.relation = '%s_%s_rel' % (first, second)
        if not getattr(self, 'column1', None):
            self.column1 = '%s_id' % table
        if not getattr(self, 'column2', None):
            self.column2 = '%s_id' % cotable if cotable != table else '%s_id2' % cotable
        for ident in (self.relation, self.column1, self.column2):
            if not ident.replace('_', '').isalnum():
                raise TypeError('Field %s: invalid identifier %r' % (self, ident))

    def get_description(self, env):
        desc = super().get_description(env)
        desc['relation_table'] = self.relation
        return desc

    def apply_commands(self, records, value):
        """Apply the command tuples ``value`` to the relation of ``records``.

        Links are the caller's business only where the caller can see the other end: a record
        hidden by its record rules can be neither linked ((4), (6)) nor unlinked ((3), (5), (6)),
        so writing back the ids one read (which leaves the hidden ones out) keeps the hidden links.
        """
        cr = records.env.cr
        comodel = records.env[self.comodel_name]
        rel, col1, col2 = self.relation, self.column1, self.column2
        ids = tuple(records.ids)
        visible_sql, visible_params = self._visible(comodel)
        for command in self.normalize_commands(value, self):
            code = command[0]
            if code == CREATE:
                new = comodel.create(command[2])
                self._link(cr, ids, [new.id])
            elif code == UPDATE:
                comodel.browse(command[1]).write(command[2])
            elif code == DELETE:
                comodel.browse(command[1]).unlink()
            elif code == UNLINK:
                cr.execute(
                    'DELETE FROM "%s" WHERE "%s" IN %%s AND "%s" = %%s AND "%s" IN (%s)'
                    % (rel, col1, col2, col2, visible_sql),
                    [ids, command[1]] + visible_params,
                )
            elif code == LINK:
                self._check_visible(comodel, [command[1]])
                self._link(cr, ids, [command[1]])
            elif code in (CLEAR, SET):
                cr.execute(
                    'DELETE FROM "%s" WHERE "%s" IN %%s AND "%s" IN (%s)' % (rel, col1, col2, visible_sql),
                    [ids] + visible_params,
                )
                if code == SET:
                    self._check_visible(comodel, command[2])
                    self._link(cr, ids, command[2])

    @staticmethod
    def _visible(comodel):
        """SQL of the comodel ids the caller may see (every id for the superuser)."""
        if comodel.env.su:
            return 'SELECT id FROM "%s"' % comodel._table, []
        return comodel._search_subquery([], active_test=False)

    def _check_visible(self, comodel, coids):
        if comodel.env.su or not coids:
            return
        coids = [int(coid) for coid in coids]
        seen = set(comodel.with_context(active_test=False).search([('id', 'in', coids)]).ids)
        hidden = [coid for coid in coids if coid not in seen]
        if hidden and comodel.sudo().browse(hidden).exists():
            raise AccessError(
                'Field %s: you cannot link records of %s you may not read (%s).'
                % (self, self.comodel_name, sorted(set(hidden))[:10])
            )

    def _link(self, cr, ids, coids):
        coids = [int(coid) for coid in coids]
        if not coids:
            return
        cr.execute('SELECT id FROM "%s" WHERE id = ANY(%%s)' % self.comodel_name.replace('.', '_'), (coids,))
        existing = {row[0] for row in cr.fetchall()}
        missing = [coid for coid in coids if coid not in existing]
        if missing:
            raise UserError('Field %s: records %s of %s do not exist' % (self, missing, self.comodel_name))
        cr.execute(
            'INSERT INTO "%s" ("%s", "%s") SELECT a, b FROM unnest(%%s) a CROSS JOIN unnest(%%s) b '
            'ON CONFLICT DO NOTHING' % (self.relation, self.column1, self.column2),
            (list(ids), coids),
        )
