"""The product and sale addons on a fresh database with demo data, their own tests, and the sale
flow end to end over XML-RPC as a "Sales / User"."""

import subprocess
import sys
import threading

import pytest

from openerp_lite.bench import launcher
from tests.support import pg as pgsupport
from tests.support.orm import RpcClient, RpcFault, drop_db, make_user
from tests.support.server import EXECUTABLE, ROOT


@pytest.fixture(scope='module')
def sale_db(server):
    name = pgsupport.new_db_name('oelsale')
    server.xmlrpc('db').create_database(server.admin_passwd, name, True, 'en_US', 'admin')
    admin = RpcClient(server, 'xmlrpc2', name, 1, 'admin')
    admin.call('ir.module.module', 'update_list')
    ids = admin.call('ir.module.module', 'search', [('name', '=', 'sale')])
    admin.call('ir.module.module', 'button_immediate_install', ids)
    yield name
    drop_db(server, name)


@pytest.fixture(scope='module')
def admin(server, sale_db):
    return RpcClient(server, 'xmlrpc2', sale_db, 1, 'admin')


@pytest.fixture(scope='module')
def salesman(admin):
    uid = make_user(admin, 'rpc_salesman', ['sale.group_sale_salesman'])
    return admin.as_user(uid, 'rpc_salesman')


def ref(admin, xmlid):
    return admin.call('ir.model.data', 'xmlid_to_res_id', xmlid, True)


def test_product_and_sale_install_with_their_demo_data(admin):
    states = admin.call(
        'ir.module.module',
        'search_read',
        [('name', 'in', ['product', 'sale'])],
        fields=['name', 'state', 'demo'],
    )
    assert {(s['name'], s['state'], s['demo']) for s in states} == {
        ('product', 'installed', True),
        ('sale', 'installed', True),
    }
    assert admin.call('product.product', 'search_count', [('default_code', '=like', 'FURN-%')]) == 2
    precisions = admin.call('decimal.precision', 'search_read', [], fields=['name', 'digits'])
    assert {'Product Price': 2, 'Product Unit of Measure': 3}.items() <= {
        p['name']: p['digits'] for p in precisions
    }.items()
    orders = admin.call(
        'sale.order', 'search_read', [], fields=['name', 'state', 'amount_total'], order='name'
    )
    assert [(o['name'], o['state'], o['amount_total']) for o in orders] == [
        ('SO001', 'draft', 1512.0),
        ('SO002', 'sale', 325.0),
    ]


def test_addon_tests_pass_with_openerp_server_test(pg, sale_db):
    cmd = [
        sys.executable,
        EXECUTABLE,
        'test',
        '-d',
        sale_db,
        '-m',
        'product,sale',
        '--log-level',
        'warn',
    ] + launcher.db_args(pg)
    done = subprocess.run(
        cmd, cwd=ROOT, env=launcher.clean_environ(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.count('\nOK') == 2


def test_sale_flow_as_a_sales_user(admin, salesman):
    partner = admin.call('res.partner', 'create', {'name': 'RPC Customer'})
    desk, chair, hours = (
        ref(admin, 'product.' + name) for name in ('product_desk', 'product_chair', 'product_installation')
    )
    order = salesman.call(
        'sale.order',
        'create',
        {
            'partner_id': partner,
            'order_line': [
                (0, 0, {'product_id': desk, 'product_uom_qty': 1}),
                (0, 0, {'product_id': chair, 'product_uom_qty': 4, 'discount': 25}),
                (0, 0, {'product_id': hours, 'product_uom_qty': 2, 'price_unit': 55.0}),
            ],
        },
    )
    assert salesman.call('sale.order', 'action_confirm', [order]) is True
    row = salesman.call(
        'sale.order',
        'read',
        [order],
        fields=['name', 'state', 'amount_untaxed', 'amount_total', 'user_id', 'order_line'],
    )[0]
    assert row['state'] == 'sale' and row['name'].startswith('SO')
    assert row['amount_total'] == row['amount_untaxed'] == 450.0 + 360.0 + 110.0
    assert row['user_id'][0] == salesman.uid and len(row['order_line']) == 3
    subtotals = salesman.call('sale.order.line', 'read', row['order_line'], fields=['price_subtotal'])
    assert sorted(line['price_subtotal'] for line in subtotals) == [110.0, 360.0, 450.0]
    with pytest.raises(RpcFault, match='Cannot confirm') as info:
        salesman.call('sale.order', 'action_confirm', [order])
    assert info.value.category == 'warning'


def test_sales_user_sees_and_acts_on_own_orders_only(admin, salesman):
    mine = salesman.call('sale.order', 'create', {'partner_id': ref(admin, 'base.res_partner_demo')})
    demo_order = ref(admin, 'sale.sale_order_1')  # the demo salesperson's quotation
    visible = salesman.call('sale.order', 'search', [])
    assert mine in visible and demo_order not in visible
    assert ref(admin, 'sale.sale_order_2') not in visible
    with pytest.raises(RpcFault) as info:
        salesman.call('sale.order', 'action_confirm', [demo_order])
    assert info.value.category == 'access'
    with pytest.raises(RpcFault) as info:
        salesman.call('sale.order', 'read', [demo_order], fields=['name'])
    assert info.value.category == 'access'
    assert admin.call('sale.order', 'read', [demo_order], fields=['state'])[0]['state'] == 'draft'
    with pytest.raises(RpcFault, match='not by writing it'):
        salesman.call('sale.order', 'write', [mine], {'state': 'done'})


def test_confirm_wizard_in_two_calls(admin, salesman):
    product = ref(admin, 'product.product_paper')
    orders = [
        salesman.call(
            'sale.order',
            'create',
            {
                'partner_id': ref(admin, 'base.res_partner_demo'),
                'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': n})],
            },
        )
        for n in (1, 2)
    ]
    wizard = salesman.call('sale.confirm.wizard', 'create', {'order_ids': [(6, 0, orders)]})
    assert sorted(salesman.call('sale.confirm.wizard', 'action_apply', [wizard])) == sorted(orders)
    states = salesman.call('sale.order', 'read', orders, fields=['state'])
    assert {s['state'] for s in states} == {'sale'}


def test_concurrent_confirmations_of_one_order_exactly_one_wins(admin, salesman):
    product = ref(admin, 'product.product_chair')
    for _attempt in range(3):
        order = salesman.call(
            'sale.order',
            'create',
            {
                'partner_id': ref(admin, 'base.res_partner_demo'),
                'order_line': [(0, 0, {'product_id': product})],
            },
        )
        barrier = threading.Barrier(4)
        outcomes = []

        def confirm(order=order, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                outcomes.append(salesman.call('sale.order', 'action_confirm', [order]))
            except RpcFault as fault:
                outcomes.append(fault.message)

        threads = [threading.Thread(target=confirm) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert outcomes.count(True) == 1, outcomes
        assert all('Cannot confirm' in o for o in outcomes if o is not True), outcomes
        assert salesman.call('sale.order', 'read', [order], fields=['state'])[0]['state'] == 'sale'
