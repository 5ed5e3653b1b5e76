"""Domains: random domains compiled to SQL agree with a plain-Python evaluation of the same domain.

One scratch database per module holds ``base`` plus a fixed set of partners (a three-level
hierarchy, countries, NULLs in char, boolean and many2one columns, names with ``%`` and ``_``).
Hypothesis builds random domains over those rows; each is searched through the ORM with
``active_test=False`` and evaluated by :class:`Reference`, which encodes OpenERP's domain
semantics, as OpenERP 6.1 and 7.0 document their domain language:

* ``=``/``!=`` with ``False`` are ``IS NULL``/``IS NOT NULL``; ``!=``, ``not in``, ``not like`` and
  ``not ilike`` also match NULL; a boolean ``= False`` matches NULL and false alike;
* ``like``/``ilike`` wrap the value as ``%value%`` (so ``like ''`` matches everything, NULL
  included), ``=like``/``=ilike`` use the pattern as given; ``=?`` with False/None is TRUE;
* ``in``/``not in`` lists may hold ``False``, which stands for NULL (``not in`` is the complement
  of ``in``);
* a many2one compared with a name goes through the target's name search; a negative operator
  also matches an empty many2one (OpenERP appends ``False`` to the ids found);
* a dotted path through a many2one is a sub-select, so an empty many2one matches neither a
  positive nor a negative leaf on the far side;
* ``child_of``/``parent_of`` walk ``parent_id`` down/up from the given ids (or names), the
  starting records included; ``!`` negates its operand, NULL-valued leaves counting as false.
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openerp_lite import registry as registry_mod
from openerp_lite import sql_db
from openerp_lite.exceptions import UserError
from openerp_lite.orm.environment import SUPERUSER_ID, Environment
from openerp_lite.orm.expression import DomainError
from tests.support import fuzz
from tests.support import pg as pgsupport

# -- the fixed data set --------------------------------------------------------------------------
# (key, name, parent key, country code, city, zip, is_company, active, customer)
# None is stored as NULL; the boolean NULLs are written with plain SQL after the creates, as rows
# created before a column existed would have them.
PARTNERS = [
    ('acme', 'Acme Corp', None, 'BE', 'Brussels', '1000', True, True, True),
    ('acme_labs', 'acme labs', 'acme', 'BE', 'brussels', '1050', True, True, False),
    ('bolt', 'Bolt_Nut', None, 'FR', 'Paris', '75001', True, True, True),
    ('cobalt', 'Cobalt 100%', None, 'DE', 'Berlin', '10115', True, True, None),
    ('delta', 'Delta', None, None, None, None, True, False, True),
    ('echo', 'ECHO Systems', None, 'US', 'New York', '10001', True, True, False),
    ('fox', 'Foxtrot', None, 'GB', 'London', None, None, True, True),
    ('alice', 'Alice Martin', 'acme', 'BE', 'Brussels', '1000', False, True, True),
    ('bob', 'Bob Martin', 'acme', 'BE', '', '1000', False, True, None),
    ('carol', 'carol smith', 'acme_labs', None, 'Gent', '9000', False, True, True),
    ('dave', 'Dave_Smith', 'acme_labs', 'NL', None, None, False, False, False),
    ('erin', 'Erin', 'bolt', 'FR', 'Paris', '75002', False, True, True),
    ('frank', 'Frank 50%', 'bolt', 'FR', 'paris', '75001', None, True, True),
    ('grace', 'Grace', 'cobalt', 'DE', 'Berlin', '10115', False, True, False),
    ('heidi', 'Heidi', 'cobalt', None, 'Munich', '80331', False, False, True),
    ('ivan', 'Ivan', 'delta', 'CH', 'Zurich', '8001', False, True, True),
    ('judy', 'judy', 'delta', None, None, None, False, True, None),
    ('mallory', 'Mallory', 'echo', 'US', 'Boston', '02108', False, True, True),
    ('nia', 'Nia', 'echo', 'US', 'New York', '10001', False, False, False),
    ('oscar', 'Oscar', 'fox', 'GB', 'London', 'EC1A', False, True, True),
    ('peggy', 'Peggy', 'alice', 'BE', 'Brussels', '1000', False, True, True),
    ('quinn', 'Quinn', 'alice', None, 'Antwerp', '2000', False, True, False),
    ('rupert', 'Rupert', 'carol', 'BE', 'Gent', '9000', False, True, True),
    ('sybil', 'Sybil', 'erin', 'FR', 'Lyon', '69001', False, False, True),
    ('trent', 'Trent', 'grace', 'DE', 'Hamburg', '20095', False, True, None),
    ('uma', 'Uma', 'ivan', 'CH', 'Geneva', '1201', False, True, True),
    ('victor', 'Victor', 'mallory', 'US', '', None, False, True, True),
    ('walter', 'Walter', 'oscar', 'GB', 'London', 'EC1A', False, True, False),
    ('xena', 'Xena', None, 'IN', 'Mumbai', '400001', False, True, True),
    ('yara', 'Yara', None, 'TW', 'Taipei', '100', False, True, True),
    ('zoe', 'Zoe', None, None, None, None, None, True, None),
    ('amy', 'Amy', 'heidi', 'DE', 'Munich', '80331', False, True, True),
    ('ben', 'Ben 100%', 'judy', None, 'Paris', '75001', False, True, True),
    ('cleo', 'Cleo_', 'nia', 'US', 'New York', None, False, True, False),
    ('dan', 'dan', 'dave', 'NL', 'Amsterdam', '1011', False, True, True),
    ('eve', 'Eve', 'sybil', 'FR', 'Lyon', '69002', False, True, True),
    ('finn', 'Finn', 'quinn', 'BE', 'Antwerp', '2000', False, False, None),
    ('gus', 'Gus', 'zoe', None, None, None, False, True, True),
    ('hank', 'Hank', 'xena', 'IN', 'Delhi', '110001', False, True, False),
    ('iris', 'Iris', 'yara', 'TW', 'Taipei', '100', False, True, True),
]

CHAR_FIELDS = ('name', 'city', 'zip', 'ref', 'email')
BOOL_FIELDS = ('is_company', 'active', 'customer', 'supplier')
M2O_FIELDS = {'parent_id': 'res.partner', 'country_id': 'res.country'}
COLUMNS = ('id',) + CHAR_FIELDS + BOOL_FIELDS + tuple(M2O_FIELDS)
COUNTRY_COLUMNS = ('id', 'name', 'code', 'phone_code')
NEGATIVE = ('!=', 'not like', 'not ilike', 'not in')

_names = [p[1] for p in PARTNERS] + ['Administrator', 'My Company']
_cities = sorted({p[4] for p in PARTNERS if p[4]})
_zips = sorted({p[5] for p in PARTNERS if p[5]})
_fragments = sorted({s[i : i + n] for s in _names + _cities for n in (1, 2, 3) for i in (0, 1)}) + [
    '%',
    '_',
    'a%n',
    'B_b',
    'martin',
    'MARTIN',
    '100%',
    '',
    'zz',
]
CHAR_VALUES = {
    'name': _names + ['Nobody', 'acme corp', 'ALICE MARTIN'],
    'city': _cities + ['', 'Nowhere', 'PARIS'],
    'zip': _zips + ['', '0', '5', '99999'],
    'ref': ['R1', 'R2', 'r1', '', 'X'],
    'email': ['alice@example.com', 'bob@example.com', 'x@y', ''],
}
COUNTRY_NAMES = [
    'Belgium',
    'France',
    'Germany',
    'Netherlands',
    'United Kingdom',
    'United States',
    'India',
    'Taiwan',
    'Switzerland',
    'Atlantis',
]
COUNTRY_CODES = ['BE', 'FR', 'DE', 'NL', 'GB', 'US', 'IN', 'TW', 'CH', 'XX', 'be']


@pytest.fixture(scope='module')
def dataset(pg):
    """``(dbname, registry, partners by id, countries by id)`` of a database filled once."""
    dbname = pgsupport.new_db_name()
    pgsupport.create_database(pg, dbname)
    try:
        registry_mod.create_database_schema(dbname)
        registry = registry_mod.Registry.get(dbname)
        with sql_db.cursor(dbname) as cr:
            env = Environment(cr, SUPERUSER_ID, {}, registry)
            _populate(env)
        with sql_db.cursor(dbname) as cr:
            cr.execute('SELECT %s FROM res_partner' % ', '.join(COLUMNS))
            partners = {row[0]: dict(zip(COLUMNS, row)) for row in cr.fetchall()}
            cr.execute('SELECT %s FROM res_country' % ', '.join(COUNTRY_COLUMNS))
            countries = {row[0]: dict(zip(COUNTRY_COLUMNS, row)) for row in cr.fetchall()}
        yield DataSet(dbname, registry, partners, countries)
    finally:
        registry_mod.Registry.delete(dbname)
        sql_db.close_db(dbname)
        pgsupport.drop_database(pg, dbname)


class DataSet(tuple):
    """``(dbname, registry, partners by id, countries by id)``, with a short repr for reports."""

    def __new__(cls, *values):
        return super().__new__(cls, values)

    def __repr__(self):
        return '<data set in %s: %d partners>' % (self[0], len(self[2]))


def _populate(env):
    countries = {c.code: c.id for c in env['res.country'].search([])}
    ids = {}
    null_company, null_customer = [], []
    for number, (key, name, parent, country, city, zip_, company, active, customer) in enumerate(PARTNERS):
        record = env['res.partner'].create(
            {
                'name': name,
                'parent_id': ids[parent] if parent else False,
                'country_id': countries[country] if country else False,
                'city': city if city is not None else False,
                'zip': zip_ or False,
                'is_company': bool(company),
                'active': active,
                'customer': bool(customer),
                'supplier': number % 3 == 0,
                'ref': ('R1', 'r1', 'R2', False, '')[number % 5],
                'email': ('%s@example.com' % key) if number % 4 else False,
            }
        )
        ids[key] = record.id
        if company is None:
            null_company.append(record.id)
        if customer is None:
            null_customer.append(record.id)
    env.cr.execute('UPDATE res_partner SET is_company = NULL WHERE id = ANY(%s)', (null_company,))
    env.cr.execute('UPDATE res_partner SET customer = NULL WHERE id = ANY(%s)', (null_customer,))
    env.cr.execute('UPDATE res_partner SET supplier = NULL WHERE id = %s', (ids['gus'],))
    env.cr.execute("UPDATE res_country SET phone_code = NULL WHERE code = 'TW'")


# -- the reference evaluator ---------------------------------------------------------------------


def _like(value, pattern, insensitive):
    """SQL LIKE (backslash escapes, ``%`` and ``_`` wildcards) in Python."""
    regex, chars = [], iter(pattern)
    for char in chars:
        if char == '\\':
            regex.append(re.escape(next(chars, '\\')))
        elif char == '%':
            regex.append('.*')
        elif char == '_':
            regex.append('.')
        else:
            regex.append(re.escape(char))
    flags = re.S | (re.I if insensitive else 0)
    return re.fullmatch(''.join(regex), value, flags) is not None


def _is_null(value):
    return value is None or value is False


class Reference:
    """Evaluates a domain over the rows read back from the database."""

    def __init__(self, partners, countries):
        self.tables = {'res.partner': partners, 'res.country': countries}

    def search(self, domain):
        terms = list(domain)
        position = 0

        def parse():
            nonlocal position
            term = terms[position]
            position += 1
            if term == '!':
                operand = parse()
                return lambda row: not operand(row)
            if term in ('&', '|'):
                left, right = parse(), parse()
                if term == '&':
                    return lambda row: left(row) and right(row)
                return lambda row: left(row) or right(row)
            return lambda row: self.leaf('res.partner', row, term)

        predicates = []
        while position < len(terms):
            predicates.append(parse())
        rows = self.tables['res.partner'].values()
        return {row['id'] for row in rows if all(p(row) for p in predicates)}

    def leaf(self, model, row, leaf):
        if tuple(leaf) == (1, '=', 1):
            return True
        if tuple(leaf) == (0, '=', 1):
            return False
        path, operator, value = leaf
        operator = '!=' if operator == '<>' else operator
        if operator == '=?':
            if _is_null(value):
                return True
            operator = '='
        name, _, rest = path.partition('.')
        comodel = M2O_FIELDS.get(name) if model == 'res.partner' else None
        if rest:
            target = row[name]
            if target is None:
                return False
            return self.leaf(comodel, self.tables[comodel][target], (rest, operator, value))
        if operator in ('child_of', 'parent_of'):
            start = self._hierarchy_ids(value)
            reached = self._walk(start, down=operator == 'child_of')
            return row[name] is not None and row[name] in reached
        if comodel and self._is_name_value(operator, value):
            matching = {
                rec['id']
                for rec in self.tables[comodel].values()
                if self.match(rec['name'], operator, value, 'char')
            }
            return row[name] in matching or (operator in NEGATIVE and row[name] is None)
        ftype = (
            'boolean'
            if name in BOOL_FIELDS
            else 'char'
            if isinstance(row[name], str) or name in CHAR_FIELDS or name in ('code',)
            else 'integer'
        )
        return self.match(row[name], operator, value, ftype)

    @staticmethod
    def _is_name_value(operator, value):
        if operator.endswith('like') or isinstance(value, str):
            return True
        return isinstance(value, list) and any(isinstance(v, str) for v in value)

    def _hierarchy_ids(self, value):
        partners = self.tables['res.partner']
        if isinstance(value, str):
            return {p['id'] for p in partners.values() if _like(p['name'], '%' + value + '%', True)}
        values = value if isinstance(value, list) else [value]
        return {v for v in values if v}

    def _walk(self, start, down):
        partners = self.tables['res.partner']
        reached = {i for i in start if i in partners}
        frontier = set(reached)
        while frontier:
            if down:
                step = {p['id'] for p in partners.values() if p['parent_id'] in frontier}
            else:
                step = {partners[i]['parent_id'] for i in frontier} - {None}
            frontier = step - reached
            reached |= frontier
        return reached

    @staticmethod
    def match(column, operator, value, ftype):
        """One stored column value against ``operator value``."""
        if ftype == 'boolean':
            column = bool(column)
            if operator in ('in', 'not in'):
                found = column in {bool(v) for v in value}
                return found if operator == 'in' else not found
            if operator == '=':
                return column == bool(value)
            if operator == '!=':
                return column != bool(value)
            raise AssertionError('operator %r not generated for booleans' % operator)
        if operator in ('in', 'not in'):
            wants_null = any(_is_null(v) for v in value)
            plain = [v for v in value if not _is_null(v)]
            found = (column is None and wants_null) or (column is not None and column in plain)
            return found if operator == 'in' else not found
        if _is_null(value) and operator in ('=', '!='):
            return (column is None) == (operator == '=')
        if operator in ('like', 'ilike', 'not like', 'not ilike'):
            pattern = '%' + str(value) + '%'
            found = column is not None and _like(str(column), pattern, 'ilike' in operator)
            if operator in ('like', 'ilike'):
                return found or (value == '' and column is None)
            return column is None or not found
        if operator in ('=like', '=ilike'):
            return column is not None and _like(str(column), value, operator == '=ilike')
        if column is None:
            return operator == '!='
        return {
            '=': column == value,
            '!=': column != value,
            '<': column < value,
            '<=': column <= value,
            '>': column > value,
            '>=': column >= value,
        }[operator]


# -- domain strategies ---------------------------------------------------------------------------
LIKE_OPS = ('like', 'not like', 'ilike', 'not ilike', '=like', '=ilike')
CHAR_OPS = ('=', '!=', '<>', '=?', '<', '<=', '>', '>=') + LIKE_OPS
PARTNER_IDS = st.integers(min_value=0, max_value=48)
COUNTRY_IDS = st.integers(min_value=0, max_value=11)


def _id_list(ids):
    return st.lists(st.one_of(ids, st.just(False)), max_size=4)


def char_leaf(path, values):
    value = st.sampled_from(values)
    pattern = st.one_of(
        value,
        st.sampled_from(_fragments),
        st.sampled_from(_fragments).map(lambda f: f + '%'),
        st.sampled_from(_fragments).map(lambda f: '_' + f),
    )
    in_values = st.lists(st.one_of(value, st.just(False)), max_size=4)
    return st.one_of(
        st.tuples(st.just(path), st.sampled_from(('=', '!=', '<>', '=?')), st.one_of(value, st.just(False))),
        st.tuples(st.just(path), st.sampled_from(('<', '<=', '>', '>=')), value),
        st.tuples(st.just(path), st.sampled_from(LIKE_OPS), pattern),
        st.tuples(st.just(path), st.sampled_from(('in', 'not in')), in_values),
    )


def bool_leaf(path):
    return st.one_of(
        st.tuples(st.just(path), st.sampled_from(('=', '!=', '<>', '=?')), st.booleans()),
        st.tuples(st.just(path), st.sampled_from(('in', 'not in')), st.lists(st.booleans(), max_size=2)),
    )


def int_leaf(path, ints):
    return st.one_of(
        st.tuples(st.just(path), st.sampled_from(('=', '!=', '<>', '=?')), st.one_of(ints, st.just(False))),
        st.tuples(st.just(path), st.sampled_from(('<', '<=', '>', '>=')), ints),
        st.tuples(st.just(path), st.sampled_from(('in', 'not in')), _id_list(ints)),
    )


def m2o_leaf(path, ids, names):
    name = st.sampled_from(names)
    return st.one_of(
        st.tuples(st.just(path), st.sampled_from(('=', '!=', '=?')), st.one_of(ids, st.just(False))),
        st.tuples(st.just(path), st.sampled_from(('in', 'not in')), _id_list(ids)),
        st.tuples(
            st.just(path),
            st.sampled_from(('=', '!=') + LIKE_OPS),
            st.one_of(name, st.sampled_from(_fragments)),
        ),
        st.tuples(st.just(path), st.sampled_from(('in', 'not in')), st.lists(name, min_size=1, max_size=3)),
    )


def hierarchy_leaf():
    value = st.one_of(
        PARTNER_IDS,
        st.lists(PARTNER_IDS, max_size=3),
        st.just(False),
        st.sampled_from(['Acme', 'Bolt', 'acme labs', 'Martin', 'nobody']),
    )
    return st.tuples(st.sampled_from(('id', 'parent_id')), st.sampled_from(('child_of', 'parent_of')), value)


LEAVES = st.one_of(
    *[char_leaf(f, CHAR_VALUES[f]) for f in CHAR_FIELDS],
    *[bool_leaf(f) for f in BOOL_FIELDS],
    int_leaf('id', PARTNER_IDS),
    m2o_leaf('parent_id', PARTNER_IDS, _names),
    m2o_leaf('country_id', COUNTRY_IDS, COUNTRY_NAMES),
    char_leaf('parent_id.name', CHAR_VALUES['name']),
    char_leaf('parent_id.city', CHAR_VALUES['city']),
    bool_leaf('parent_id.is_company'),
    char_leaf('parent_id.parent_id.name', CHAR_VALUES['name']),
    char_leaf('parent_id.country_id.code', COUNTRY_CODES),
    m2o_leaf('parent_id.country_id', COUNTRY_IDS, COUNTRY_NAMES),
    char_leaf('country_id.code', COUNTRY_CODES),
    char_leaf('country_id.name', COUNTRY_NAMES),
    int_leaf('country_id.phone_code', st.sampled_from([0, 1, 31, 32, 33, 44, 49, 91, 886, 1000])),
    hierarchy_leaf(),
    st.sampled_from([(1, '=', 1), (0, '=', 1)]),
)


def _prefix(tree):
    """A tree of leaves, ``('!', t)`` and ``(op, a, b)`` as a prefix-notation list."""
    if isinstance(tree, tuple) and tree and tree[0] in ('!', '&', '|'):
        return [tree[0]] + [term for operand in tree[1:] for term in _prefix(operand)]
    return [tree]


TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.tuples(st.just('!'), children), st.tuples(st.sampled_from(('&', '|')), children, children)
    ),
    max_leaves=6,
)
# a domain is one or more trees, implicitly and-ed
DOMAINS = st.lists(TREES, min_size=0, max_size=3).map(
    lambda trees: [term for tree in trees for term in _prefix(tree)]
)


# -- tests ---------------------------------------------------------------------------------------


def _search(dataset, domain):
    dbname, registry, _, _ = dataset
    with sql_db.cursor(dbname) as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry)
        return set(env['res.partner'].with_context(active_test=False).search(domain).ids)


def _matches_reference(dataset, domain):
    reference = Reference(dataset[2], dataset[3])
    assert _search(dataset, domain) == reference.search(domain), domain


@fuzz.configured(150)
@given(domain=DOMAINS)
def test_random_domain_matches_reference_evaluation(dataset, domain):
    _matches_reference(dataset, domain)


@fuzz.configured(150, fresh=True)
@given(domain=DOMAINS)
def test_random_domain_matches_reference_evaluation_fresh_seed(dataset, domain):
    _matches_reference(dataset, domain)


@pytest.mark.parametrize(
    'domain',
    [
        [('name', 'like', '')],
        [('city', 'ilike', '')],
        [('parent_id', 'not ilike', 'acme')],
        [('country_id', '!=', 'Belgium')],
        [('country_id', 'not in', ['France', 'Belgium'])],
        [('is_company', 'in', [False])],
        [('is_company', 'not in', [False])],
        [('customer', 'not in', [True])],
        [('parent_id.name', 'not ilike', 'acme')],
        ['!', ('parent_id.name', '=', 'Acme Corp')],
        [('parent_id', 'child_of', 'Acme')],
        [('id', 'parent_of', [0, False])],
        [('name', 'like', '100%')],
        [('name', '=like', '%\\_%')],
        [('country_id.phone_code', '!=', 886)],
    ],
)
def test_known_tricky_domains_match_reference(dataset, domain):
    reference = Reference(dataset[2], dataset[3])
    assert _search(dataset, domain) == reference.search(domain)


def test_reference_sees_the_data_set(dataset):
    """The fixed data set has what the properties need: NULLs, inactive rows, three levels."""
    partners = dataset[2]
    assert len(partners) >= 40
    assert any(p['is_company'] is None for p in partners.values())
    assert any(p['active'] is False for p in partners.values())
    assert any(p['parent_id'] is None for p in partners.values())
    grandchildren = [
        p
        for p in partners.values()
        if p['parent_id']
        and partners[p['parent_id']]['parent_id']
        and partners[partners[p['parent_id']]['parent_id']]['parent_id']
    ]
    assert grandchildren
    assert _search(dataset, []) == set(partners)


# -- malformed domains ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    'domain, message',
    [
        (['&', ('name', '=', 'a')], 'operand'),
        (['|'], 'operand'),
        (['!'], 'operand'),
        ([('name', '=')], 'Invalid domain term'),
        ([('name', '=', 'a', 'b')], 'Invalid domain term'),
        (['^', ('name', '=', 'a')], 'Invalid domain term'),
        ([42], 'Invalid domain term'),
        ('name = 1', 'must be a list|Invalid domain term'),
        ([('nope', '=', 1)], "Invalid field 'nope'"),
        ([('parent_id.nope', '=', 1)], "Invalid field 'nope'"),
        ([('name.first', '=', 1)], 'not relational'),
        ([('', '=', 1)], 'Invalid field name'),
        ([('name', 'LIKEX', 'a')], 'Invalid operator'),
        ([('name', '= 1 OR 1 =', 'a')], 'Invalid operator'),
        ([('name', None, 'a')], 'Invalid operator'),
        ([('name', '=', {'a': 1})], 'Invalid value'),
        ([('id', 'in', [{'a': 1}])], 'Invalid value'),
        ([('id', 'in', [[1, 2]])], 'Invalid value'),
    ],
)
def test_malformed_domain_raises_domain_error(dataset, domain, message):
    with pytest.raises(DomainError, match=message) as info:
        _search(dataset, domain)
    assert isinstance(info.value, UserError)


def test_a_long_implicit_and_is_normalised_in_linear_time_and_a_huge_domain_is_refused():
    from openerp_lite.orm import expression

    leaves = [('name', '=', str(i)) for i in range(50000)]
    normalized = expression.normalize(leaves)
    assert normalized[:49999] == ['&'] * 49999 and normalized[49999:] == leaves
    with pytest.raises(expression.DomainError, match='too large'):
        expression.normalize([('name', '=', 'x')] * (expression.MAX_TERMS + 1))
