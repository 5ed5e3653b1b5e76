"""A counter incremented by read-modify-write, for the concurrency test."""

from openerp_lite import api, fields, models


class Counter(models.Model):
    _name = 'test.orm.counter'
    _description = 'ORM test counter'

    name = fields.Char(required=True)
    value = fields.Integer()

    @api.rpc('write')
    def increment(self):
        """Add one to each counter, reading the value first; returns the new values."""
        result = []
        for counter in self:
            value = counter.value
            counter.write({'value': value + 1})
            result.append(value + 1)
        return result
