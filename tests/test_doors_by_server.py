"""The doors this wave opened, tried under the threaded server and under gunicorn prefork workers.

Authorization lives below the HTTP servers, so it must not depend on which one runs it: each
test here makes, against a real server of each kind, a call an ordinary internal user (or a
client with no login) can make on a new surface — custom models and fields, languages,
attachments, another user's partner, the database manager forms, the status page — and asserts
the refusal and that nothing changed.
"""

import base64
import json

import pytest

from tests.support import pg as pgsupport
from tests.support.forms import post_form
from tests.support.orm import TEST_ADDONS, RpcClient, RpcFault, create_orm_db, drop_db, make_user
from tests.support.server import start_server

KINDS = {'threaded': ['--server', 'threaded'], 'gunicorn': ['--workers', '2']}


@pytest.fixture(scope='module', params=sorted(KINDS))
def served(request, pg):
    server = start_server(pg, ['--addons-path', TEST_ADDONS] + KINDS[request.param])
    db = create_orm_db(server, demo=False)
    admin = RpcClient(server, 'xmlrpc2', db, 1, 'admin')
    uids = {login: make_user(admin, login, ['base.group_user']) for login in ('alice', 'bob')}
    private = admin.call(
        'ir.attachment', 'create', {'name': 'payroll.txt', 'datas': base64.b64encode(b'salaries').decode()}
    )
    yield {'server': server, 'db': db, 'admin': admin, 'uids': uids, 'private': private}
    drop_db(server, db)
    server.stop()


def alice(served):
    return RpcClient(served['server'], 'xmlrpc2', served['db'], served['uids']['alice'], 'alice')


def refused(call, *args):
    with pytest.raises(RpcFault) as caught:
        call(*args)
    return caught.value


def sql(served, query, params=()):
    return pgsupport.sql(pgsupport.params(), served['db'], query, params)


def test_an_internal_user_cannot_create_a_custom_model_or_field(served):
    fault = refused(
        alice(served).call, 'ir.model', 'create', {'name': 'Evil', 'model': 'x_evil', 'state': 'manual'}
    )
    assert fault.category == 'access'
    field = {'name': 'x_evil', 'model': 'res.partner', 'ttype': 'char', 'state': 'manual'}
    assert refused(alice(served).call, 'ir.model.fields', 'create', field).category == 'access'
    assert sql(served, "SELECT count(*) FROM ir_model WHERE model = 'x_evil'") == [(0,)]
    assert sql(served, "SELECT count(*) FROM ir_model_fields WHERE name = 'x_evil'") == [(0,)]


def test_an_internal_user_cannot_activate_a_language(served):
    user = alice(served)
    before = sql(served, "SELECT active FROM res_lang WHERE code = 'fr_FR'")
    french = served['admin'].call(
        'res.lang', 'search', [('code', '=', 'fr_FR')], context={'active_test': False}
    )
    assert refused(user.call, 'res.lang', 'write', french, {'active': True}).category == 'access'
    assert refused(user.call, 'base.language.install', 'create', {'lang': 'fr_FR'}).category == 'access'
    after = sql(served, "SELECT active FROM res_lang WHERE code = 'fr_FR'")
    assert after == before and not after[0][0]


def test_an_internal_user_cannot_read_or_copy_another_users_private_file(served):
    user, private = alice(served), served['private']
    count = sql(served, 'SELECT count(*) FROM ir_attachment')
    for method, args in (('read', [[private], ['datas', 'name']]), ('copy', [private])):
        assert refused(user.call, 'ir.attachment', method, *args).category == 'access'
    assert sql(served, 'SELECT count(*) FROM ir_attachment') == count


def test_an_internal_user_cannot_take_over_a_colleagues_partner(served):
    bob_partner = served['admin'].call('res.users', 'read', [served['uids']['bob']], ['partner_id'])[0][
        'partner_id'
    ][0]
    fault = refused(
        alice(served).call, 'res.partner', 'write', [bob_partner], {'email': 'alice@evil.example'}
    )
    assert fault.category == 'access'
    assert sql(served, 'SELECT email FROM res_partner WHERE id = %s', (bob_partner,)) != [
        ('alice@evil.example',)
    ]


def test_no_login_opens_nothing_through_execute_kw(served):
    anonymous = RpcClient(
        served['server'], 'xmlrpc2', served['db'], served['uids']['alice'], 'wrong password'
    )
    fault = refused(
        anonymous.call, 'ir.model', 'create', {'name': 'Evil', 'model': 'x_evil', 'state': 'manual'}
    )
    assert fault.category == 'denied'
    assert sql(served, "SELECT count(*) FROM ir_model WHERE model = 'x_evil'") == [(0,)]


@pytest.mark.parametrize('route', ['drop', 'backup', 'duplicate'])
def test_the_database_forms_refuse_a_client_without_the_master_password(served, route):
    fields = {'master_pwd': 'guess', 'name': served['db'], 'new_name': served['db'] + '_copy'}
    status, headers, body = post_form(served['server'], '/web/database/' + route, fields)
    assert status == 403 and headers['Content-Type'].startswith('application/json')
    assert json.loads(body)['error']['data']['name'].endswith('AccessDenied')
    assert pgsupport.database_exists(pgsupport.params(), served['db'])
    assert not pgsupport.database_exists(pgsupport.params(), served['db'] + '_copy')


def test_the_status_page_refuses_a_remote_client(served):
    status, _headers, body = served['server'].request(
        'GET', '/web/status', headers={'X-Forwarded-For': '203.0.113.7'}
    )
    assert status == 401 and b'<table' not in body
