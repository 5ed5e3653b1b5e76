"""What the load generators send: one class per workload, all driven by the same dataset.

A *simple* workload is one request per operation, with bodies prepared before the cell starts
(:meth:`Workload.bodies`), so either load generator can send it: the C one (``wrk``) cycles through
the same bodies in Lua. A *flow* workload (``sale_flow``) chains calls that depend on earlier
replies; it is a generator driven by the Python load generator, and its operation is the flow.
"""

from . import protocol
from .protocol import JSONRPC, XMLRPC

#: bodies prepared per client; they are cycled, so a long cell repeats them
BODIES_PER_CLIENT = 1000
READ_FIELDS = ['name', 'email', 'city']
SEARCH_FIELDS = ['name', 'email', 'city', 'zip', 'ref']
SEARCH_LIMIT = 80
REF_FORMAT = 'BP%06d'


class Workload:
    """One kind of operation. ``name`` identifies the cell; ``simple`` workloads have bodies."""

    name = None
    protocol = XMLRPC
    simple = True
    needs_db = True
    #: what one operation is, for the report's rate column
    unit = 'req'

    def __init__(self, protocol_name=None):
        if protocol_name:
            self.protocol = protocol_name

    @property
    def key(self):
        """The cell's name: the workload, plus the protocol when it is not XML-RPC."""
        return self.name if self.protocol == XMLRPC else '%s %s' % (self.name, self.protocol)

    def bodies(self, data, index, clients):
        """``(path, [body, ...])`` that client ``index`` of ``clients`` cycles through."""
        raise NotImplementedError

    def flow(self, data, index, clients):
        """A generator of ``(path, body)`` requests, sent each reply's decoded result."""
        path, bodies = self.bodies(data, index, clients)
        position = 0
        while True:
            yield path, bodies[position]
            position = (position + 1) % len(bodies)


def _spread(values, index, clients, limit=BODIES_PER_CLIENT):
    """Client ``index``'s share of ``values``: disjoint when there are enough, at most ``limit``."""
    if len(values) >= clients:
        values = values[index::clients]
    return values[:limit] or values


class Version(Workload):
    name = 'version'
    needs_db = False

    def bodies(self, data, index, clients):
        path, body = protocol.encode(self.protocol, 'common', 'version', [])
        return path, [body]


class Read1(Workload):
    """``read`` of one partner by id, three fields."""

    name = 'read1'

    def bodies(self, data, index, clients):
        ids = _spread(data.partner_ids, index, clients)
        bodies = []
        for record_id in ids:
            path, body = protocol.execute_kw(
                self.protocol, data.creds, 'res.partner', 'read', [[record_id]], {'fields': READ_FIELDS}
            )
            bodies.append(body)
        return path, bodies


class SearchRead80(Workload):
    """``search_read`` of 80 partners by a range of their indexed ``ref``, five fields."""

    name = 'search_read80'

    def bodies(self, data, index, clients):
        span = max(1, data.partner_count - SEARCH_LIMIT)
        starts = [(index * 7919 + n * 104729) % span for n in range(min(BODIES_PER_CLIENT, span))]
        bodies = []
        for start in starts:
            domain = [['ref', '>=', REF_FORMAT % start], ['ref', '<', REF_FORMAT % (start + SEARCH_LIMIT)]]
            path, body = protocol.execute_kw(
                self.protocol,
                data.creds,
                'res.partner',
                'search_read',
                [domain],
                {'fields': SEARCH_FIELDS, 'limit': SEARCH_LIMIT, 'order': 'ref'},
            )
            bodies.append(body)
        return path, bodies


class Write1(Workload):
    """``write`` of one field of one partner; each client writes its own partners (no lock waits
    between clients are measured, only the write itself)."""

    name = 'write1'

    def bodies(self, data, index, clients):
        ids = _spread(data.partner_ids, index, clients)
        bodies = []
        for position, record_id in enumerate(ids):
            path, body = protocol.execute_kw(
                self.protocol,
                data.creds,
                'res.partner',
                'write',
                [[record_id], {'city': 'City %d' % position}],
            )
            bodies.append(body)
        return path, bodies


class SaleFlow(Workload):
    """Create an order with three lines, confirm it, read its total: one operation, three calls."""

    name = 'sale_flow'
    simple = False
    unit = 'flow'

    def flow(self, data, index, clients):
        partners = _spread(data.partner_ids, index, clients)
        products = data.product_ids
        turn = 0
        while True:
            turn += 1
            lines = [
                [
                    0,
                    0,
                    {
                        'product_id': products[(turn + k) % len(products)],
                        'product_uom_qty': 1 + k,
                        'price_unit': 10.0 * (k + 1),
                    },
                ]
                for k in range(3)
            ]
            order_id = yield protocol.execute_kw(
                self.protocol,
                data.creds,
                'sale.order',
                'create',
                [{'partner_id': partners[turn % len(partners)], 'order_line': lines}],
            )
            yield protocol.execute_kw(self.protocol, data.creds, 'sale.order', 'action_confirm', [[order_id]])
            rows = yield protocol.execute_kw(
                self.protocol,
                data.creds,
                'sale.order',
                'read',
                [[order_id]],
                {'fields': ['amount_total', 'state']},
            )
            if abs(rows[0]['amount_total'] - 140.0) > 1e-6 or rows[0]['state'] != 'sale':
                raise RuntimeError(
                    'order %s: total %r, state %r (expected 140.0, sale)'
                    % (order_id, rows[0]['amount_total'], rows[0]['state'])
                )
            yield None  # end of one operation


class Create1(Workload):
    """``create`` of one partner per call (three fields): the cost of an insert with its
    defaults, sequences and access checks."""

    name = 'create1'

    def bodies(self, data, index, clients):
        bodies = []
        for position in range(BODIES_PER_CLIENT):
            path, body = protocol.execute_kw(
                self.protocol,
                data.creds,
                'res.partner',
                'create',
                [
                    {
                        'name': 'Bench created %d-%d' % (index, position),
                        'city': 'City %d' % (position % 50),
                        'email': 'created%d.%d@example.com' % (index, position),
                    }
                ],
            )
            bodies.append(body)
        return path, bodies


#: the two models of the signal cost: the same row, written with and without a cache signal
SIGNAL_MODELS = {'plain': 'bench.plain.row', 'signalling': 'bench.signalling.row'}


class SignalWrite(Workload):
    """``write`` of one integer on a row of the client's own, on ``bench.plain.row`` (clears
    nothing) or ``bench.signalling.row`` (bumps a cache signal in the writing transaction, so
    concurrent writers contend on the signal's row). Measured in pairs, back to back."""

    name = 'signal_write'
    #: the runner asks every serving process how many calls it ran again around these cells
    counts_retries = True

    def __init__(self, variant):
        super().__init__()
        self.variant = variant
        self.model = SIGNAL_MODELS[variant]

    @property
    def key(self):
        return 'signal_write %s' % self.variant

    def bodies(self, data, index, clients):
        ids = _spread(data.signal_rows[self.model], index, clients)
        bodies = []
        for position in range(BODIES_PER_CLIENT):
            path, body = protocol.execute_kw(
                self.protocol,
                data.creds,
                self.model,
                'write',
                [[ids[position % len(ids)]], {'value': position}],
            )
            bodies.append(body)
        return path, bodies


class Hog(Workload):
    """The misbehaving client of the isolation workload: a CPU-bound call of ``seconds``."""

    name = 'hog'

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def bodies(self, data, index, clients):
        path, body = protocol.execute_kw(self.protocol, data.creds, 'bench.tools', 'cpu_burn', [self.seconds])
        return path, [body]


#: names accepted by ``--workloads``, in report order; each expands into cells (see :func:`groups`)
WORKLOAD_NAMES = (
    'version',
    'read1',
    'search_read80',
    'write1',
    'create1',
    'sale_flow',
    'signal_cost',
    'isolation',
    'memory',
)
#: workloads the runner measures in its own way, not as request cells
SPECIAL = ('isolation', 'memory')


def groups(names):
    """The request cells of the chosen names, as groups measured back to back on one server in
    each round: one workload each, except ``signal_cost``'s pair (plain, then signalling)."""
    result = []
    for name in names:
        if name == 'version':
            result.append((Version(),))
        elif name == 'read1':
            result += [(Read1(XMLRPC),), (Read1(JSONRPC),)]
        elif name == 'search_read80':
            result.append((SearchRead80(),))
        elif name == 'write1':
            result.append((Write1(),))
        elif name == 'create1':
            result.append((Create1(),))
        elif name == 'sale_flow':
            result.append((SaleFlow(),))
        elif name == 'signal_cost':
            result.append((SignalWrite('plain'), SignalWrite('signalling')))
    return result


def cells(names):
    """Every request workload of the chosen names, in order (isolation and memory are run
    differently, by the runner, on ``read1``)."""
    return [workload for group in groups(names) for workload in group]
