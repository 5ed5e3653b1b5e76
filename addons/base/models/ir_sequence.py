"""Sequences: numbered references (``SO0001``), safe under concurrency.

A standard sequence uses a PostgreSQL sequence (fast, never blocks, may leave gaps when a
transaction rolls back); a gap-free one (``implementation='no_gap'``) locks its row, so numbers
are consecutive at the cost of serialising the transactions that take one.
"""

import datetime

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError


class Sequence(models.Model):
    _name = 'ir.sequence'
    _description = 'Sequence'
    _order = 'name'

    name = fields.Char(required=True)
    code = fields.Char('Sequence Code', index=True)
    implementation = fields.Selection(
        [('standard', 'Standard'), ('no_gap', 'No gap')], default='standard', required=True
    )
    active = fields.Boolean(default=True)
    prefix = fields.Char()
    suffix = fields.Char()
    number_next = fields.Integer('Next Number', default=1, required=True)
    number_increment = fields.Integer('Step', default=1, required=True)
    padding = fields.Integer('Sequence Size', default=0, required=True)
    company_id = fields.Many2one('res.company', 'Company')

    def _pg_name(self):
        return 'ir_sequence_%03d' % self.id

    @api.model
    def create(self, vals_list):
        records = super().create(vals_list)
        for seq in records:
            if seq.implementation == 'standard':
                self.env.cr.execute(
                    'CREATE SEQUENCE IF NOT EXISTS "%s" INCREMENT BY %%s START WITH %%s' % seq._pg_name(),
                    (seq.number_increment or 1, seq.number_next or 1),
                )
        return records

    def write(self, vals):
        result = super().write(vals)
        if {'number_next', 'number_increment', 'implementation'} & set(vals):
            for seq in self:
                if seq.implementation == 'standard':
                    self.env.cr.execute(
                        'CREATE SEQUENCE IF NOT EXISTS "%s" INCREMENT BY %%s START WITH %%s' % seq._pg_name(),
                        (seq.number_increment or 1, seq.number_next or 1),
                    )
                    self.env.cr.execute(
                        'ALTER SEQUENCE "%s" INCREMENT BY %%s RESTART WITH %%s' % seq._pg_name(),
                        (seq.number_increment or 1, seq.number_next or 1),
                    )
        return result

    def unlink(self):
        names = [seq._pg_name() for seq in self]
        result = super().unlink()
        for name in names:
            self.env.cr.execute('DROP SEQUENCE IF EXISTS "%s"' % name)
        return result

    @staticmethod
    def _interpolate(text):
        if not text:
            return ''
        now = datetime.datetime.utcnow()
        values = {
            'year': now.strftime('%Y'),
            'y': now.strftime('%y'),
            'month': now.strftime('%m'),
            'day': now.strftime('%d'),
            'doy': now.strftime('%j'),
            'h24': now.strftime('%H'),
            'min': now.strftime('%M'),
            'sec': now.strftime('%S'),
        }
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            raise UserError('Invalid prefix or suffix %r for a sequence' % text)

    def _next(self):
        self.ensure_one()
        cr = self.env.cr
        if self.implementation == 'standard':
            cr.execute('SELECT nextval(%s)', ('"%s"' % self._pg_name(),))
            number = cr.fetchone()[0]
        else:
            # the row lock is held until commit: concurrent takers wait, numbers stay consecutive
            cr.execute('SELECT number_next FROM ir_sequence WHERE id = %s FOR UPDATE', (self.id,))
            number = cr.fetchone()[0]
            cr.execute(
                'UPDATE ir_sequence SET number_next = number_next + number_increment WHERE id = %s',
                (self.id,),
            )
            self.env.transaction.invalidate(self._name, self._ids, ['number_next'])
        return '%s%s%s' % (
            self._interpolate(self.prefix),
            str(number).zfill(self.padding or 0),
            self._interpolate(self.suffix),
        )

    @api.rpc('write')
    def next_by_id(self):
        """The next reference of this sequence. Taking a number changes the sequence, so it needs
        the write right on sequences; documents that number themselves call it with ``sudo()``."""
        self.check_access_rights('write')
        self.check_access_rule('write')
        return self.sudo()._next()

    @api.model
    @api.rpc('write')
    def next_by_code(self, sequence_code):
        """The next reference of the sequence with ``sequence_code`` (False if none); needs the
        write right on sequences, as :meth:`next_by_id`."""
        self.check_access_rights('write')
        seq = self.search([('code', '=', sequence_code)], limit=1, order='company_id, id')
        if not seq:
            return False
        return seq.sudo()._next()

    @api.model
    @api.rpc('write')
    def get(self, code):
        """OpenERP 7's name for :meth:`next_by_code`, for the clients that still call it; the
        same right is needed (write on sequences)."""
        return self.next_by_code(code)
