"""ShipStation V1 client against mocked HTTP (``responses``)."""
import datetime as dt
import logging
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers

from trytond.modules.cloud_commerce.connectors import shipstation, timezones
from trytond.modules.cloud_commerce.connectors.errors import (
    AuthError,
    InvalidRecord,
    RequestError,
    TransientError,
    ValidationError,
)
from trytond.modules.cloud_commerce.connectors.shipstation import (
    ShipStationClient,
)

BASE = 'https://ssapi.shipstation.com'
ORDERS = f'{BASE}/orders'
UTC = dt.timezone.utc


class FakeClock:
    "A clock that only moves when someone sleeps."

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def rate_headers(remaining=39, reset=60, limit=40, prefix='X-Rate-Limit'):
    return {f'{prefix}-Limit': str(limit),
        f'{prefix}-Remaining': str(remaining),
        f'{prefix}-Reset': str(reset)}


def raw_order(order_id, modify='2024-05-01T10:00:00.0000000', **changes):
    order = {
        'orderId': order_id, 'orderNumber': f'N{order_id}',
        'orderKey': f'K{order_id}', 'orderStatus': 'shipped',
        'orderDate': '2024-05-01T09:00:00.0000000',
        'modifyDate': modify, 'paymentDate': '2024-05-01T09:00:00.0000000',
        'shipDate': '2024-05-02', 'customerId': 77,
        'customerEmail': 'jane@example.com',
        'billTo': {'name': 'Jane Doe', 'street1': None},
        'shipTo': {'name': 'Jane Doe', 'street1': '1 Main St',
            'city': 'Springfield', 'state': 'OR', 'postalCode': '97477',
            'country': 'US', 'phone': '555-0101'},
        'items': [{
                'orderItemId': 1, 'sku': 'TEE', 'name': 'Tee',
                'quantity': 2, 'unitPrice': Decimal('19.99'),
                'taxAmount': Decimal('2.9'), 'productId': 3001,
                'upc': '012345678905', 'adjustment': False},
            {'orderItemId': 2, 'sku': None, 'name': 'Discount',
                'quantity': 1, 'unitPrice': Decimal('-4.00'),
                'adjustment': True}],
        'orderTotal': Decimal('43.83'), 'amountPaid': Decimal('43.83'),
        'taxAmount': Decimal('2.9'), 'shippingAmount': Decimal('4.95'),
        'carrierCode': 'ups', 'serviceCode': 'ups_ground',
        'advancedOptions': {'storeId': 10001, 'warehouseId': 20001},
        'somethingNew': {'tolerated': True},
        }
    order.update(changes)
    return order


def page(orders, total=None, page_number=1, pages=None, key='orders'):
    total = len(orders) if total is None else total
    return {key: orders, 'total': total, 'page': page_number,
        'pages': pages if pages is not None else max(1, -(-total // 500))}


def minutes(n):
    moment = dt.datetime(2024, 5, 1, 10, 0) + dt.timedelta(minutes=n)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.0000000')


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(clock):
    return ShipStationClient(
        BASE, 'KEY', 'SECRET', sleep=clock.sleep, clock=clock)


def json_of(data):
    return shipstation_dumps(data)


def shipstation_dumps(data):
    from trytond.modules.cloud_commerce.sandbox.shipstation import dumps
    return dumps(data)


def add(rsps, data, status=200, headers=None, url=ORDERS, **kwargs):
    rsps.add(
        responses.GET, url, body=json_of(data), status=status,
        headers=headers or rate_headers(),
        content_type='application/json', **kwargs)


# Mapping


@responses.activate
def test_order_mapping_money_and_time(client):
    add(responses, page([raw_order(1)]))
    [order] = client.iter_orders()
    assert order.external_id == '1'
    assert order.total == Decimal('43.83')
    assert order.lines[0].unit_price == Decimal('19.99')
    assert order.lines[1].adjustment and order.lines[1].unit_price == (
        Decimal('-4.00'))
    assert order.currency == 'USD'
    assert order.modified_at.utcoffset() == dt.timedelta(hours=-7)
    assert order.modified_at.astimezone(UTC).hour == 17
    assert order.ship_date == dt.date(2024, 5, 2)
    assert order.store_external_id == 'store:10001'
    assert order.warehouse_external_id == 'warehouse:20001'
    assert order.ship_to.postal_code == '97477'
    assert order.raw['somethingNew'] == {'tolerated': True}
    request = responses.calls[0].request
    assert request.headers['Authorization'].startswith('Basic ')
    assert 'orderStatus=shipped' in request.url
    assert 'sortBy=ModifyDate' in request.url


def test_currency_is_stamped():
    order = shipstation.order_from_raw(raw_order(5), 'EUR')
    assert order.currency == 'EUR'


@pytest.mark.parametrize('value, expected', [
        ('2015-06-29T08:46:27', dt.datetime(2015, 6, 29, 8, 46, 27)),
        ('2015-06-29T08:46:27.1234567',
            dt.datetime(2015, 6, 29, 8, 46, 27, 123456)),
        ('2015-08-17 09:24:14.78', dt.datetime(2015, 8, 17, 9, 24, 14,
                780000)),
        ('2015-06-29', dt.datetime(2015, 6, 29)),
        ])
def test_fraction_digits(value, expected):
    parsed = timezones.parse_pacific(value)
    assert parsed.replace(tzinfo=None) == expected
    assert parsed.tzinfo is timezones.PACIFIC


def test_fall_back_hour_reads_first_occurrence():
    parsed = timezones.parse_pacific('2024-11-03T01:30:00.0000000')
    assert parsed.utcoffset() == dt.timedelta(hours=-7)  # PDT, fold=0
    assert parsed.astimezone(UTC) == dt.datetime(
        2024, 11, 3, 8, 30, tzinfo=UTC)
    assert timezones.is_ambiguous(parsed.replace(tzinfo=None))


def test_spring_forward_gap_raises():
    with pytest.raises(ValidationError, match='DST gap'):
        timezones.parse_pacific('2025-03-09 02:30:00')
    with pytest.raises(ValidationError) as info:
        shipstation.order_from_raw(
            raw_order(9, modify='2025-03-09T02:15:00.0000000'), 'USD')
    assert info.value.field == 'modifyDate'
    assert str(info.value).startswith("order 9: field 'modifyDate':")


def test_safe_bounds_step_out_of_the_ambiguous_hour():
    wall = dt.datetime(2024, 11, 3, 1, 40)
    assert timezones.safe_lower_bound(wall) == dt.datetime(
        2024, 11, 3, 0, 59, 59)
    assert timezones.safe_upper_bound(wall) == dt.datetime(2024, 11, 3, 2)
    ordinary = dt.datetime(2024, 11, 4, 1, 40)
    assert timezones.safe_lower_bound(ordinary) == ordinary


def test_upper_bound_keeps_the_last_second():
    "A change at 10:00:00.4 is inside a window that ends at 10:00:00.7"
    wall = dt.datetime(2024, 5, 1, 10, 0, 0, 700000)
    assert timezones.safe_upper_bound(wall) == dt.datetime(
        2024, 5, 1, 10, 0, 1)
    whole = dt.datetime(2024, 5, 1, 10, 0, 0)
    assert timezones.safe_upper_bound(whole) == whole


def test_negative_quantity_names_record_and_field():
    raw = raw_order(123)
    raw['items'][0]['quantity'] = -1
    with pytest.raises(ValidationError) as info:
        shipstation.order_from_raw(raw, 'USD')
    assert str(info.value) == (
        "order 123: field 'items[0].quantity': must not be negative")
    assert info.value.record_id == 123


def test_unknown_status():
    with pytest.raises(ValidationError) as info:
        shipstation.order_from_raw(raw_order(4, orderStatus='lost'), 'USD')
    assert info.value.field == 'orderStatus'
    assert 'lost' in str(info.value)


def test_missing_field():
    raw = raw_order(6)
    del raw['orderNumber']
    with pytest.raises(ValidationError) as info:
        shipstation.order_from_raw(raw, 'USD')
    assert str(info.value) == "order 6: field 'orderNumber': is required"
    raw = raw_order(7)
    del raw['items'][1]['name']
    with pytest.raises(ValidationError, match=r"items\[1\]\.name"):
        shipstation.order_from_raw(raw, 'USD')


@responses.activate
def test_errors_yield_keeps_going(client):
    bad = raw_order(2)
    bad['items'][0]['quantity'] = -3
    add(responses, page([raw_order(1), bad, raw_order(3)]))
    items = list(client.iter_orders(errors='yield'))
    assert [type(i).__name__ for i in items] == [
        'Order', 'InvalidRecord', 'Order']
    invalid = items[1]
    assert isinstance(invalid, InvalidRecord)
    assert invalid.external_id == '2' and invalid.raw == bad
    assert 'must not be negative' in invalid.reason


@responses.activate
def test_errors_raise_by_default(client):
    add(responses, page([raw_order(1, orderStatus='weird')]))
    with pytest.raises(ValidationError):
        list(client.iter_orders())


# Paging


@responses.activate
def test_no_orders_one_call(client):
    add(responses, page([]))
    assert list(client.iter_orders()) == []
    assert len(responses.calls) == 1


@responses.activate
def test_exactly_500_one_call(client):
    add(responses, page([raw_order(i, minutes(i)) for i in range(500)]))
    assert len(list(client.iter_orders())) == 500
    assert len(responses.calls) == 1


@responses.activate
def test_501_moves_the_cursor_and_deduplicates(client):
    first = [raw_order(i, minutes(i)) for i in range(500)]
    # The second query starts at the last modifyDate seen: inclusive, so
    # order 499 comes back and must not come out twice.
    second = [raw_order(499, minutes(499)), raw_order(500, minutes(500))]
    add(responses, page(first, total=501, pages=2))
    add(responses, page(second), match=[matchers.query_param_matcher({
                    'orderStatus': 'shipped', 'sortBy': 'ModifyDate',
                    'sortDir': 'ASC', 'page': '1', 'pageSize': '500',
                    'modifyDateStart': '2024-05-01 18:19:00'})])
    ids = [o.external_id for o in client.iter_orders()]
    assert len(ids) == 501 == len(set(ids))
    assert len(responses.calls) == 2


@responses.activate
def test_page_in_one_second_steps_pages(client):
    stamp = minutes(0)
    first = page([raw_order(i, stamp) for i in range(3)], total=5, pages=2)
    add(responses, first)  # no cursor yet
    add(responses, first)  # cursor on that second: the same page again
    add(responses, page([raw_order(i, stamp) for i in range(3, 5)],
            total=5, page_number=2, pages=2))
    ids = [o.external_id for o in client.iter_orders(page_size=3)]
    assert ids == ['0', '1', '2', '3', '4']
    assert 'page=1' in responses.calls[1].request.url
    assert 'page=2' in responses.calls[2].request.url
    assert 'modifyDateStart' in responses.calls[2].request.url


@responses.activate
def test_window_is_sent_in_pacific_wall_time(client):
    add(responses, page([]))
    since = dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    until = dt.datetime(2024, 7, 2, 12, 0, tzinfo=UTC)
    list(client.iter_orders(since, until))
    url = responses.calls[0].request.url
    assert 'modifyDateStart=2024-07-01+05%3A00%3A00' in url
    assert 'modifyDateEnd=2024-07-02+05%3A00%3A00' in url


# Rate limits and retries


@responses.activate
def test_429_waits_reset_seconds(client, clock):
    add(responses, {'message': 'Too Many Requests'}, status=429,
        headers=rate_headers(0, 17))
    add(responses, page([raw_order(1)]))
    assert len(list(client.iter_orders())) == 1
    assert clock.sleeps == [17]


@responses.activate
def test_paces_itself_when_remaining_is_zero(client, clock):
    first = [raw_order(i, minutes(i)) for i in range(500)]
    add(responses, page(first, total=501, pages=2),
        headers=rate_headers(0, 12))
    add(responses, page([raw_order(500, minutes(500))]))
    assert len(list(client.iter_orders())) == 501
    assert clock.sleeps == [12]
    assert all(c.response.status_code == 200 for c in responses.calls)


@responses.activate
def test_lower_case_rate_headers(client, clock):
    first = [raw_order(i, minutes(i)) for i in range(500)]
    add(responses, page(first, total=501, pages=2),
        headers=rate_headers(0, 5, prefix='x-ratelimit'))
    add(responses, page([raw_order(500, minutes(500))]))
    list(client.iter_orders())
    assert clock.sleeps == [5]


@responses.activate
def test_5xx_then_success(client, clock):
    add(responses, {'Message': 'An error has occurred.'}, status=500)
    add(responses, {'Message': 'An error has occurred.'}, status=503)
    add(responses, page([raw_order(1)]))
    assert len(list(client.iter_orders())) == 1
    assert len(clock.sleeps) == 2
    assert 0 < clock.sleeps[0] <= 0.5 and clock.sleeps[1] <= 1.0


@responses.activate
def test_error_page_summarized_on_one_line(clock):
    "A proxy's HTML error page becomes one readable line, no markup"
    client = ShipStationClient(
        BASE, 'KEY', 'SECRET', sleep=clock.sleep, clock=clock,
        max_retries=1)
    for _ in range(2):
        responses.add(responses.GET, ORDERS, status=502,
            content_type='text/html', body='<!doctype html>\n<html>\n'
            '<title>502 Bad Gateway</title>\n<h1>Bad  Gateway</h1>\n</html>')
    with pytest.raises(TransientError) as info:
        list(client.iter_orders())
    message = str(info.value)
    assert '\n' not in message and '<' not in message, message
    assert message.endswith(': 502 Bad Gateway Bad Gateway'), message


@responses.activate
def test_timeout_then_success(client, clock):
    responses.add(responses.GET, ORDERS, body=requests.ReadTimeout())
    responses.add(responses.GET, ORDERS, body=requests.ConnectionError())
    add(responses, page([raw_order(1)]))
    assert len(list(client.iter_orders())) == 1
    assert len(clock.sleeps) == 2


@responses.activate
def test_retries_are_capped(clock):
    client = ShipStationClient(
        BASE, 'KEY', 'SECRET', sleep=clock.sleep, clock=clock,
        max_retries=3)
    for _ in range(4):
        responses.add(responses.GET, ORDERS, body=requests.ReadTimeout())
    with pytest.raises(TransientError):
        list(client.iter_orders())
    assert len(responses.calls) == 4
    assert len(clock.sleeps) == 3
    assert all(s <= 30 for s in clock.sleeps)


@responses.activate
def test_truncated_json_is_retried(client, clock):
    body = json_of(page([raw_order(1)]))
    responses.add(responses.GET, ORDERS, body=body[:len(body) // 2],
        headers=rate_headers(), content_type='application/json')
    add(responses, page([raw_order(1)]))
    assert [o.external_id for o in client.iter_orders()] == ['1']
    assert len(clock.sleeps) == 1


@responses.activate
def test_auth_error_never_logs_secret(client, caplog):
    responses.add(responses.GET, f'{BASE}/stores', status=401, body='')
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as info:
        client.test_connection()
    assert 'SECRET' not in str(info.value)
    assert 'SECRET' not in caplog.text and 'Basic' not in caplog.text
    assert 'SECRET' not in repr(client) + repr(client.http)


# Other lists


@responses.activate
def test_shipments_join_gives_tracking(client):
    shipments = [
        {'shipmentId': 1, 'orderId': 1, 'trackingNumber': 'VOIDED',
            'carrierCode': 'ups', 'serviceCode': 'ups_ground',
            'voided': True, 'createDate': '2024-05-02T08:00:00.0000000',
            'shipDate': '2024-05-02', 'shipmentCost': Decimal('7.1')},
        {'shipmentId': 2, 'orderId': 1, 'trackingNumber': '1Z999',
            'carrierCode': 'fedex', 'serviceCode': 'fedex_ground',
            'voided': False, 'createDate': '2024-05-02T09:00:00.0000000',
            'shipDate': '2024-05-02', 'shipmentCost': Decimal('8.2'),
            'shipmentItems': [{'sku': 'TEE'}]},
        ]
    add(responses, page(shipments, key='shipments'),
        url=f'{BASE}/shipments')
    add(responses, page([raw_order(1), raw_order(2)]))
    orders = list(client.iter_orders(with_shipments=True))
    assert orders[0].tracking_number == '1Z999'
    assert orders[0].carrier == 'fedex'
    assert orders[1].tracking_number is None
    assert 'includeShipmentItems=true' in responses.calls[0].request.url


@responses.activate
def test_customers_items_locations(client):
    add(responses, page([{'customerId': 5, 'name': 'Zoë Müller',
                    'email': 'zoe@example.com', 'postalCode': '10117',
                    'countryCode': 'DE', 'createDate': '2024-01-01T00:00:00',
                    'modifyDate': None}], key='customers'),
        url=f'{BASE}/customers')
    add(responses, page([{'productId': 8, 'sku': 'MUG', 'name': 'Mug',
                    'price': Decimal('18.00'), 'active': False,
                    'createDate': '2024-01-01T00:00:00.78',
                    'modifyDate': '2024-02-01T00:00:00.78'}],
            key='products'), url=f'{BASE}/products')
    add(responses, [{'storeId': 10001, 'storeName': 'Amazon US',
                'marketplaceName': 'Amazon', 'active': True,
                'createDate': '2024-01-01T00:00:00.5',
                'modifyDate': '2024-01-02T00:00:00.5'}],
        url=f'{BASE}/stores')
    add(responses, [{'warehouseId': 20001, 'warehouseName': 'Main',
                'createDate': '2024-01-01T00:00:00.0000000',
                'originAddress': {'street1': '2000 Broadway',
                    'city': 'Oakland', 'postalCode': '94612',
                    'country': 'US'}}],
        url=f'{BASE}/warehouses')
    [customer] = client.iter_customers()
    assert customer.name == 'Zoë Müller'
    assert customer.address.country == 'DE'
    [item] = client.iter_items()
    assert item.price == Decimal('18.00') and not item.active
    assert item.currency == 'USD'
    store, warehouse = client.iter_locations()
    assert (store.external_id, store.location_type, store.marketplace) == (
        'store:10001', 'marketplace', 'Amazon')
    assert (warehouse.external_id, warehouse.location_type) == (
        'warehouse:20001', 'warehouse')
    assert warehouse.address.postal_code == '94612'


# Webhooks


@responses.activate
def test_subscribe_and_unsubscribe(client):
    responses.add(responses.POST, f'{BASE}/webhooks/subscribe',
        json={'id': 41001}, headers=rate_headers(),
        match=[matchers.json_params_matcher({
                    'target_url': 'https://erp.example.com/hook/x',
                    'event': 'ORDER_NOTIFY', 'store_id': None,
                    'friendly_name': None})])
    responses.add(responses.DELETE, f'{BASE}/webhooks/41001', body='',
        headers=rate_headers())
    assert client.subscribe_webhook(
        'https://erp.example.com/hook/x', 'ORDER_NOTIFY') == 41001
    client.unsubscribe_webhook(41001)
    with pytest.raises(ValueError):
        client.subscribe_webhook('https://x', 'ORDER_UPDATED')


@pytest.mark.parametrize('url', [
        'https://ssapi.shipstation.com/orders?importBatch=1',
        'https://ssapi4.shipstation.com/orders?importBatch=1',
        'https://ssapi11.shipstation.com/shipments?batchId=2',
        ])
def test_resource_url_accepted(client, url):
    client.check_resource_url(url)


@pytest.mark.parametrize('url', [
        'https://evil.example.com/orders',
        'https://ssapi.shipstation.com.evil.com/orders',
        'https://ssapi.shipstation.com@evil.com/orders',
        'http://ssapi.shipstation.com/orders',
        'https://ssapi.shipstation.com:8443/orders',
        'https://ssapix.shipstation.com/orders',
        'https://evilshipstation.com/orders',
        ])
def test_resource_url_refused(client, url):
    with pytest.raises(RequestError):
        client.check_resource_url(url)


def test_resource_url_local_base_only_own_host(clock):
    client = ShipStationClient('http://127.0.0.1:8701', 'k', 's',
        sleep=clock.sleep, clock=clock)
    client.check_resource_url('http://127.0.0.1:8701/orders?importBatch=1')
    for url in ['http://127.0.0.1:8702/orders',
            'https://ssapi.shipstation.com/orders']:
        with pytest.raises(RequestError):
            client.check_resource_url(url)


@responses.activate
def test_fetch_resource_pages(client):
    url = 'https://ssapi4.shipstation.com/orders?storeID=1&importBatch=ab'
    endpoint = 'https://ssapi4.shipstation.com/orders'
    responses.add(responses.GET, endpoint, body=json_of(page(
                [raw_order(1)], total=2, pages=2)),
        match=[matchers.query_string_matcher('storeID=1&importBatch=ab')],
        content_type='application/json')
    responses.add(responses.GET, endpoint, body=json_of(page(
                [raw_order(2)], total=2, page_number=2, pages=2)),
        match=[matchers.query_string_matcher(
                'storeID=1&importBatch=ab&page=2')],
        content_type='application/json')
    ids = [o.external_id for o in client.fetch_resource(url)]
    assert ids == ['1', '2']
