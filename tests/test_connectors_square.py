"""Square client: paging, retries, errors, money, OAuth, end to end."""
import copy
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import requests
import responses

from trytond.modules.cloud_commerce.connectors import oauth
from trytond.modules.cloud_commerce.connectors.errors import (
    AuthError,
    InvalidRecord,
    RateLimitError,
    ScopeError,
    TransientError,
    ValidationError,
)
from trytond.modules.cloud_commerce.connectors.money import (
    exponent,
    from_minor,
    to_minor,
)
from trytond.modules.cloud_commerce.connectors.square import (
    SquareClient,
    cash_sale_from_raw,
    parse_time,
)
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.square import make_app

UTC = dt.timezone.utc
BASE = 'https://square.test'
NOW = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def client(**kwargs):
    kwargs.setdefault('sleep', Sleeps())
    return SquareClient(BASE, 'token', **kwargs)


def money(amount, currency='USD'):
    return {'amount': amount, 'currency': currency}


def order(order_id='O1', currency='USD', **changes):
    raw = {
        'id': order_id, 'location_id': 'L1', 'state': 'COMPLETED',
        'created_at': '2026-03-01T10:00:00.123Z',
        'updated_at': '2026-03-01T10:01:00Z',
        'closed_at': '2026-03-01T10:01:00Z',
        'line_items': [{
                'uid': 'li1', 'name': 'Tee', 'quantity': '2',
                'catalog_object_id': 'V1', 'variation_name': 'M',
                'base_price_money': money(1000, currency),
                'gross_sales_money': money(2000, currency),
                'total_tax_money': money(170, currency),
                'total_discount_money': money(0, currency),
                'total_money': money(2170, currency)}],
        'taxes': [{'uid': 't1', 'name': 'Sales Tax', 'type': 'ADDITIVE',
                'percentage': '8.5', 'applied_money': money(170, currency)}],
        'tenders': [{'id': 'P1', 'type': 'CARD', 'location_id': 'L1',
                'created_at': '2026-03-01T10:00:30Z',
                'amount_money': money(2370, currency),
                'tip_money': money(200, currency)}],
        'total_tax_money': money(170, currency),
        'total_tip_money': money(200, currency),
        'total_money': money(2370, currency),
        }
    raw.update(changes)
    return raw


# Money and times

@pytest.mark.parametrize('currency, amount, expected', [
        ('USD', 1234, Decimal('12.34')), ('JPY', 1234, Decimal('1234')),
        ('KWD', 1234, Decimal('1.234')), ('BHD', 5, Decimal('0.005')),
        ('EUR', 0, Decimal('0'))])
def test_minor_units_follow_the_currency_exponent(currency, amount, expected):
    assert from_minor(amount, currency) == expected
    assert to_minor(expected, currency) == amount


def test_money_rejects_floats_and_extra_decimals():
    with pytest.raises(ValueError):
        from_minor(12.5, 'USD')
    with pytest.raises(ValueError):
        to_minor(Decimal('1.5'), 'JPY')
    assert exponent('jpy') == 0


def test_rfc3339_becomes_aware_utc():
    assert parse_time('2016-09-04T23:59:33.123Z') == dt.datetime(
        2016, 9, 4, 23, 59, 33, 123000, tzinfo=UTC)
    assert parse_time('2016-09-04T16:59:33-07:00') == dt.datetime(
        2016, 9, 4, 23, 59, 33, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time('2016-09-04T23:59:33')


def test_jpy_and_three_decimal_orders():
    jpy = cash_sale_from_raw(order(currency='JPY'))
    assert jpy.total == Decimal('2370') and jpy.lines[0].base_price == 1000
    kwd = cash_sale_from_raw(order(currency='KWD'))
    assert kwd.total == Decimal('2.370')
    assert kwd.tenders[0].tip == Decimal('0.200')
    assert kwd.lines[0].name == 'Tee - M'


# Validation

def test_unknown_fields_and_enum_values_are_tolerated():
    raw = order(brand_new_field={'x': 1})
    raw['tenders'][0]['type'] = 'CRYPTO_WALLET'
    raw['line_items'][0]['item_type'] = 'SOMETHING_NEW'
    sale = cash_sale_from_raw(raw)
    assert sale.tenders[0].tender_type == 'CRYPTO_WALLET'


@pytest.mark.parametrize('change, field', [
        (lambda o: o['line_items'][0].pop('quantity'),
            'line_items[0].quantity'),
        (lambda o: o['line_items'][0].update(quantity='-1'),
            'line_items[0].quantity'),
        (lambda o: o['line_items'][0]['total_money'].pop('currency'),
            'line_items[0].total_money.currency'),
        (lambda o: o['line_items'][0].update(
                total_money=money(5, 'EUR')),
            'line_items[0].total_money.currency'),
        (lambda o: o['taxes'][0].update(type='MYSTERY'), 'taxes[0].type'),
        ])
def test_bad_record_names_record_and_field(change, field):
    raw = order()
    change(raw)
    with pytest.raises(ValidationError) as info:
        cash_sale_from_raw(raw)
    assert info.value.record_id == 'O1'
    assert info.value.field == field
    assert 'O1' in str(info.value) and field in str(info.value)


@responses.activate
def test_errors_yield_keeps_going_past_a_bad_record():
    bad = order('BAD')
    bad['line_items'][0]['quantity'] = '-2'
    responses.post(f'{BASE}/v2/orders/search', json={
            'orders': [bad, order('GOOD')]})
    responses.get(re.compile(f'{BASE}/v2/payments.*'), json={})
    result = list(client().iter_cash_sales(
            location_ids=['L1'], errors='yield'))
    assert isinstance(result[0], InvalidRecord)
    assert result[0].external_id == 'BAD' and 'quantity' in result[0].reason
    assert result[1].external_id == 'GOOD'


# Paging

@responses.activate
def test_search_orders_repeats_the_identical_body_with_the_cursor():
    responses.post(f'{BASE}/v2/orders/search', json={
            'orders': [order('O1')], 'cursor': 'c1'})
    responses.post(f'{BASE}/v2/orders/search', json={
            'orders': [order('O2')]})
    responses.get(re.compile(f'{BASE}/v2/payments.*'), json={})
    since = dt.datetime(2026, 3, 1, tzinfo=UTC)
    sales = list(client().iter_cash_sales(since, NOW, ['L1', 'L2']))
    assert [s.external_id for s in sales] == ['O1', 'O2']
    searches = [json.loads(c.request.body) for c in responses.calls
        if c.request.url.endswith('/v2/orders/search')]
    first, second = searches
    assert second.pop('cursor') == 'c1' and first == second
    assert first['query']['sort']['sort_field'] == 'UPDATED_AT'
    assert first['query']['filter']['date_time_filter']['updated_at'] == {
        'start_at': '2026-03-01T00:00:00.000Z',
        'end_at': '2026-03-02T12:00:00.000Z'}


@responses.activate
def test_empty_page_and_no_cursor_ends_paging():
    responses.get(f'{BASE}/v2/customers', json={})
    assert list(client().iter_customers()) == []
    assert len(responses.calls) == 1


@responses.activate
def test_at_most_ten_locations_per_search():
    locations = [{'id': f'L{i}', 'name': f'L{i}'} for i in range(23)]
    responses.get(f'{BASE}/v2/locations', json={'locations': locations})
    responses.post(f'{BASE}/v2/orders/search', json={'orders': []})
    list(client().iter_cash_sales())
    groups = [json.loads(c.request.body)['location_ids']
        for c in responses.calls if 'orders/search' in c.request.url]
    assert [len(g) for g in groups] == [10, 10, 3]
    assert sum(groups, []) == [l['id'] for l in locations]


@responses.activate
def test_headers_carry_token_and_pinned_version():
    responses.get(f'{BASE}/v2/locations', json={'locations': []})
    client().test_connection()
    headers = responses.calls[0].request.headers
    assert headers['Authorization'] == 'Bearer token'
    assert headers['Square-Version'] == '2025-08-20'


# Retries

@responses.activate
def test_429_backs_off_exponentially_then_succeeds():
    rate_limited = {'errors': [{'category': 'RATE_LIMIT_ERROR',
                'code': 'RATE_LIMITED'}]}
    for _ in range(4):
        responses.get(f'{BASE}/v2/locations', json=rate_limited, status=429)
    responses.get(f'{BASE}/v2/locations', json={'locations': [
                {'id': 'L1', 'name': 'Main', 'currency': 'USD'}]})
    sleeps = Sleeps()
    locations = list(client(sleep=sleeps).iter_locations())
    assert [l.external_id for l in locations] == ['L1']
    assert len(sleeps) == 4
    # Equal jitter: each delay is within [ceiling/2, ceiling].
    for attempt, delay in enumerate(sleeps):
        ceiling = min(30.0, 0.5 * 2 ** attempt)
        assert ceiling / 2 <= delay <= ceiling


@responses.activate
def test_429_forever_raises_rate_limit_error():
    responses.get(f'{BASE}/v2/locations', status=429, json={'errors': [
                {'category': 'RATE_LIMIT_ERROR', 'code': 'RATE_LIMITED'}]})
    sleeps = Sleeps()
    with pytest.raises(RateLimitError):
        client(sleep=sleeps, max_rate_limit_retries=3).test_connection()
    assert len(sleeps) == 3


@responses.activate
def test_5xx_then_success():
    responses.get(f'{BASE}/v2/customers', status=503, body='oops')
    responses.get(f'{BASE}/v2/customers', status=500, json={'errors': [
                {'category': 'API_ERROR', 'code': 'INTERNAL_SERVER_ERROR'}]})
    responses.get(f'{BASE}/v2/customers', json={'customers': [{
                    'id': 'C1', 'given_name': 'Jane', 'family_name': 'Doe',
                    'updated_at': '2026-01-01T00:00:00Z'}]})
    customers = list(client().iter_customers())
    assert customers[0].name == 'Jane Doe'
    assert len(responses.calls) == 3


@responses.activate
def test_timeout_then_success_and_timeout_forever():
    responses.post(f'{BASE}/v2/team-members/search',
        body=requests.Timeout('slow'))
    responses.post(f'{BASE}/v2/team-members/search', json={
            'team_members': [{'id': 'T1', 'given_name': 'Al',
                    'status': 'ACTIVE'}]})
    assert [p.name for p in client().iter_sales_people()] == ['Al']
    responses.reset()
    responses.post(f'{BASE}/v2/team-members/search',
        body=requests.Timeout('slow'))
    with pytest.raises(TransientError):
        list(client(max_retries=2).iter_sales_people())


@responses.activate
def test_truncated_json_is_retried():
    responses.get(f'{BASE}/v2/locations', body='{"locations": [{"id": "L')
    responses.get(f'{BASE}/v2/locations', json={'locations': [
                {'id': 'L1', 'name': 'Main'}]})
    assert len(list(client().iter_locations())) == 1


# Authentication and scopes

@pytest.mark.parametrize('code, words', [
        ('ACCESS_TOKEN_EXPIRED', 'expired'),
        ('ACCESS_TOKEN_REVOKED', 'revoked'),
        ('UNAUTHORIZED', 'refused')])
@responses.activate
def test_401_codes_map_to_clear_auth_errors(code, words):
    responses.get(f'{BASE}/v2/locations', status=401, json={'errors': [
                {'category': 'AUTHENTICATION_ERROR', 'code': code}]})
    with pytest.raises(AuthError) as info:
        client().test_connection()
    assert words in str(info.value) and info.value.code == code
    assert not isinstance(info.value, ScopeError)


@responses.activate
def test_insufficient_scopes_names_the_scope():
    responses.get(f'{BASE}/v2/customers', status=403, json={'errors': [{
                    'category': 'AUTHENTICATION_ERROR',
                    'code': 'INSUFFICIENT_SCOPES',
                    'detail': 'Missing scope: CUSTOMERS_READ.'}]})
    with pytest.raises(ScopeError) as info:
        list(client().iter_customers())
    assert info.value.scopes == ('CUSTOMERS_READ',)
    assert 'CUSTOMERS_READ' in str(info.value)


# OAuth and webhooks

def test_authorize_url():
    url = oauth.authorize_url('https://sq.test/', 'app', [
            'ORDERS_READ', 'PAYMENTS_READ'], 'st8', 'https://me/cb')
    assert url.startswith('https://sq.test/oauth2/authorize?')
    assert 'scope=ORDERS_READ+PAYMENTS_READ' in url
    assert 'state=st8' in url and 'client_id=app' in url
    assert 'redirect_uri=https%3A%2F%2Fme%2Fcb' in url


def test_needs_refresh():
    tokens = oauth.Tokens('a', 'r', NOW + dt.timedelta(days=10), 'M')
    assert not oauth.needs_refresh(tokens, NOW)
    assert oauth.needs_refresh(tokens, NOW + dt.timedelta(days=4))
    assert oauth.needs_refresh(
        tokens, NOW, margin=dt.timedelta(days=11))


def test_webhook_signature():
    key, url = 'sig-key', 'https://shop.example.com/square/hook'
    body = b'{"type":"payment.created","event_id":"e1"}'
    from trytond.modules.cloud_commerce.sandbox.square import sign
    header = sign(key, url, body)
    assert oauth.verify_webhook_signature(key, url, body, header)
    assert not oauth.verify_webhook_signature(
        key, url, body.replace(b'e1', b'e2'), header)
    assert not oauth.verify_webhook_signature(key, url + '/', body, header)
    assert not oauth.verify_webhook_signature('other', url, body, header)
    assert not oauth.verify_webhook_signature(key, url, body, '')


@pytest.fixture
def sandbox():
    clock = Clock()
    app = make_app(seed=5, orders=120, clock=clock)
    base_url, stop = serve_in_thread(app)
    yield app, base_url, clock
    stop()


def _log_in(base_url, scopes=oauth.SCOPES, state='s-123'):
    session = requests.Session()
    page = session.get(oauth.authorize_url(
            base_url, 'sandbox-app', scopes, state,
            'https://erp.example.com/cb'), timeout=5)
    assert 'Sign in to Square' in page.text
    fields = dict(re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">',
            page.text)[:4])
    fields.update(email='demo@example.com', password='sandbox',
        action='allow')
    answer = session.post(base_url + '/oauth2/authorize', data=fields,
        allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = answer.headers['Location']
    assert location.startswith('https://erp.example.com/cb?')
    assert f'state={state}' in location
    return re.search(r'code=([^&]+)', location).group(1)


def test_oauth_end_to_end(sandbox):
    app, base_url, clock = sandbox
    code = _log_in(base_url)
    tokens = oauth.exchange_code(base_url, 'sandbox-app', 'sandbox-secret',
        code, 'https://erp.example.com/cb')
    assert tokens.expires_at == NOW + dt.timedelta(days=30)
    assert set(tokens.scopes) == set(oauth.SCOPES)
    assert tokens.merchant_id == app.data.merchant_id
    square = SquareClient(base_url, tokens.access_token)
    assert len(list(square.iter_locations())) == 4
    with pytest.raises(AuthError):  # single use
        oauth.exchange_code(base_url, 'sandbox-app', 'sandbox-secret',
            code, 'https://erp.example.com/cb')


def test_expired_token_then_refresh(sandbox):
    app, base_url, clock = sandbox
    tokens = oauth.exchange_code(base_url, 'sandbox-app', 'sandbox-secret',
        _log_in(base_url))
    clock.now += dt.timedelta(days=31)
    assert oauth.needs_refresh(tokens, clock.now)
    square = SquareClient(base_url, tokens.access_token)
    with pytest.raises(AuthError, match='expired'):
        square.test_connection()
    fresh = oauth.refresh(base_url, 'sandbox-app', 'sandbox-secret',
        tokens.refresh_token)
    assert fresh.refresh_token == tokens.refresh_token
    assert fresh.access_token != tokens.access_token
    assert fresh.expires_at == clock.now + dt.timedelta(days=30)
    assert SquareClient(base_url, fresh.access_token).test_connection()


def test_client_refreshes_an_expired_token_by_itself(sandbox):
    app, base_url, clock = sandbox
    old = app.issue_token()
    clock.now += dt.timedelta(days=31)
    refreshed = []

    def refresher():
        tokens = oauth.refresh(base_url, 'sandbox-app', 'sandbox-secret',
            old['refresh_token'])
        refreshed.append(tokens)
        return tokens.access_token

    square = SquareClient(base_url, old['access_token'],
        token_refresher=refresher)
    assert len(list(square.iter_locations())) == 4
    assert len(refreshed) == 1


def test_revoked_token(sandbox):
    app, base_url, clock = sandbox
    token = app.issue_token()
    oauth.revoke(base_url, 'sandbox-app', 'sandbox-secret',
        token['access_token'])
    with pytest.raises(AuthError, match='revoked'):
        SquareClient(base_url, token['access_token']).test_connection()
    with pytest.raises(AuthError):
        oauth.refresh(base_url, 'sandbox-app', 'sandbox-secret',
            token['refresh_token'])


def test_missing_scope_against_sandbox(sandbox):
    app, base_url, clock = sandbox
    token = app.issue_token(scopes=('MERCHANT_PROFILE_READ',))
    square = SquareClient(base_url, token['access_token'])
    assert square.test_connection()
    with pytest.raises(ScopeError) as info:
        list(square.iter_cash_sales())
    assert info.value.scopes == ('ORDERS_READ',)


def test_sandbox_webhook_verifies(sandbox):
    app, base_url, clock = sandbox
    received = []
    app.webhook_post = lambda url, body, headers: received.append(
        (url, body, headers)) or 200
    url = 'https://erp.example.com/square/webhook'
    app.subscribe(url)
    app.simulate_sale()
    assert received
    for notified, body, headers in received:
        assert oauth.verify_webhook_signature(app.signature_key, url, body,
            headers['x-square-hmacsha256-signature'])


# End to end against the sandbox

def test_every_payment_of_every_location_exactly_once():
    app = make_app(seed=11, payments=5000, clock=Clock())
    base_url, stop = serve_in_thread(app)
    try:
        token = app.issue_token()['access_token']
        square = SquareClient(base_url, token)
        payments = list(square.iter_payments(
                NOW - dt.timedelta(days=365), NOW + dt.timedelta(days=1)))
    finally:
        stop()
    ids = [p.external_id for p in payments]
    assert len(ids) == 5000 == len(set(ids))
    assert set(ids) == {p['id'] for p in app.data.payments}
    locations = {p.location_external_id for p in payments}
    assert len(locations) == len(app.data.locations) >= 3
    total = sum(p.total for p in payments if p.currency == 'USD')
    expected = sum(from_minor(p['total_money']['amount'], 'USD')
        for p in app.data.payments
        if p['total_money']['currency'] == 'USD')
    assert total == expected


def test_every_cash_sale_exactly_once_despite_faults():
    app = make_app(seed=12, orders=1500, clock=Clock(), fault_rate=0.2,
        slow_seconds=0.3)
    base_url, stop = serve_in_thread(app)
    try:
        token = app.issue_token()['access_token']
        square = SquareClient(base_url, token, timeout=0.2,
            sleep=Sleeps(), max_retries=20, max_rate_limit_retries=20)
        sales = list(square.iter_cash_sales(page_size=100))
    finally:
        stop()
    expected = {o['id']: o for o in app.data.orders
        if o['state'] == 'COMPLETED'}
    ids = [s.external_id for s in sales]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == set(expected)
    assert app.faults_injected > 20
    for sale in sales:
        raw = expected[sale.external_id]
        assert sale.total == from_minor(
            raw['total_money']['amount'], sale.currency)
        assert sale.total == sum(t.amount for t in sale.tenders)
        for tender in sale.tenders:
            if tender.tender_type == 'CARD':
                # The fee of the very last sales has not arrived yet.
                arrived = app.data.fee_effective[tender.external_id] <= NOW
                assert (tender.processing_fee > 0) == arrived


def test_late_processing_fee_and_refunds_come_back_incrementally():
    clock = Clock()
    app = make_app(seed=13, orders=50, clock=clock)
    base_url, stop = serve_in_thread(app)
    try:
        square = SquareClient(base_url, app.issue_token()['access_token'])
        order = next(o for o in (app.simulate_sale() for _ in range(50))
            if o['tenders'][-1]['type'] == 'CARD')
        since = clock.now - dt.timedelta(minutes=1)
        first = [s for s in square.iter_cash_sales(since)
            if s.external_id == order['id']]
        assert len(first) == 1
        assert first[0].tenders[-1].processing_fee == 0
        clock.now += dt.timedelta(seconds=30)
        payment_id = order['tenders'][-1]['id']
        app.simulate_refund(payment_id, amount=1)
        later = [s for s in square.iter_cash_sales(
                clock.now - dt.timedelta(seconds=5))
            if s.external_id == order['id']]
    finally:
        stop()
    assert len(later) == 1
    assert later[0].refunds[-1].amount == from_minor(
        1, later[0].currency)
    assert later[0].refunds[-1].processing_fee <= 0
    assert later[0].tenders[-1].processing_fee > 0


def test_copy_of_order_is_not_mutated():
    raw = order()
    before = copy.deepcopy(raw)
    cash_sale_from_raw(raw)
    assert raw == before


def _variation(variation_id, item_id, name, sku, amount, currency='USD'):
    return {'type': 'ITEM_VARIATION', 'id': variation_id,
        'updated_at': '2026-01-01T00:00:00Z',
        'item_variation_data': {'item_id': item_id, 'name': name,
            'sku': sku, 'upc': '012345678905',
            'price_money': money(amount, currency)}}


@responses.activate
def test_items_one_per_variation_across_pages():
    early = _variation('V2', 'I1', 'Large', 'MUG-L', 1600)
    orphan = _variation('V9', 'GONE', 'Blue', 'X-B', 500, 'JPY')
    item = {'type': 'ITEM', 'id': 'I1', 'item_data': {'name': 'Mug',
            'variations': [_variation('V1', 'I1', 'Regular', 'MUG', 1400),
                early]}}
    responses.get(f'{BASE}/v2/catalog/list', json={
            'objects': [early, orphan], 'cursor': 'next'})
    responses.get(f'{BASE}/v2/catalog/list', json={'objects': [item]})
    items = {i.external_id: i for i in client().iter_items()}
    assert sorted(items) == ['V1', 'V2', 'V9']
    assert (items['V1'].name, items['V1'].variant_name) == ('Mug', None)
    assert (items['V2'].name, items['V2'].variant_name) == (
        'Mug - Large', 'Large')
    assert items['V2'].price == Decimal('16.00')
    assert items['V2'].parent_external_id == 'I1'
    assert (items['V9'].price, items['V9'].currency) == (Decimal(500), 'JPY')
    assert 'cursor=next' in responses.calls[1].request.url


@responses.activate
def test_a_record_the_canonical_model_refuses_is_invalid_not_fatal():
    def payment(payment_id, brand):
        return {'id': payment_id, 'status': 'COMPLETED',
            'created_at': '2026-03-01T10:00:00Z',
            'amount_money': money(100), 'total_money': money(100),
            'card_details': {'card': {'card_brand': brand}}}

    responses.get(f'{BASE}/v2/payments', json={'payments': [
                payment('P1', {'odd': 'brand'}), payment('P2', 'VISA')]})
    since = NOW - dt.timedelta(days=1)
    result = list(client().iter_payments(since, NOW, ['L1'],
            errors='yield'))
    assert isinstance(result[0], InvalidRecord)
    assert result[0].error.record_id == 'P1'
    assert result[0].error.field == 'card_brand'
    assert result[1].card_brand == 'VISA'
    with pytest.raises(ValidationError):
        list(client().iter_payments(since, NOW, ['L1']))


def test_open_ticket_becomes_a_cash_sale_once_paid():
    clock = Clock()
    app = make_app(seed=14, orders=20, clock=clock)
    base_url, stop = serve_in_thread(app)
    try:
        square = SquareClient(base_url, app.issue_token()['access_token'])
        clock.now += dt.timedelta(hours=1)
        ticket = app.simulate_sale(state='OPEN')
        since = clock.now - dt.timedelta(minutes=5)
        assert ticket['id'] not in {
            s.external_id for s in square.iter_cash_sales(since)}
        clock.now += dt.timedelta(minutes=10)
        app.complete_order(ticket['id'])
        sales = [s for s in square.iter_cash_sales(
                clock.now - dt.timedelta(minutes=1))]
    finally:
        stop()
    assert [s.external_id for s in sales] == [ticket['id']]
    sale = sales[0]
    assert sale.closed_at == clock.now
    assert sale.created_at < sale.closed_at
    assert sale.total == sum(t.amount for t in sale.tenders)
