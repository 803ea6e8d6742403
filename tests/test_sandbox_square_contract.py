"""Every Square sandbox response the connector reads fits Square's schemas.

The schemas are a subset of Square's OpenAPI document (Apache-2.0),
extracted by ``tests/data/extract_square_schemas.py`` into
``tests/data/square_schemas.json``.  They are made strict here
(``additionalProperties: false``) so the sandbox cannot invent fields.
"""
import copy
import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import requests

from trytond.modules.cloud_commerce.connectors import oauth
from trytond.modules.cloud_commerce.connectors.square import SquareClient
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.square import make_app

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
SCHEMAS = Path(__file__).parent / 'data' / 'square_schemas.json'

# (method, path pattern, success schema)
ROUTES = [
    ('GET', r'/v2/locations', 'ListLocationsResponse'),
    ('POST', r'/v2/team-members/search', 'SearchTeamMembersResponse'),
    ('GET', r'/v2/customers', 'ListCustomersResponse'),
    ('GET', r'/v2/catalog/list', 'ListCatalogResponse'),
    ('POST', r'/v2/orders/search', 'SearchOrdersResponse'),
    ('POST', r'/v2/orders/batch-retrieve', 'BatchRetrieveOrdersResponse'),
    ('GET', r'/v2/orders/[^/]+', 'RetrieveOrderResponse'),
    ('GET', r'/v2/payments', 'ListPaymentsResponse'),
    ('GET', r'/v2/payments/[^/]+', 'GetPaymentResponse'),
    ('GET', r'/v2/refunds', 'ListPaymentRefundsResponse'),
    ('GET', r'/v2/refunds/[^/]+', 'GetPaymentRefundResponse'),
    ('POST', r'/oauth2/token', 'ObtainTokenResponse'),
    ('POST', r'/oauth2/token/status', 'RetrieveTokenStatusResponse'),
    ('POST', r'/oauth2/revoke', 'RevokeTokenResponse'),
    ]
EVENTS = {
    'payment.created': 'PaymentCreatedEvent',
    'refund.created': 'RefundCreatedEvent',
    'order.updated': 'OrderUpdatedEvent',
    'oauth.authorization.revoked': 'OauthAuthorizationRevokedEvent',
    }


def _strict(node):
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strict(v) for k, v in node.items()}
    if node.get('type') in ('object', ['object', 'null']) and (
            'properties' in node and 'additionalProperties' not in node):
        node['additionalProperties'] = False
    return node


@pytest.fixture(scope='module')
def document():
    data = json.loads(SCHEMAS.read_text())
    assert 'Apache License 2.0' in data['$comment']
    data = copy.deepcopy(data)
    data['components'] = _strict(data['components'])
    return data


def validator(document, name):
    schema = dict(document, **{'$ref': f'#/components/schemas/{name}'})
    schema.pop('$comment', None)
    return jsonschema.Draft7Validator(schema)


def check(document, name, body):
    errors = sorted(validator(document, name).iter_errors(body),
        key=lambda e: list(e.absolute_path))
    assert not errors, f"{name}: " + '; '.join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in errors[:5])


class Recorder:
    "WSGI middleware keeping every JSON response, by route."

    def __init__(self, app):
        self.app = app
        self.seen = []

    def __call__(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured['status'] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        body = b''.join(self.app(environ, capture))
        self.seen.append((environ['REQUEST_METHOD'], environ['PATH_INFO'],
                captured['status'], body))
        return [body]


def route_schema(method, path):
    for route_method, pattern, schema in ROUTES:
        if method == route_method and re.fullmatch(pattern, path):
            return schema
    return None


@pytest.fixture(scope='module')
def recorded():
    deliveries = []
    app = make_app(seed=3, orders=400, clock=lambda: NOW,
        webhook_post=lambda url, body, headers: deliveries.append(
            (url, body)) or 200)
    app.subscribe('https://example.com/hook')
    recorder = Recorder(app)
    base_url, stop = serve_in_thread(recorder)
    try:
        _exercise(app, base_url)
    finally:
        stop()
    return recorder.seen, deliveries


def _exercise(app, base_url):
    "Drive the connector through every call it makes."
    page = requests.get(oauth.authorize_url(
            base_url, 'sandbox-app', oauth.SCOPES, 'st',
            'https://example.com/cb'), timeout=5)
    assert page.status_code == 200
    form = requests.post(base_url + '/oauth2/authorize', data={
            'client_id': 'sandbox-app', 'scope': ' '.join(oauth.SCOPES),
            'state': 'st', 'redirect_uri': 'https://example.com/cb',
            'email': 'demo@example.com', 'password': 'sandbox',
            'action': 'allow'}, allow_redirects=False, timeout=5)
    code = re.search(r'code=([^&]+)', form.headers['Location']).group(1)
    tokens = oauth.exchange_code(base_url, 'sandbox-app', 'sandbox-secret',
        code, 'https://example.com/cb')
    tokens = oauth.refresh(base_url, 'sandbox-app', 'sandbox-secret',
        tokens.refresh_token)
    client = SquareClient(base_url, tokens.access_token)
    list(client.iter_locations())
    list(client.iter_sales_people())
    list(client.iter_customers())
    list(client.iter_items())
    sales = list(client.iter_cash_sales())
    begin = NOW - dt.timedelta(days=90)
    payments = list(client.iter_payments(begin, NOW))
    refunds = list(client.iter_refunds(begin, NOW))
    list(client.iter_cash_sales(updated_since=NOW - dt.timedelta(days=3)))
    list(client.retrieve_orders([sales[0].external_id]))
    client._get(f'v2/orders/{sales[0].external_id}')
    client._get(f'v2/payments/{payments[0].external_id}')
    client._get(f'v2/refunds/{refunds[0].external_id}')
    order = app.simulate_sale()
    app.simulate_refund(order['tenders'][0]['id'])
    oauth.revoke(base_url, 'sandbox-app', 'sandbox-secret',
        tokens.access_token)
    # Error bodies too.
    requests.get(base_url + '/v2/locations', timeout=5, headers={
            'Authorization': f'Bearer {tokens.access_token}'})
    requests.get(base_url + '/v2/customers?limit=0', timeout=5)


def test_every_success_response_fits_its_schema(document, recorded):
    seen, _ = recorded
    checked = set()
    for method, path, status, body in seen:
        schema = route_schema(method, path)
        if status != 200 or schema is None:
            continue
        check(document, schema, json.loads(body))
        checked.add(schema)
    assert checked == {schema for _, _, schema in ROUTES}


def test_every_error_response_fits_the_error_schema(document, recorded):
    seen, _ = recorded
    errors = [(path, json.loads(body)) for method, path, status, body in seen
        if status >= 400 and path.startswith(('/v2/', '/oauth2/token'))]
    assert errors
    for path, body in errors:
        assert body['errors'], path
        for error in body['errors']:
            check(document, 'Error', error)


def test_every_webhook_fits_its_event_schema(document, recorded):
    _, deliveries = recorded
    kinds = set()
    for url, body in deliveries:
        event = json.loads(body)
        check(document, EVENTS[event['type']], event)
        kinds.add(event['type'])
    assert kinds == set(EVENTS)


def test_strict_schemas_catch_an_invented_field(document):
    location = {'id': 'L1', 'name': 'x', 'invented': True}
    with pytest.raises(AssertionError, match='invented'):
        check(document, 'ListLocationsResponse', {'locations': [location]})
