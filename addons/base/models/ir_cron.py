"""Scheduled jobs (the model; the servers run them)."""

from openerp_lite import fields, models

INTERVALS = [
    ('minutes', 'Minutes'),
    ('hours', 'Hours'),
    ('days', 'Days'),
    ('weeks', 'Weeks'),
    ('months', 'Months'),
]


class Cron(models.Model):
    _name = 'ir.cron'
    _description = 'Scheduled Actions'
    _order = 'priority, name'

    name = fields.Char(required=True)
    user_id = fields.Many2one(
        'res.users', 'User', required=True, default=lambda self: self.env.uid, ondelete='cascade'
    )
    active = fields.Boolean(default=True)
    interval_number = fields.Integer(default=1, help='Repeat every x.')
    interval_type = fields.Selection(INTERVALS, 'Interval Unit', default='months')
    numbercall = fields.Integer(
        'Number of Calls', default=-1, help='How many more times the job runs; -1 for no limit.'
    )
    doall = fields.Boolean('Repeat Missed', help='Run the missed occurrences after downtime')
    nextcall = fields.Datetime('Next Execution Date', required=True, default=fields.Datetime.now)
    lastcall = fields.Datetime('Last Execution Date', readonly=True)
    model = fields.Char('Model', required=True)
    function = fields.Char('Method', required=True)
    args = fields.Text('Arguments', default='()')
    priority = fields.Integer(default=5)
    failure_count = fields.Integer(readonly=True)
