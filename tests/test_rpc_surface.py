"""The declared RPC surface without a server: how declarations are made, inherited and withdrawn,
and a reviewed list of the context keys code may read (a client can set any of them).

The end-to-end checks — every declared method refused to a caller without its right, every
undeclared attribute refused — are in ``tests/reliability/test_authorization.py``.
"""

import os
import re

import pytest

from openerp_lite import api
from openerp_lite.orm import builder, rpc
from openerp_lite.orm.models import AbstractModel, Model
from tests.support.server import ROOT


class Plain(Model):
    _name = 'test.surface.plain'
    _register = False

    @api.rpc('write')
    def action_go(self):
        return True

    @api.model
    @api.rpc('read', groups='base.group_system')
    def peek(self):
        return 1

    def helper(self):
        return 2


class Extended(Plain):
    _register = False

    def action_go(self):  # an override without a declaration keeps the parent's
        return super().action_go()

    @api.private
    def peek(self):  # withdrawn
        return 3

    @api.rpc('read')
    def helper(self):  # declared by the extension
        return 4


class Tool(AbstractModel):
    _name = 'test.surface.tool'
    _register = False

    @api.model
    @api.rpc(None)
    def ping(self):
        return 'pong'


def test_declarations_are_inherited_replaced_and_withdrawn():
    plain = rpc.surface(Plain, builder.ORM_CORE)
    assert plain['action_go'].access == 'write' and plain['action_go'].records
    assert not plain['action_go'].readonly
    assert plain['peek'].groups == ('base.group_system',) and not plain['peek'].records
    assert plain['peek'].readonly
    assert 'helper' not in plain
    # the ORM's methods are declared once, on the base model
    for name in (
        'create',
        'read',
        'write',
        'unlink',
        'search',
        'search_read',
        'read_group',
        'name_get',
        'name_search',
        'fields_get',
        'default_get',
        'copy',
        'exists',
        'check_access_rights',
        'check_access_rule',
    ):
        assert name in plain, name
    assert plain['read'].readonly and not plain['write'].readonly
    assert plain['check_access_rights'].access is None
    assert plain['exists'].access == 'read' and plain['check_access_rule'].access == 'read'
    assert plain['create'].records is False and plain['write'].records is True
    extended = rpc.surface(Extended, builder.ORM_CORE)
    assert extended['action_go'].access == 'write'
    assert 'peek' not in extended
    assert extended['helper'].access == 'read'


def test_an_abstract_model_exposes_only_what_its_addons_declare():
    assert set(rpc.surface(Tool, builder.ORM_CORE)) == {'ping'}


def test_a_declaration_must_say_its_access_and_cannot_be_private():
    with pytest.raises(TypeError, match='access='):
        rpc.rpc()

    def _hidden(self):
        return None

    with pytest.raises(ValueError, match='private'):
        rpc.rpc('read')(_hidden)
    with pytest.raises(ValueError, match='access'):
        rpc.rpc('delete')
    with pytest.raises(ValueError, match='external ids'):
        rpc.rpc('read', groups='group_system')


# -- context keys --------------------------------------------------------------------------------

#: every context key the server's and the addons' code reads, and why a client may set it: the
#: context comes from the wire, so none of these may switch a check off
WIRE_CONTEXT_KEYS = {
    'active_test': 'show archived records too; record rules still apply',
    'lang': "the caller's language",
    'bin_size': 'binary fields as sizes instead of contents',
}
#: key prefixes read with a field name after them
WIRE_CONTEXT_PREFIXES = {
    'default_': 'defaults for create, limited to what the caller could set (default_get)',
    'bin_size_': 'one binary field as its size',
}
#: ``context.get('k')``, ``context['k']``, ``'k' in context`` (``self._context`` too; not the
#: ``eval_context`` of data files, which is no request context)
_READ = re.compile(
    r"""\b_?context(?:\.get\(\s*|\[\s*)['"]([A-Za-z0-9_]+)['"]|"""
    r"""['"]([A-Za-z0-9_]+)['"]\s+(?:not\s+)?in\s+\S*\b_?context\b"""
)


def _python_files():
    for top in ('openerp_lite', 'addons', os.path.join('tests', 'addons')):
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith('.py'):
                    yield os.path.join(folder, name)


def test_every_context_key_the_code_reads_is_one_a_client_may_set():
    found = {}
    for path in _python_files():
        with open(path, encoding='utf-8') as handle:
            for match in _READ.finditer(handle.read()):
                key = match.group(1) or match.group(2)
                found.setdefault(key, os.path.relpath(path, ROOT))
    unknown = {
        key: where
        for key, where in found.items()
        if key not in WIRE_CONTEXT_KEYS
        and not any(key.startswith(prefix) or key + '_' == prefix for prefix in WIRE_CONTEXT_PREFIXES)
    }
    assert unknown == {}, (
        'context keys read but not reviewed as client-settable (a check must '
        'not depend on them): %s' % unknown
    )
    assert 'active_test' in found and 'lang' in found
