"""Sale orders: a customer, a salesperson, lines, stored totals, and a server-enforced life cycle."""

from openerp_lite import api, fields, models
from openerp_lite.exceptions import UserError

STATES = [('draft', 'Quotation'), ('sale', 'Sales Order'), ('done', 'Done'), ('cancel', 'Cancelled')]


class SaleOrder(models.Model):
    _name = 'sale.order'
    _description = 'Sales Order'
    _order = 'date_order desc, id desc'

    name = fields.Char('Order Reference', required=True, readonly=True, copy=False, index=True, default='/')
    partner_id = fields.Many2one('res.partner', 'Customer', required=True, index=True, ondelete='restrict')
    date_order = fields.Datetime(
        'Order Date', required=True, index=True, default=lambda self: fields.Datetime.now()
    )
    confirmation_date = fields.Datetime(readonly=True, copy=False)
    user_id = fields.Many2one(
        'res.users', 'Salesperson', index=True, ondelete='restrict', default=lambda self: self.env.uid
    )
    client_order_ref = fields.Char('Customer Reference', copy=False)
    note = fields.Text('Terms and conditions')
    order_line = fields.One2many('sale.order.line', 'order_id', 'Order Lines', copy=True)
    state = fields.Selection(
        STATES, 'Status', required=True, readonly=True, copy=False, index=True, default='draft'
    )
    amount_untaxed = fields.Float(
        'Untaxed Amount', digits='Product Price', readonly=True, compute='_compute_amount_untaxed', store=True
    )
    amount_total = fields.Float(
        'Total', digits='Product Price', readonly=True, compute='_compute_amount_total', store=True
    )

    _sql_constraints = [('name_uniq', 'unique (name)', 'Order Reference must be unique!')]

    @api.depends('order_line.price_subtotal')
    def _compute_amount_untaxed(self):
        for order in self:
            order.amount_untaxed = sum(order.order_line.mapped('price_subtotal'))

    @api.depends('amount_untaxed')
    def _compute_amount_total(self):
        # one method per field: the ORM stores what a compute method sets for its own field only
        for order in self:
            order.amount_total = order.amount_untaxed  # no taxes in this module

    @api.model
    def create(self, vals_list):
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        for vals in vals_list:
            if vals.get('state', 'draft') != 'draft':
                self._check_state_writable()
            if vals.get('name', '/') in ('/', False, None, ''):
                # numbering is the order's business, not the salesman's: any user creating an
                # order takes the next number, without the write right on sequences
                vals['name'] = self.env['ir.sequence'].sudo().next_by_code('sale.order') or '/'
        return super().create(vals_list)

    def write(self, vals):
        if 'state' in vals:
            self._check_state_writable()
        if not self.env.su:
            done = self.filtered(lambda order: order.state == 'done')
            if done:
                raise UserError(
                    '%s is done: a done order is locked for good.' % ', '.join(done.mapped('name'))
                )
        return super().write(vals)

    def _check_state_writable(self):
        # the superuser (data files, administration, the actions below) may set a status directly
        if not self.env.su:
            raise UserError(
                'The status of an order changes through its actions (confirm, done, '
                'cancel, set to quotation), not by writing it.'
            )

    def unlink(self):
        for order in self:
            if order.state not in ('draft', 'cancel'):
                raise UserError('%s is a confirmed order: cancel it before deleting it.' % order.name)
        return super().unlink()

    def copy(self, default=None):
        default = dict(default or {}, name='/')
        return super().copy(default)

    # -- life cycle -------------------------------------------------------------------------------
    def _lock_states(self):
        """Lock the orders' rows until commit and return their current states.

        Two transactions acting on one order queue up here: the second waits for nothing
        (``NOWAIT``), fails, and is retried by the server from scratch, when it reads the state
        the first one committed. Access rules are checked first: a lock must not reveal rows.
        """
        self.check_access_rights('write')
        self.check_access_rule('write')
        self.env.cr.execute(
            'SELECT id, state FROM sale_order WHERE id = ANY(%s) FOR UPDATE NOWAIT', (list(self.ids),)
        )
        states = dict(self.env.cr.fetchall())
        self.env.transaction.invalidate(self._name, self.ids)
        return states

    def _set_state(self, state, **values):
        """Write the new status. The actions checked the caller's write right and record rules
        on these orders (``_lock_states``) and the transition itself; the status is then written
        as the superuser, which is the only way to write it: no context key a client could send
        opens that door."""
        values['state'] = state
        return self.sudo().write(values)

    def _refuse(self, states, allowed, action):
        wrong = self.filtered(lambda order: states[order.id] not in allowed)
        if wrong:
            labels = dict(STATES)
            raise UserError(
                'Cannot %s %s: %s'
                % (
                    action,
                    ', '.join(wrong.mapped('name')),
                    ', '.join('%s is %s' % (order.name, labels[states[order.id]]) for order in wrong),
                )
            )

    @api.rpc('write')
    def action_confirm(self):
        """Quotation -> Sales Order. Refused for an order that is not a quotation or has no lines."""
        states = self._lock_states()
        self._refuse(states, ('draft',), 'confirm')
        empty = self.filtered(lambda order: not order.order_line)
        if empty:
            raise UserError(
                'Cannot confirm %s: an order needs at least one line.' % ', '.join(empty.mapped('name'))
            )
        self._set_state('sale', confirmation_date=fields.Datetime.now())
        return True

    @api.rpc('write')
    def action_done(self):
        """Sales Order -> Done (the order is locked for good)."""
        states = self._lock_states()
        self._refuse(states, ('sale',), 'set to done')
        self._set_state('done')
        return True

    @api.rpc('write')
    def action_cancel(self):
        """Quotation or Sales Order -> Cancelled; a done order cannot be cancelled."""
        states = self._lock_states()
        self._refuse(states, ('draft', 'sale', 'cancel'), 'cancel')
        self._set_state('cancel')
        return True

    @api.rpc('write')
    def action_draft(self):
        """Cancelled -> Quotation again."""
        states = self._lock_states()
        self._refuse(states, ('cancel',), 'set back to quotation')
        self._set_state('draft', confirmation_date=False)
        return True
