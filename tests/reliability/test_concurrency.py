"""Concurrency correctness through the real server: a contended counter, one sale order confirmed
by eight clients at once, sequence numbers under eight parallel creators, and the serialization
retry (transparent within its budget, a clear error past it).

The threaded server is one process, so the retry counters it reports (``retry_stats``) and the
retry lines of its log cover every call of a scenario.
"""

import re
import uuid

import pytest

from .support import CLEAN, OK, Client, outcome, run_threads, sql

CLIENTS = 8


def _retries(server, db):
    return Client(server, db)('test.reliability.row', 'retry_stats')


def _retry_log_lines(server):
    return len(re.findall(r'serialization_failure on \S+, retrying', server.log(), re.I))


@pytest.mark.parametrize(
    'calls',
    [
        pytest.param(15, id='8x15'),
        pytest.param(100, id='8x100', marks=pytest.mark.slow),
    ],
)
def test_parallel_increments_reach_the_exact_total(pg, rel_db, rel_server, scenario, calls):
    db = rel_db['name']
    row = scenario('counter: %d clients x %d increments' % (CLIENTS, calls))
    admin = Client(rel_server, db, timeout=120)
    counter = admin('test.reliability.counter', 'create', {'name': 'race-%d' % calls})
    before, log_before = _retries(rel_server, db), _retry_log_lines(rel_server)
    seen = []

    def client(_index):
        for _ in range(calls):
            kind, value = outcome(lambda: admin('test.reliability.counter', 'increment', [counter]))
            row.count(kind, expected=())
            if kind == OK:
                seen.append(value[0])

    run_threads(client, CLIENTS, timeout=600)
    after = _retries(rel_server, db)
    value = sql(pg, db, 'SELECT value FROM test_reliability_counter WHERE id = %s', (counter,))[0][0]
    expected = CLIENTS * calls
    row.lost = max(0, expected - value)
    row.duplicated = max(0, value - expected) + (len(seen) - len(set(seen)))
    retries = after['retries'] - before['retries']
    row.note(
        'final value %d; %d serialization retries (log: %d), %d calls out of budget'
        % (
            value,
            retries,
            _retry_log_lines(rel_server) - log_before,
            after['exhausted'] - before['exhausted'],
        )
    )
    assert row.unexpected == 0
    assert value == expected
    assert sorted(seen) == list(range(1, expected + 1))


def _order(admin):
    partner = admin('res.partner', 'create', {'name': 'Race customer %s' % uuid.uuid4().hex[:6]})
    product = admin('product.product', 'create', {'name': 'Race product'})
    return admin(
        'sale.order',
        'create',
        {'partner_id': partner, 'order_line': [(0, 0, {'product_id': product, 'product_uom_qty': 2})]},
    )


def test_one_of_eight_simultaneous_confirmations_wins(pg, rel_db, rel_server, scenario):
    if 'sale' not in rel_db['modules']:
        pytest.skip('addons/sale is not installable yet: this scenario runs once it is')
    db = rel_db['name']
    row = scenario('sale order confirmed by %d clients at once' % CLIENTS)
    admin = Client(rel_server, db, timeout=120)
    order = _order(admin)
    results = []

    def confirm(_index):
        results.append(
            outcome(
                lambda: admin('sale.order', 'action_confirm', [order]),
                clean=r'confirm|quotation|state|concurrent',
            )
        )

    run_threads(confirm, CLIENTS, timeout=300)
    for kind, _detail in results:
        row.count(kind, expected=(CLEAN,))
    state = sql(pg, db, 'SELECT state FROM sale_order WHERE id = %s', (order,))[0][0]
    messages = sorted({detail.splitlines()[-1][:90] for kind, detail in results if kind == CLEAN})
    row.note('state %s; refusals: %s' % (state, ' / '.join(messages)))
    row.duplicated = max(0, row.ok - 1)
    row.lost = 1 if row.ok == 0 else 0
    assert row.unexpected == 0, results
    assert row.ok == 1 and row.expected_failures == CLIENTS - 1
    assert state == 'sale'
    assert all(not detail.startswith('1 ') for kind, detail in results if kind == CLEAN), (
        'a refusal came as a server error instead of a user error'
    )


@pytest.mark.parametrize('implementation', ['standard', 'no_gap'])
def test_sequence_numbers_stay_unique_and_gap_free_under_parallel_creators(
    pg, rel_db, rel_server, scenario, implementation
):
    db = rel_db['name']
    per_client = 12
    row = scenario(
        'ir.sequence %s: %d creators x %d (every 4th refused)' % (implementation, CLIENTS, per_client)
    )
    admin = Client(rel_server, db, timeout=120)
    code = 'test.reliability.%s.%s' % (implementation, uuid.uuid4().hex[:6])
    admin(
        'ir.sequence',
        'create',
        {'name': code, 'code': code, 'implementation': implementation, 'prefix': 'N', 'padding': 5},
    )
    names = []

    def create(index):
        for number in range(per_client):
            fail = number % 4 == 3  # a call that takes a number, then rolls back
            kind, value = outcome(
                lambda f=fail: admin('test.reliability.numbered', 'create_numbered', code, f),
                clean=r'refused after taking',
            )
            if fail:
                row.count(kind, expected=(CLEAN,))
                if kind == OK:
                    row.unexpected += 1
            else:
                row.count(kind, expected=())
                if kind == OK:
                    names.append(value)

    run_threads(create, CLIENTS, timeout=300)
    stored = [
        name for (name,) in sql(pg, db, 'SELECT name FROM test_reliability_numbered WHERE code = %s', (code,))
    ]
    numbers = sorted(int(name[1:]) for name in stored)
    expected = CLIENTS * (per_client - per_client // 4)
    row.duplicated = len(numbers) - len(set(numbers))
    row.lost = max(0, expected - len(stored)) + len(set(names) - set(stored))
    gaps = (numbers[-1] - numbers[0] + 1 - len(set(numbers))) if numbers else 0
    row.note(
        '%d numbers %s..%s, %d gaps'
        % (len(numbers), numbers[0] if numbers else '-', numbers[-1] if numbers else '-', gaps)
    )
    assert row.unexpected == row.lost == row.duplicated == 0
    assert len(stored) == expected
    if implementation == 'no_gap':
        assert numbers == list(range(1, expected + 1)), 'gap-free numbers have gaps'


def test_serialization_failure_is_retried_transparently(rel_db, rel_server, scenario):
    db = rel_db['name']
    row = scenario('serialization failure retried transparently (3 losses per call)')
    client = Client(rel_server, db)
    before = _retries(rel_server, db)
    for _ in range(5):
        kind, attempts = outcome(
            lambda: client('test.reliability.conflict', 'lose_races', uuid.uuid4().hex, 3)
        )
        row.count(kind, expected=())
        assert (kind, attempts) == (OK, 4)
    after = _retries(rel_server, db)
    row.note('%d retries counted by the server' % (after['retries'] - before['retries']))
    assert after['retries'] - before['retries'] == 15
    assert after['exhausted'] == before['exhausted']
    assert row.unexpected == 0


def test_serialization_failure_surfaces_only_after_the_retry_budget(rel_db, rel_server, scenario):
    from openerp_lite.service.object import SERIALIZATION_ATTEMPTS

    db = rel_db['name']
    row = scenario('serialization failure on every try: reported after the budget')
    client = Client(rel_server, db, timeout=120)
    before = _retries(rel_server, db)
    token = uuid.uuid4().hex
    kind, detail = outcome(
        lambda: client('test.reliability.conflict', 'lose_races', token, -1),
        clean=r'gave up after %d tries' % SERIALIZATION_ATTEMPTS,
    )
    row.count(kind, expected=(CLEAN,))
    after = _retries(rel_server, db)
    row.note(
        '%d tries, %d retries, then: %s'
        % (
            SERIALIZATION_ATTEMPTS,
            after['retries'] - before['retries'],
            next((line for line in detail.splitlines() if 'gave up' in line), detail)[-110:],
        )
    )
    assert kind == CLEAN, detail
    assert after['retries'] - before['retries'] == SERIALIZATION_ATTEMPTS - 1
    assert after['exhausted'] - before['exhausted'] == 1
