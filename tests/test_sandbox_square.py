"""The Square sandbox keeps Square's contract (reference/APIS.md 2.8)."""
import datetime as dt
import json
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client

from trytond.modules.cloud_commerce.connectors.oauth import (
    verify_webhook_signature,
)
from trytond.modules.cloud_commerce.sandbox import fixtures
from trytond.modules.cloud_commerce.sandbox.square import make_app

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
RFC3339_MS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


class Monotonic(Clock):
    def __init__(self):
        self.now = 0.0


@pytest.fixture(scope='module')
def app():
    return make_app(seed=7, orders=600, clock=Clock(), access_token='tok')


@pytest.fixture
def http(app):
    return Client(app)


AUTH = {'Authorization': 'Bearer tok', 'Square-Version': '2025-08-20'}


def get(http, path, **kwargs):
    return http.get(path, headers=AUTH, **kwargs)


def post(http, path, body):
    return http.post(path, headers=AUTH, json=body)


def error_code(response):
    return response.json['errors'][0]['code']


def locations(http):
    return [l['id'] for l in get(http, '/v2/locations').json['locations']]


# Data

def test_same_seed_same_data_other_seed_other_data():
    first = make_app(seed=3, orders=80, clock=Clock()).data.digest()
    again = make_app(seed=3, orders=80, clock=Clock()).data.digest()
    other = make_app(seed=4, orders=80, clock=Clock()).data.digest()
    assert first == again != other


def test_reference_data_comes_from_shared_fixtures(app):
    shared = fixtures.build(7)
    ids = {l['id'] for l in app.data.locations}
    assert {l.location_id for l in shared.square_locations} < ids
    assert {'JPY', 'USD'} <= {l['currency'] for l in app.data.locations}
    skus = {o['item_variation_data']['sku'] for o in app.data.catalog
        if o['type'] == 'ITEM_VARIATION'}
    assert skus == {p.sku for p in shared.products}
    emails = {c.get('email_address') for c in app.data.customers}
    assert {p.email for p in shared.people if p.email} <= emails
    assert {m['id'] for m in app.data.team_members} == {
        m.team_member_id for m in shared.team_members}


def test_order_totals_are_consistent(app):
    for order in app.data.orders:
        lines = order['line_items']
        for line in lines:
            gross = line['gross_sales_money']['amount']
            discount = line['total_discount_money']['amount']
            tax = line['total_tax_money']['amount']
            additive = order['taxes'][0]['type'] == 'ADDITIVE'
            assert line['total_money']['amount'] == (
                gross - discount + (tax if additive else 0))
        tips = order['total_tip_money']['amount']
        service = order['total_service_charge_money']['amount']
        assert order['total_money']['amount'] == sum(
            l['total_money']['amount'] for l in lines) + service + tips
        assert order['total_tax_money']['amount'] == sum(
            t['applied_money']['amount'] for t in order['taxes'])
        if order['state'] == 'COMPLETED':
            assert order['total_money']['amount'] == sum(
                t['amount_money']['amount'] for t in order['tenders'])


def test_inclusive_tax_is_inside_the_price(app):
    tokyo = [o for o in app.data.orders
        if o['total_money']['currency'] == 'JPY']
    assert tokyo
    for order in tokyo:
        assert order['taxes'][0]['type'] == 'INCLUSIVE'
        for line in order['line_items']:
            net = line['gross_sales_money']['amount'] - line[
                'total_discount_money']['amount']
            tax = line['total_tax_money']['amount']
            assert abs(tax - round(net * 10 / 110)) <= 1


def test_payments_match_tenders(app):
    payments = {p['id']: p for p in app.data.payments}
    for order in app.data.orders:
        for tender in order.get('tenders', ()):
            payment = payments[tender['id']]
            assert payment['order_id'] == order['id']
            assert payment['total_money']['amount'] == (
                payment['amount_money']['amount']
                + payment['tip_money']['amount'])
            assert tender['amount_money'] == payment['total_money']


def test_variety_of_tenders_tips_refunds(app):
    tenders = Counter(t['type'] for o in app.data.orders
        for t in o.get('tenders', ()))
    assert {'CARD', 'CASH', 'SQUARE_GIFT_CARD'} <= set(tenders)
    assert any(len(o.get('tenders', ())) > 1 for o in app.data.orders)
    assert any(o['total_tip_money']['amount'] for o in app.data.orders)
    assert any(o.get('service_charges') for o in app.data.orders)
    assert any(o.get('discounts') for o in app.data.orders)
    payments = {p['id']: p for p in app.data.payments}
    full = partial = 0
    for refund in app.data.refunds:
        total = payments[refund['payment_id']]['total_money']['amount']
        if refund['amount_money']['amount'] == total:
            full += 1
        else:
            partial += 1
    assert full and partial
    states = {o['state'] for o in app.data.orders}
    assert states == {'COMPLETED', 'OPEN', 'CANCELED'}


# Protocol

def test_times_are_utc_with_milliseconds(http):
    body = get(http, '/v2/payments').json
    for payment in body['payments']:
        assert RFC3339_MS.match(payment['created_at'])
        assert RFC3339_MS.match(payment['updated_at'])


def test_payments_default_to_main_location_and_cap_limit(app, http):
    main = app.data.locations[0]['id']
    body = get(http, '/v2/payments?limit=500').json
    assert len(body['payments']) == 100 and body['cursor']
    assert {p['location_id'] for p in body['payments']} == {main}
    times = [p['created_at'] for p in body['payments']]
    assert times == sorted(times, reverse=True)  # DESC by default


def test_payments_default_window_is_one_year():
    clock = Clock()
    app = make_app(seed=2, orders=50, clock=clock, access_token='tok')
    http = Client(app)
    assert get(http, '/v2/payments').json['payments']
    clock.now += dt.timedelta(days=366)
    assert 'payments' not in get(http, '/v2/payments').json or not get(
        http, '/v2/payments').json['payments']


def test_customers_limit_range(http):
    assert error_code(get(http, '/v2/customers?limit=0')) == 'VALUE_TOO_LOW'
    too_high = get(http, '/v2/customers?limit=101')
    assert too_high.status_code == 400
    assert error_code(too_high) == 'VALUE_TOO_HIGH'
    page = get(http, '/v2/customers?limit=7').json
    assert len(page['customers']) == 7 and page['cursor']


def test_catalog_fixed_page_and_types(app, http):
    body = get(http, '/v2/catalog/list?types=ITEM&limit=5').json
    assert {o['type'] for o in body['objects']} == {'ITEM'}
    everything = get(http, '/v2/catalog/list').json['objects']
    assert len(everything) == min(100, len(app.data.catalog))


def test_orders_search_rules(http):
    ids = locations(http)
    updated = {'date_time_filter': {'updated_at': {
                'start_at': '2020-01-01T00:00:00Z'}}}
    too_many = post(http, '/v2/orders/search',
        {'location_ids': ids + [f'X{i}' for i in range(8)]})
    assert error_code(too_many) == 'ARRAY_LENGTH_TOO_LONG'
    mismatch = post(http, '/v2/orders/search', {
            'location_ids': ids, 'query': {'filter': updated}})
    assert mismatch.status_code == 400
    assert 'sort_field' in mismatch.json['errors'][0]['detail']
    default = post(http, '/v2/orders/search', {'location_ids': ids}).json
    assert len(default['orders']) == 500 and default['cursor']
    capped = post(http, '/v2/orders/search',
        {'location_ids': ids, 'limit': 5000}).json
    assert len(capped['orders']) == 600 and 'cursor' not in capped


def test_orders_cursor_is_bound_to_the_request(http):
    ids = locations(http)
    body = {'location_ids': ids, 'limit': 50, 'query': {
            'filter': {'date_time_filter': {'closed_at': {
                        'start_at': '2020-01-01T00:00:00Z'}}},
            'sort': {'sort_field': 'CLOSED_AT', 'sort_order': 'ASC'}}}
    first = post(http, '/v2/orders/search', body).json
    seen = [o['id'] for o in first['orders']]
    cursor = first['cursor']
    changed = dict(body, limit=51, cursor=cursor)
    assert error_code(
        post(http, '/v2/orders/search', changed)) == 'INVALID_CURSOR'
    assert error_code(post(http, '/v2/orders/search', dict(
                body, cursor='garbage'))) == 'INVALID_CURSOR'
    while cursor:
        page = post(http, '/v2/orders/search', dict(body, cursor=cursor)).json
        seen += [o['id'] for o in page['orders']]
        cursor = page.get('cursor')
    closed = [o for o in http.application.data.orders if o.get('closed_at')]
    assert sorted(seen) == sorted(o['id'] for o in closed)
    assert len(seen) == len(set(seen))


def test_orders_date_range_is_inclusive(app, http):
    order = app.data.orders[10]
    at = order['created_at']
    body = {'location_ids': [order['location_id']], 'query': {
            'filter': {'date_time_filter': {'created_at': {
                        'start_at': at, 'end_at': at}}},
            'sort': {'sort_field': 'CREATED_AT'}}}
    found = post(http, '/v2/orders/search', body).json['orders']
    assert order['id'] in [o['id'] for o in found]


def test_batch_retrieve(app, http):
    ids = [o['id'] for o in app.data.orders[:3]] + ['NOPE']
    body = post(http, '/v2/orders/batch-retrieve', {'order_ids': ids}).json
    assert [o['id'] for o in body['orders']] == ids[:3]


def test_square_version_is_recorded(app, http):
    get(http, '/v2/locations')
    assert '2025-08-20' in app.square_versions


# Auth

def test_bearer_token_required(http):
    response = http.get('/v2/locations')
    assert response.status_code == 401
    assert error_code(response) == 'UNAUTHORIZED'


def test_expired_revoked_and_scopes():
    clock = Clock()
    app = make_app(seed=1, orders=10, clock=clock)
    http = Client(app)
    token = app.issue_token(scopes=('ORDERS_READ',))
    headers = {'Authorization': f"Bearer {token['access_token']}"}
    missing = http.get('/v2/locations', headers=headers)
    assert missing.status_code == 403
    assert error_code(missing) == 'INSUFFICIENT_SCOPES'
    assert 'MERCHANT_PROFILE_READ' in missing.json['errors'][0]['detail']
    clock.now += dt.timedelta(days=30)
    expired = http.post('/v2/orders/search', headers=headers,
        json={'location_ids': ['x']})
    assert expired.status_code == 401
    assert error_code(expired) == 'ACCESS_TOKEN_EXPIRED'
    other = app.issue_token()
    revoke = http.post('/oauth2/revoke', headers={
            'Authorization': 'Client sandbox-secret'}, json={
            'client_id': 'sandbox-app',
            'access_token': other['access_token']})
    assert revoke.json == {'success': True}
    revoked = http.get('/v2/locations', headers={
            'Authorization': f"Bearer {other['access_token']}"})
    assert error_code(revoked) == 'ACCESS_TOKEN_REVOKED'


def _authorize(http, **fields):
    data = {'client_id': 'sandbox-app', 'scope': 'ORDERS_READ ITEMS_READ',
        'state': 'abc', 'redirect_uri': 'https://erp.example.com/cb',
        'email': 'demo@example.com', 'password': 'sandbox',
        'action': 'allow'}
    data.update(fields)
    return http.post('/oauth2/authorize', data=data)


def test_login_page():
    http = Client(make_app(seed=1, orders=5))
    page = http.get('/oauth2/authorize?client_id=sandbox-app'
        '&scope=ORDERS_READ+ITEMS_READ&state=abc&session=false')
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'Sign in to Square' in text
    assert 'name="email"' in text and 'type="password"' in text
    assert '>Sign in</button>' in text
    assert 'demo@example.com' in text and 'sandbox' in text
    assert 'value="abc"' in text
    unknown = http.get('/oauth2/authorize?client_id=who&state=x')
    assert unknown.status_code == 400


def test_wrong_password_and_deny():
    http = Client(make_app(seed=1, orders=5))
    wrong = _authorize(http, password='nope')
    assert wrong.status_code == 401
    assert 'Incorrect email or password' in wrong.get_data(as_text=True)
    denied = _authorize(http, action='deny')
    query = parse_qs(urlsplit(denied.headers['Location']).query)
    assert query['error'] == ['access_denied'] and query['state'] == ['abc']


def test_codes_are_single_use_and_expire():
    clock = Clock()
    http = Client(make_app(seed=1, orders=5, clock=clock))

    def code():
        location = _authorize(http).headers['Location']
        assert parse_qs(urlsplit(location).query)['state'] == ['abc']
        return parse_qs(urlsplit(location).query)['code'][0]

    def exchange(value):
        return http.post('/oauth2/token', json={
                'client_id': 'sandbox-app', 'client_secret': 'sandbox-secret',
                'grant_type': 'authorization_code', 'code': value,
                'redirect_uri': 'https://erp.example.com/cb'})

    first = code()
    tokens = exchange(first)
    assert tokens.status_code == 200
    assert tokens.json['expires_at'] == '2026-04-01T12:00:00Z'
    assert exchange(first).status_code == 401
    late = code()
    clock.now += dt.timedelta(minutes=6)
    assert exchange(late).status_code == 401
    refreshed = http.post('/oauth2/token', json={
            'client_id': 'sandbox-app', 'client_secret': 'sandbox-secret',
            'grant_type': 'refresh_token',
            'refresh_token': tokens.json['refresh_token']}).json
    assert refreshed['refresh_token'] == tokens.json['refresh_token']
    assert refreshed['access_token'] != tokens.json['access_token']
    bad_secret = http.post('/oauth2/token', json={
            'client_id': 'sandbox-app', 'client_secret': 'x',
            'grant_type': 'refresh_token',
            'refresh_token': tokens.json['refresh_token']})
    assert bad_secret.status_code == 401


# Rate limit and faults

def test_token_bucket_429():
    monotonic = Monotonic()
    app = make_app(seed=1, orders=5, rate_limit=3, access_token='tok',
        monotonic=monotonic)
    http = Client(app)
    statuses = [get(http, '/v2/locations').status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = get(http, '/v2/locations')
    assert limited.json['errors'][0] == {
        'category': 'RATE_LIMIT_ERROR', 'code': 'RATE_LIMITED',
        'detail': 'Rate limit exceeded; back off.'}
    assert 'Retry-After' not in limited.headers
    monotonic.now += 1.0
    assert get(http, '/v2/locations').status_code == 200


@pytest.mark.parametrize('fault, check', [
        ('429', lambda r: r.status_code == 429),
        ('500', lambda r: r.status_code == 500
            and error_code(r) == 'INTERNAL_SERVER_ERROR'),
        ('truncated', lambda r: r.status_code == 200 and _not_json(r)),
        ('slow', lambda r: r.status_code == 200 and r.json['locations']),
        ])
def test_fault_injection(fault, check):
    slept = []
    app = make_app(seed=1, orders=5, fault_rate=1.0, faults=(fault,),
        access_token='tok', sleep=slept.append, slow_seconds=2.5)
    assert check(get(Client(app), '/v2/locations'))
    assert app.faults_injected == 1
    assert slept == ([2.5] if fault == 'slow' else [])


def _not_json(response):
    try:
        json.loads(response.get_data())
    except ValueError:
        return True
    return False


def test_fault_rate_is_roughly_respected():
    app = make_app(seed=1, orders=5, fault_rate=0.2, access_token='tok',
        faults=('500',))
    http = Client(app)
    failures = sum(get(http, '/v2/locations').status_code == 500
        for _ in range(500))
    assert 60 < failures < 140


# Late fees and webhooks

def test_processing_fee_arrives_late():
    clock = Clock()
    app = make_app(seed=9, orders=10, clock=clock, access_token='tok')
    http = Client(app)
    order = next(o for o in (app.simulate_sale() for _ in range(50))
        if o['tenders'][-1]['type'] == 'CARD')
    payment_id = order['tenders'][-1]['id']
    early = get(http, f'/v2/payments/{payment_id}').json['payment']
    assert early['processing_fee'] == []
    tender = get(http, f"/v2/orders/{order['id']}").json['order'][
        'tenders'][-1]
    assert 'processing_fee_money' not in tender
    clock.now += dt.timedelta(seconds=20)
    late = get(http, f'/v2/payments/{payment_id}').json['payment']
    assert late['processing_fee'][0]['amount_money']['amount'] > 0
    assert late['updated_at'] > early['updated_at']


def test_signed_webhooks():
    clock = Clock()
    received = []
    app = make_app(seed=9, orders=10, clock=clock,
        webhook_post=lambda url, body, headers: received.append(
            (url, body, headers)) or 200)
    url = 'https://erp.example.com/hook'
    app.subscribe(url)
    app.subscribe('https://other.example.com/only-refunds',
        event_types=['refund.created'])
    order = app.simulate_sale()
    app.simulate_refund(order['tenders'][0]['id'])
    kinds = [json.loads(body)['type'] for _, body, _ in received]
    assert kinds.count('payment.created') == len(order['tenders'])
    assert kinds.count('refund.created') == 2
    assert kinds.count('order.updated') == 2
    for target, body, headers in received:
        assert verify_webhook_signature(app.signature_key, target, body,
            headers['x-square-hmacsha256-signature'])
        event = json.loads(body)
        if event['type'] == 'order.updated':
            summary = event['data']['object']['order_updated']
            assert summary['order_id'] == order['id']
            assert 'line_items' not in summary
            assert event['data']['type'] == 'order_updated'
    assert [t for t, body, _ in received
        if 'only-refunds' in t] and all(
        json.loads(body)['type'] == 'refund.created'
        for t, body, _ in received if 'only-refunds' in t)


def test_failed_webhook_is_retried_with_the_same_event():
    answers = iter([500, None, 204])
    received = []

    def post(url, body, headers):
        received.append((body, headers))
        return next(answers)

    app = make_app(seed=9, orders=5, webhook_post=post,
        webhook_retries=2)
    app.subscribe('https://erp.example.com/hook',
        event_types=['refund.created'])
    order = app.simulate_sale()
    app.simulate_refund(order['tenders'][0]['id'])
    assert len(received) == 3
    assert len({body for body, _ in received}) == 1
    assert [h['square-retry-number'] for _, h in received] == [
        '0', '1', '2']
    assert [h.get('square-retry-reason') for _, h in received] == [
        None, 'http_error', 'http_timeout']
    assert len({h['x-square-hmacsha256-signature']
            for _, h in received}) == 1
