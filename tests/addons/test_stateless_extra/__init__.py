from openerp_lite import fields, models


class Extra(models.Model):
    _name = 'test.stateless.extra'
    _description = 'Installed on one process, served by all'

    name = fields.Char()
