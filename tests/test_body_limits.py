"""The byte scans that refuse an amplifying request body before it is decoded."""

import json

import pytest

from openerp_lite.exceptions import ProtocolError
from openerp_lite.http import body_limits

LIMITS = body_limits.Limits(items=1000, depth=10)


def test_ordinary_calls_pass():
    body = json.dumps(
        {
            'jsonrpc': '2.0',
            'method': 'call',
            'id': 1,
            'params': {
                'service': 'object',
                'method': 'execute_kw',
                'args': ['db', 1, 'pw', 'res.partner', 'search', [[['name', 'ilike', 'a,b[c{d']]]],
            },
        }
    )
    body_limits.check_json(body.encode(), LIMITS)
    body_limits.check_xml_values(b'<value><int>1</int></value>' * 10, LIMITS)


@pytest.mark.parametrize(
    'body',
    [
        b'[' + b'{},' * 1000 + b'{}]',  # many small containers
        b'[' + b'0,' * 1000 + b'0]',  # many scalars
    ],
)
def test_too_many_values_are_refused(body):
    with pytest.raises(ProtocolError, match='Request too large'):
        body_limits.check_json(body, LIMITS)


def test_too_deep_is_refused_but_wide_is_not():
    with pytest.raises(ProtocolError, match='nested too deep'):
        body_limits.check_json(b'[' * 11 + b']' * 11, LIMITS)
    body_limits.check_json(b'[' * 10 + b']' * 10, LIMITS)
    body_limits.check_json(b'[' + b'[],' * 300 + b'[]]', LIMITS)


def test_brackets_and_commas_inside_strings_count_for_nothing():
    text = json.dumps(['[[[[[[[[[[[[{,,,,,,,' * 200, 'a \\" b'])
    body_limits.check_json(text.encode(), LIMITS)


def test_xml_values_are_counted():
    with pytest.raises(ProtocolError, match='Request too large'):
        body_limits.check_xml_values(b'<value><int>1</int></value>' * 1001, LIMITS)


def test_the_xml_depth_guard_refuses_past_the_levels():
    guard = body_limits.DepthGuard(LIMITS)
    with pytest.raises(ProtocolError, match='nested too deep'):
        for _ in range(3 * 10 + 5):
            guard.enter()
