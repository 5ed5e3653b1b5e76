"""``openerp-server scaffold NAME [DIR]``: write the skeleton of a new module into DIR/NAME.

The skeleton installs as is: a manifest, a model ``NAME.item`` (with a stored computed field and
two methods declared for RPC with ``@api.rpc``), its access rights, a data file with one record,
and a test class for ``openerp-server test``. Put DIR on ``--addons-path``, call ``update_list``
and install it.
"""

import argparse
import os
import sys

PROG = 'openerp-server scaffold'
HELP = """\
Write the skeleton of a new addon into DIR/NAME: a manifest, a model NAME.item with its access
rights, a data file and a test. It installs as is: put DIR on --addons-path, then call
ir.module.module's update_list and install it (see the README, "Developing addons").

A name an addon on the addons path already has is refused (the first one found would hide the
other): the repository's addons/, DIR, and the folders of --addons-path or of the config file."""

FILES = {
    '__init__.py': """\
from . import models  # noqa: F401
""",
    '__manifest__.py': '''\
{
    'name': '%(title)s',
    'version': '1.0',
    'summary': 'Short description of %(title)s',
    'description': """
%(title)s
%(underline)s

What the module does, for the people who install it.
""",
    'author': '',
    'license': 'LGPL-3',
    'category': 'Uncategorized',
    'depends': ['base'],
    'data': [
        'security/ir.model.access.csv',
        'data/%(name)s_data.xml',
    ],
    'demo': [],
    'installable': True,
    'auto_install': False,
}
''',
    'models/__init__.py': """\
from . import %(name)s  # noqa: F401
""",
    'models/%(name)s.py': '''\
from openerp_lite import api, fields, models
from openerp_lite.exceptions import ValidationError


class %(class_name)sItem(models.Model):
    _name = '%(model)s'
    _description = '%(title)s item'
    _order = 'name'

    name = fields.Char(required=True)
    description = fields.Text()
    active = fields.Boolean(default=True)
    quantity = fields.Integer(default=1)
    unit_price = fields.Float(digits=(16, 2))
    total = fields.Float(digits=(16, 2), compute='_compute_total', store=True)

    @api.depends('quantity', 'unit_price')
    def _compute_total(self):
        for item in self:
            item.total = item.quantity * item.unit_price

    @api.constrains('quantity')
    def _check_quantity(self):
        for item in self:
            if item.quantity < 0:
                raise ValidationError('The quantity of %%s cannot be negative.' %% item.name)

    # Only methods declared with @api.rpc are callable over XML-RPC and JSON-RPC. The declaration
    # says what the caller needs, checked before the method runs: an access right on this model
    # ('read', 'write', 'create', 'unlink'; None: any logged-in user) and, with groups=, membership
    # of one of those groups. A method on records also gets the record rules of that right
    # checked on its ids; access='read' methods run in a read-only transaction.

    @api.rpc('write')
    def action_restock(self, quantity=1):
        """Add ``quantity`` to each item (over RPC: ``[ids, quantity]``)."""
        for item in self:
            item.quantity += quantity
        return True

    @api.model
    @api.rpc('read')
    def stock_value(self):
        """The total value of the active items the caller can see (a model method: no ids)."""
        return sum(self.search([]).mapped('total'))
''',
    'security/ir.model.access.csv': """\
id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
access_%(model_xmlid)s_user,%(model)s user,model_%(model_xmlid)s,base.group_user,1,1,1,1
""",
    'data/%(name)s_data.xml': """\
<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <data>
        <record id="item_example" model="%(model)s">
            <field name="name">Example item</field>
            <field name="quantity">3</field>
            <field name="unit_price">2.5</field>
        </record>
    </data>
</odoo>
""",
    'tests/__init__.py': """\
from . import test_%(name)s  # noqa: F401
""",
    'tests/test_%(name)s.py': """\
from openerp_lite.exceptions import ValidationError
from openerp_lite.tests import TransactionCase


class Test%(class_name)s(TransactionCase):

    def test_total_follows_quantity_and_price(self):
        item = self.env['%(model)s'].create({'name': 'Test', 'quantity': 4, 'unit_price': 1.25})
        self.assertEqual(item.total, 5.0)
        item.write({'quantity': 2})
        self.assertEqual(item.total, 2.5)

    def test_negative_quantity_refused(self):
        with self.assertRaises(ValidationError):
            self.env['%(model)s'].create({'name': 'Bad', 'quantity': -1})

    def test_data_file_record(self):
        self.assertEqual(self.env.ref('%(name)s.item_example').total, 7.5)

    def test_restock_and_stock_value(self):
        item = self.env['%(model)s'].create({'name': 'Box', 'quantity': 1, 'unit_price': 2.0})
        before = self.env['%(model)s'].stock_value()
        item.action_restock(2)
        self.assertEqual(item.quantity, 3)
        self.assertEqual(self.env['%(model)s'].stock_value(), before + 4.0)

    def test_rpc_declarations(self):
        declared = self.env['%(model)s']._rpc_methods
        self.assertEqual(declared['action_restock'].access, 'write')
        self.assertTrue(declared['stock_value'].readonly)
        self.assertNotIn('_compute_total', declared)
""",
}


def render(name):
    """``{relative path: text}`` of the skeleton of module ``name``."""
    title = name.replace('_', ' ').title()
    values = {
        'name': name,
        'title': title,
        'underline': '=' * len(title),
        'class_name': title.replace(' ', ''),
        'model': '%s.item' % name,
        'model_xmlid': '%s_item' % name,
    }
    return {path % values: text % values for path, text in FILES.items()}


def scaffold(name, directory='.', addons_path=()):
    """Write module ``name`` into ``directory``; returns its folder. Refuses with ``ValueError`` an
    invalid name, an existing folder, and a name a module of ``addons_path`` (or of the
    repository's addons) already has."""
    from ..modules import module

    if not name.isidentifier() or name.startswith('_') or name != name.lower():
        raise ValueError(
            '%r is not a valid module name: use lowercase letters, digits and '
            'underscores, starting with a letter' % name
        )
    target = os.path.join(os.path.abspath(os.path.expanduser(directory)), name)
    if os.path.exists(target):
        raise ValueError('%s already exists; not overwriting it' % target)
    folders = [os.path.abspath(os.path.expanduser(p)) for p in addons_path] + [module.DEFAULT_ADDONS_PATH]
    taken = module.module_folders(name, folders)
    if taken:
        raise ValueError(
            'an addon called %s already exists in %s; choose another name (two addons of one name '
            'hide each other on the addons path)' % (name, taken[0])
        )
    for relpath, text in render(name).items():
        path = os.path.join(target, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(text)
    return target


def main(argv):
    from ..exceptions import ConfigError
    from ..tools import config

    parser = argparse.ArgumentParser(
        prog=PROG, description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('name', help='technical name of the module (e.g. library)')
    parser.add_argument(
        'directory',
        nargs='?',
        default='.',
        help='addons folder to create it in (default: the current folder)',
    )
    parser.add_argument('-c', '--config', help='config file whose addons_path to check the name against')
    parser.add_argument('--addons-path', help='comma-separated addons folders to check the name against')
    args = parser.parse_args(argv)
    try:
        given = ['-c', args.config] if args.config else []
        given += ['--addons-path', args.addons_path] if args.addons_path else []
        addons_path = config.parse(given, os.environ, prog=PROG, command='scaffold').addons_path
    except ConfigError as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 2
    try:
        target = scaffold(args.name, args.directory, addons_path)
    except (ValueError, OSError) as error:
        print('%s: %s' % (PROG, error), file=sys.stderr)
        return 1
    print('module %s written to %s' % (args.name, target))
    return 0
