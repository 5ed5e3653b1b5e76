"""Records split between two teams: each team's record rule shows it only its own rows.

A folder holds notes (one2many) and tags (many2many); ``ledger`` is readable by team A only (no
access right at all for team B), and so is a note's ``bonus`` field (``groups=``). The security
scenarios try to reach team A's rows as a member of
team B through every route.
"""

from openerp_lite import fields, models

TEAMS = [('a', 'Team A'), ('b', 'Team B')]


class Folder(models.Model):
    _name = 'test.reliability.folder'
    _description = 'A folder of one team'

    name = fields.Char(required=True)
    team = fields.Selection(TEAMS, required=True)
    note_ids = fields.One2many('test.reliability.note', 'folder_id', string='Notes')
    tag_ids = fields.Many2many('test.reliability.tag', string='Tags')


class Note(models.Model):
    _name = 'test.reliability.note'
    _description = 'A note of one team'

    name = fields.Char(required=True)
    secret = fields.Char()
    amount = fields.Integer()
    team = fields.Selection(TEAMS, required=True)
    folder_id = fields.Many2one('test.reliability.folder', ondelete='cascade')
    #: a field of team A only (``groups=``): team B may not read, search, group or sort by it
    bonus = fields.Integer(groups='test_reliability.group_team_a')


class Tag(models.Model):
    _name = 'test.reliability.tag'
    _description = 'A tag of one team'

    name = fields.Char(required=True)
    team = fields.Selection(TEAMS, required=True)


class Ledger(models.Model):
    _name = 'test.reliability.ledger'
    _description = 'Readable by team A only'

    name = fields.Char(required=True)
