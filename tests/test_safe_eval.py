"""The restricted evaluator: what data files and rule domains need works, known escapes are refused."""

import datetime

import pytest

from openerp_lite.exceptions import MissingError
from openerp_lite.tools.safe_eval import check_expression, default_eval_context, safe_eval


class _User:
    id = 7
    name = 'Demo'
    env = object()

    def has_group(self, xmlid):
        return xmlid == 'base.group_user'


def ctx(**extra):
    context = default_eval_context()
    context.update(extra)
    return context


@pytest.mark.parametrize(
    'expr, expected',
    [
        ('1 + 2 * 3', 7),
        ('-4 // 3', -2),
        ('7 % 3', 1),
        ('"a" + "b"', 'ab'),
        ('"%s-%s" % ("a", 1)', 'a-1'),
        ('[1, 2] + [3]', [1, 2, 3]),
        ('(1, "x", None, True, False)', (1, 'x', None, True, False)),
        ('{"a": 1, "b": [2]}', {'a': 1, 'b': [2]}),
        ('{1, 2}', {1, 2}),
        ('not 0 and 3 or 4', 3),
        ('1 < 2 <= 2 != 3', True),
        ('1 in [1, 2] and 3 not in (1,)', True),
        ('[1, 2, 3][1:]', [2, 3]),
        ('{"k": 5}["k"]', 5),
        ('"yes" if 1 else "no"', 'yes'),
        ('[x * 2 for x in [1, 2, 3] if x > 1]', [4, 6]),
        ('{k: v for k, v in [("a", 1)]}', {'a': 1}),
        ('2 ** 10', 1024),
        ('[(6, 0, [1, 2])]', [(6, 0, [1, 2])]),
    ],
)
def test_allowed_constructs_evaluate_like_python(expr, expected):
    assert safe_eval(expr) == expected


def test_record_rule_domain_with_user_from_context():
    assert safe_eval("[('user_id', '=', user.id)]", {'user': _User()}) == [('user_id', '=', 7)]


def test_context_callable_and_method_call():
    assert safe_eval("user.has_group('base.group_user')", {'user': _User()}) is True
    assert safe_eval("[(4, ref('base.a'))]", {'ref': lambda x: 42}) == [(4, 42)]


def test_date_helpers_of_the_default_context():
    today = datetime.date.today()
    assert safe_eval("time.strftime('%Y')", ctx()) == str(today.year)
    assert safe_eval('context_today()', ctx()) == today
    assert safe_eval('datetime(2020, 1, 2).date()', ctx()) == datetime.date(2020, 1, 2)
    assert safe_eval('datetime.date.today()', ctx()) == today
    assert safe_eval("(datetime.now() + timedelta(days=1)).strftime('%Y-%m-%d')", ctx())
    assert safe_eval('date(2021, 3, 4) - timedelta(days=4)', ctx()) == datetime.date(2021, 2, 28)
    assert safe_eval('datetime.timedelta(hours=1)', ctx()) == datetime.timedelta(hours=1)


def test_comprehension_variable_does_not_leak_or_clobber():
    assert safe_eval('[x for x in [1]] + [x]', {'x': 9}) == [1, 9]


def test_server_errors_from_context_callables_pass_through():
    def ref(xmlid):
        raise MissingError('External id %s not found' % xmlid)

    with pytest.raises(MissingError):
        safe_eval("ref('nope')", {'ref': ref})


@pytest.mark.parametrize(
    'expr',
    [
        '().__class__.__bases__[0].__subclasses__()',
        "__import__('os')",
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "eval('1')",
        'lambda: 1',
        '(lambda x: x)(1)',
        '[].__class__.__mro__',
        "''.__class__.__base__.__subclasses__()",
        'user.__class__',
        'user.__dict__',
        'user.has_group.__globals__',
        'user._private',
        'user.env',
        "'{0.__class__}'.format(1)",
        "'{x}'.format_map({})",
        'datetime.mro()',
        'time.sleep(10)',
        '10**10**10',
        '2 ** 100000',
        "'x' * 10**9",
        '[0] * 10**8',
        "'%9999999d' % 1",
        "'%*d' % (10**8, 1)",
        '(x for x in [1])',
        '[y for x in [[1]] for y in x]',
        "f'{user}'",
        '(y := 1)',
        '{**{}}',
        'ref(*[1])',
        'ref(**{})',
        'ref.__call__(1)',
        'undefined_name',
        "ref('a')()",
        '1 +',
        'import os',
        'x = 1',
        '...',
        '~1',
        '1 << 1000000',
    ],
)
def test_escapes_and_forbidden_constructs_raise_value_error(expr):
    with pytest.raises(ValueError):
        safe_eval(expr, ctx(user=_User(), ref=lambda *a, **k: 1))


def test_error_message_names_the_construct():
    with pytest.raises(ValueError, match='lambda'):
        safe_eval('lambda: 0')
    with pytest.raises(ValueError, match='__class__'):
        safe_eval('().__class__')
    with pytest.raises(ValueError, match="'format'"):
        safe_eval("'{}'.format(1)")
    with pytest.raises(ValueError, match='not defined'):
        safe_eval('missing')


def test_attribute_access_on_modules_and_functions_refused():
    import os

    with pytest.raises(ValueError, match='module'):
        safe_eval('os.getcwd()', {'os': os})
    with pytest.raises(ValueError, match='function'):
        safe_eval('f.x', {'f': lambda: 0})


def test_runtime_failures_become_value_errors():
    with pytest.raises(ValueError, match='ZeroDivisionError'):
        safe_eval('1 / 0')
    with pytest.raises(ValueError, match='KeyError'):
        safe_eval('{}["a"]')


def test_dunder_context_names_refused():
    with pytest.raises(ValueError):
        safe_eval('1', {'__builtins__': {}})


def test_check_expression_is_static():
    check_expression("[(6, 0, [ref('a')])]")  # unknown names are fine statically
    with pytest.raises(ValueError, match='lambda'):
        check_expression('lambda: 0')


def test_evaluation_budget_bounds_nested_work():
    with pytest.raises(ValueError, match='budget'):
        safe_eval('[[0] * 50000 for x in [0] * 50000]')
