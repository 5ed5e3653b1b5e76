"""Tables from model declarations: created and altered when a module is installed or upgraded.

Existing rows are kept: a new column is added (filled with the field's default when it has one);
a type change PostgreSQL can cast is applied, one it cannot is reported naming the column.
"""

import logging

import psycopg2

from ..exceptions import UserError

_logger = logging.getLogger(__name__)

#: how information_schema names our column types
UDT_NAMES = {
    'varchar': 'varchar',
    'text': 'text',
    'int4': 'int4',
    'float8': 'float8',
    'numeric': 'numeric',
    'bool': 'bool',
    'date': 'date',
    'timestamp': 'timestamp',
    'bytea': 'bytea',
    'jsonb': 'jsonb',
}
#: ``USING`` expressions of the conversions a cast cannot do: a field becoming translated keeps
#: its values as the English ones, and the other way round
CONVERSIONS = {
    ('varchar', 'jsonb'): 'CASE WHEN "{0}" IS NULL THEN NULL ELSE jsonb_build_object(\'en_US\', "{0}") END',
    ('text', 'jsonb'): 'CASE WHEN "{0}" IS NULL THEN NULL ELSE jsonb_build_object(\'en_US\', "{0}") END',
    ('jsonb', 'varchar'): '"{0}"->>\'en_US\'',
    ('jsonb', 'text'): '"{0}"->>\'en_US\'',
}


class SchemaError(UserError):
    """The database schema cannot be brought in line with the model declarations."""


class SchemaMixin:
    def _table_columns(self):
        self.env.cr.execute(
            'SELECT column_name, udt_name, character_maximum_length, is_nullable '
            'FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s',
            (self._table,),
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _auto_init(self):
        """Create or alter this model's table and columns (not foreign keys: see below)."""
        if not self._auto or self._abstract:
            return
        cr = self.env.cr
        cr.execute('CREATE TABLE IF NOT EXISTS "%s" (id SERIAL PRIMARY KEY)' % self._table)
        if self._description:
            cr.execute('COMMENT ON TABLE "%s" IS %%s' % self._table, (self._description,))
        columns = self._table_columns()
        for name, field in self._fields.items():
            if not field.column or name == 'id':
                continue
            if name not in columns:
                self._add_column(field)
            else:
                udt, length, _nullable = columns[name]
                self._alter_column_type(field, udt, length)
            self._set_not_null(field)
            if field.index or field.type == 'many2one':
                cr.execute(
                    'CREATE INDEX IF NOT EXISTS "%s" ON "%s" ("%s")'
                    % (self._index_name(name), self._table, name)
                )
        for name, (_udt, _length, nullable) in columns.items():
            field = self._fields.get(name)
            if name != 'id' and nullable == 'NO' and (field is None or not field.column):
                # a column no field writes any more (a field removed, or now taken over from an
                # _inherits parent): new rows must not need it
                cr.execute('ALTER TABLE "%s" ALTER COLUMN "%s" DROP NOT NULL' % (self._table, name))
                _logger.info('column %s.%s no longer required: no field writes it', self._table, name)

    def _index_name(self, column):
        name = '%s_%s_index' % (self._table, column)
        return name if len(name) <= 63 else name[:54] + '_%08x' % (hash(name) & 0xFFFFFFFF)

    def _add_column(self, field):
        cr = self.env.cr
        cr.execute('ALTER TABLE "%s" ADD COLUMN "%s" %s' % (self._table, field.name, field.column_type))
        if field.default is not None and not callable(field.default):
            value = field.convert_to_column(field.default, None)
            if value is not None:
                cr.execute('UPDATE "%s" SET "%s" = %%s' % (self._table, field.name), (value,))
        _logger.debug('added column %s.%s %s', self._table, field.name, field.column_type)

    def _alter_column_type(self, field, udt, length):
        wanted = field.column_type
        base = wanted.split('(')[0]
        if UDT_NAMES.get(base) == udt:
            size = getattr(field, 'size', None)
            if (
                base == 'varchar'
                and (size or None) != (length or None)
                and (not length or not size or size > length)
            ):
                self.env.cr.execute(
                    'ALTER TABLE "%s" ALTER COLUMN "%s" TYPE %s' % (self._table, field.name, wanted)
                )
            return
        using = CONVERSIONS.get((udt, base), '"{0}"::%s' % wanted).format(field.name)
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    'ALTER TABLE "%s" ALTER COLUMN "%s" TYPE %s USING %s'
                    % (self._table, field.name, wanted, using)
                )
            _logger.info('changed type of %s.%s from %s to %s', self._table, field.name, udt, wanted)
        except psycopg2.Error as error:
            raise SchemaError(
                'Cannot change column %s.%s from %s to %s: PostgreSQL cannot convert '
                'the existing values (%s)'
                % (self._table, field.name, udt, wanted, (error.pgerror or str(error)).strip())
            )

    def _set_not_null(self, field):
        cr = self.env.cr
        wanted = field.required and not field.compute and field.type != 'boolean'
        if wanted:
            cr.execute('SELECT 1 FROM "%s" WHERE "%s" IS NULL LIMIT 1' % (self._table, field.name))
            if cr.fetchone():
                _logger.warning(
                    'column %s.%s is required but has empty values; NOT NULL not set', self._table, field.name
                )
                return
            cr.execute('ALTER TABLE "%s" ALTER COLUMN "%s" SET NOT NULL' % (self._table, field.name))
        else:
            cr.execute('ALTER TABLE "%s" ALTER COLUMN "%s" DROP NOT NULL' % (self._table, field.name))

    def _init_relation_table(self, field):
        cr = self.env.cr
        cotable = self.env[field.comodel_name]._table
        cr.execute(
            'CREATE TABLE IF NOT EXISTS "%(rel)s" ("%(c1)s" int4 NOT NULL REFERENCES "%(t)s"(id) '
            'ON DELETE CASCADE, "%(c2)s" int4 NOT NULL REFERENCES "%(ct)s"(id) ON DELETE CASCADE, '
            'PRIMARY KEY ("%(c1)s", "%(c2)s"))'
            % {
                'rel': field.relation,
                'c1': field.column1,
                'c2': field.column2,
                't': self._table,
                'ct': cotable,
            }
        )
        cr.execute(
            'CREATE INDEX IF NOT EXISTS "%s_%s_idx" ON "%s" ("%s")'
            % (field.relation, field.column2, field.relation, field.column2)
        )

    def _auto_init_constraints(self):
        """Foreign keys and SQL constraints: run once every table of the registry exists."""
        if not self._auto or self._abstract:
            return
        cr = self.env.cr
        for field in self._fields.values():
            if field.type == 'many2many' and field.store and not field.compute:
                self._init_relation_table(field)
        cr.execute(
            'SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass',
            ('"%s"' % self._table,),
        )
        existing = dict(cr.fetchall())
        for name, field in self._fields.items():
            if field.type != 'many2one' or not field.column:
                continue
            comodel = self.env.registry.models.get(field.comodel_name)
            if comodel is None or comodel._abstract or not comodel._auto:
                continue
            conname = ('%s_%s_fkey' % (self._table, name))[:63]
            action = field.ondelete.upper()
            definition = 'FOREIGN KEY ("%s") REFERENCES "%s"(id) ON DELETE %s' % (
                name,
                comodel._table,
                action,
            )
            current = existing.get(conname)
            if current and ('ON DELETE %s' % action) in current and comodel._table in current:
                continue
            if current:
                cr.execute('ALTER TABLE "%s" DROP CONSTRAINT "%s"' % (self._table, conname))
            cr.execute('ALTER TABLE "%s" ADD CONSTRAINT "%s" %s' % (self._table, conname, definition))
        for key, definition, _message in self._sql_constraints:
            conname = ('%s_%s' % (self._table, key))[:63]
            current = existing.get(conname)
            if current is not None and _same_definition(current, definition):
                continue
            if current is not None:
                cr.execute('ALTER TABLE "%s" DROP CONSTRAINT "%s"' % (self._table, conname))
            try:
                with cr.savepoint():
                    cr.execute('ALTER TABLE "%s" ADD CONSTRAINT "%s" %s' % (self._table, conname, definition))
            except psycopg2.Error as error:
                raise SchemaError(
                    'Cannot add constraint %s on %s: %s'
                    % (conname, self._table, (error.pgerror or str(error)).strip())
                )


def _same_definition(current, declared):
    def squash(text):
        return ''.join(text.lower().replace('"', '').split())

    return squash(current) == squash(declared)
