"""The bench's data: a database with ``sale`` and ``bench_tools`` installed, partners, products and
sale orders with lines, created through the server's own RPC API in batches.

Every record the bench creates is recognisable (partners' ``ref`` ``BP000000``…, products'
``default_code`` ``BENCH-…``, orders' ``client_order_ref`` ``BENCH-…``), so a reused database
(``-d``) is topped up to the requested size instead of filled twice.
"""

import concurrent.futures
import xmlrpc.client

from .workloads import REF_FORMAT, SIGNAL_MODELS

MODULES = ('sale', 'bench_tools')
PARTNER_BATCH = 1000
ORDER_BATCH = 100
PRODUCTS = 20
#: rows of each signal-cost model: twenty per client for up to sixteen clients
SIGNAL_ROWS = 320
CITIES = ('Brussels', 'Paris', 'Berlin', 'London', 'Gent', 'Lyon', 'Zurich', 'Taipei')


class Data:
    """What the workloads need to know about the database (picklable, inherited by clients)."""

    def __init__(self, creds, partner_ids, product_ids, order_count, signal_rows=None):
        self.creds = creds
        self.partner_ids = partner_ids
        self.product_ids = product_ids
        self.order_count = order_count
        #: ``{model: ids}`` of the rows the signal-cost pair writes
        self.signal_rows = signal_rows or {}

    @property
    def partner_count(self):
        return len(self.partner_ids)


class _Rpc:
    def __init__(self, url, creds):
        self._object = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/object', allow_none=True)
        self.creds = creds

    def __call__(self, model, method, *args, **kwargs):
        creds = self.creds
        return self._object.execute_kw(creds.db, creds.uid, creds.password, model, method, list(args), kwargs)


def create_database(url, master_password, dbname, admin_password):
    """Create ``dbname`` (no demo data) with ``admin_password`` as the admin's password."""
    proxy = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/db', allow_none=True)
    proxy.create_database(master_password, dbname, False, 'en_US', admin_password)


def drop_database(url, master_password, dbname):
    proxy = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/db', allow_none=True)
    proxy.drop(master_password, dbname)


def database_exists(url, dbname):
    return bool(xmlrpc.client.ServerProxy(url + '/xmlrpc/2/db').db_exist(dbname))


def login(url, creds, login_name):
    """Fill ``creds.uid``; raises RuntimeError when the login is refused."""
    common = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/common', allow_none=True)
    uid = common.authenticate(creds.db, login_name, creds.password, {})
    if not uid:
        raise RuntimeError('cannot log in to %s as %s with the given password' % (creds.db, login_name))
    creds.uid = uid
    return uid


def install_modules(rpc):
    """Install what the workloads call (``sale`` and ``bench_tools``) when missing."""
    rpc('ir.module.module', 'update_list')
    modules = rpc(
        'ir.module.module', 'search_read', [['name', 'in', list(MODULES)]], fields=['name', 'state']
    )
    missing = [m['id'] for m in modules if m['state'] != 'installed']
    if len(modules) != len(MODULES):
        raise RuntimeError(
            'modules not found on the addons path: %s'
            % ', '.join(set(MODULES) - {m['name'] for m in modules})
        )
    if missing:
        rpc('ir.module.module', 'button_immediate_install', missing)
    return len(missing)


def _partners(rpc, count, progress):
    existing = rpc('res.partner', 'search_count', [['ref', '=like', 'BP%']])
    for start in range(existing, count, PARTNER_BATCH):
        end = min(count, start + PARTNER_BATCH)
        rpc(
            'res.partner',
            'create',
            [
                {
                    'name': 'Bench partner %06d' % n,
                    'ref': REF_FORMAT % n,
                    'email': 'partner%06d@example.com' % n,
                    'city': CITIES[n % len(CITIES)],
                    'zip': '%05d' % (n * 37 % 100000),
                    'is_company': n % 10 == 0,
                    'customer': True,
                }
                for n in range(start, end)
            ],
        )
        progress('partners', end, count)
    return rpc('res.partner', 'search', [['ref', '=like', 'BP%']], order='ref', limit=count)


def _products(rpc):
    existing = rpc('product.product', 'search', [['default_code', '=like', 'BENCH-%']], order='default_code')
    if len(existing) < PRODUCTS:
        rpc(
            'product.product',
            'create',
            [
                {'name': 'Bench product %02d' % n, 'default_code': 'BENCH-%02d' % n, 'list_price': 5.0 + n}
                for n in range(len(existing), PRODUCTS)
            ],
        )
    return rpc('product.product', 'search', [['default_code', '=like', 'BENCH-%']], order='default_code')


def _signal_rows(rpc):
    """``{model: ids}``: the rows of both signal-cost models, topped up to :data:`SIGNAL_ROWS`."""
    rows = {}
    for model in SIGNAL_MODELS.values():
        ids = rpc(model, 'search', [], order='id')
        if len(ids) < SIGNAL_ROWS:
            rpc(model, 'create', [{'name': 'row %d' % n, 'value': 0} for n in range(len(ids), SIGNAL_ROWS)])
            ids = rpc(model, 'search', [], order='id')
        rows[model] = ids[:SIGNAL_ROWS]
    return rows


def _order_batch(rpc, start, end, partner_ids, product_ids):
    ids = rpc(
        'sale.order',
        'create',
        [
            {
                'partner_id': partner_ids[n * 7 % len(partner_ids)],
                'client_order_ref': 'BENCH-%06d' % n,
                'order_line': [
                    [0, 0, {'product_id': product_ids[(n + k) % len(product_ids)], 'product_uom_qty': 1 + k}]
                    for k in range(3)
                ],
            }
            for n in range(start, end)
        ],
    )
    if (start // ORDER_BATCH) % 2 == 0:  # half of them confirmed, as in a living database
        rpc('sale.order', 'action_confirm', ids)
    return end - start


def _orders(url, creds, count, partner_ids, product_ids, progress, parallel):
    """Orders in batches, ``parallel`` batches at a time (the set-up server has as many workers):
    an order with its lines costs tens of milliseconds of ORM work."""
    existing = _Rpc(url, creds)('sale.order', 'search_count', [['client_order_ref', '=like', 'BENCH-%']])
    done = existing
    with concurrent.futures.ThreadPoolExecutor(max(1, parallel)) as pool:
        # one proxy per batch: a ServerProxy is not safe to share between threads
        futures = [
            pool.submit(
                _order_batch,
                _Rpc(url, creds),
                start,
                min(count, start + ORDER_BATCH),
                partner_ids,
                product_ids,
            )
            for start in range(existing, count, ORDER_BATCH)
        ]
        for future in concurrent.futures.as_completed(futures):
            done += future.result()
            progress('orders', done, count)
    return max(existing, count)


def populate(url, creds, partners, orders, progress=lambda *args: None, parallel=1):
    """Install the modules and top the data up to ``partners`` and ``orders`` (``parallel`` order
    batches at a time); returns :class:`Data`."""
    rpc = _Rpc(url, creds)
    install_modules(rpc)
    partner_ids = _partners(rpc, partners, progress)
    product_ids = _products(rpc)
    signal_rows = _signal_rows(rpc)
    order_count = _orders(url, creds, orders, partner_ids, product_ids, progress, parallel) if orders else 0
    return Data(creds, partner_ids, product_ids, order_count, signal_rows)
