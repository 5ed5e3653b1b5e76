"""The XML-RPC result encoder writes what ``xmlrpc.client`` reads back as the same values."""

import datetime
import decimal
import xmlrpc.client

from hypothesis import given
from hypothesis import strategies as st

from openerp_lite.http import xmlrpc as codec
from tests.support import fuzz

# XML 1.0 cannot carry control characters or lone surrogates, whatever the encoder
TEXT = st.text(alphabet=st.characters(blacklist_categories=('Cc', 'Cs')))
SCALARS = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(TEXT, inner, max_size=5)),
    max_leaves=30,
)


def _read_back(data):
    return xmlrpc.client.loads(data, use_builtin_types=True)[0][0]


def _same_as_the_standard_marshaller(value):
    reference = xmlrpc.client.dumps(
        (False if value is None else value,), methodresponse=True, allow_none=True
    )
    assert _read_back(codec.encode_result(value)) == _read_back(reference.encode('utf-8'))


@fuzz.configured(400)
@given(VALUES)
def test_results_read_back_as_the_standard_marshaller_writes_them(value):
    _same_as_the_standard_marshaller(value)


@fuzz.configured(400, fresh=True)
@given(VALUES)
def test_results_read_back_as_the_standard_marshaller_writes_them_fresh_seed(value):
    _same_as_the_standard_marshaller(value)


def test_values_the_fast_path_leaves_alone_still_travel():
    value = {
        'big': 2**40,
        'when': datetime.date(2026, 11, 27),
        'amount': decimal.Decimal('1.5'),
        1: 'int key',
        'raw': b'\x00\x01',
    }
    assert _read_back(codec.encode_result(value)) == {
        'big': str(2**40),
        'when': '2026-11-27',
        'amount': 1.5,
        '1': 'int key',
        'raw': b'\x00\x01',
    }


def test_markup_in_strings_is_escaped():
    assert _read_back(codec.encode_result(['<a href="x">&amp;</a>'])) == ['<a href="x">&amp;</a>']


def test_numbers_no_client_could_read_back_are_refused():
    import pytest

    for value in (float('nan'), float('inf'), [1, {'x': float('-inf')}]):
        with pytest.raises(ValueError, match='cannot carry'):
            codec.encode_result(value)
