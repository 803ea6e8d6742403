"""The ShipStation client end to end against the sandbox served in a thread.

The sandbox and the client share a fake clock: the client's waits move it,
so a 40-calls-a-minute pull runs in a second of real time.
"""
import json
import threading
from collections import Counter

import pytest
import requests
from werkzeug.wrappers import Request, Response

from trytond.modules.cloud_commerce.connectors.errors import AuthError
from trytond.modules.cloud_commerce.connectors.shipstation import (
    ShipStationClient,
)
from trytond.modules.cloud_commerce.sandbox import cli, fixtures
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.shipstation import make_app


class FakeClock:
    def __init__(self):
        self.now = 5000.0
        self.lock = threading.Lock()
        self.sleeps = []

    def __call__(self):
        with self.lock:
            return self.now

    def sleep(self, seconds):
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture(scope='module')
def big():
    "10,000 orders; tests reset the counters and faults they change."
    clock = FakeClock()
    app = make_app(seed=7, orders=10_000, clock=clock, slow_delay=0.3)
    base_url, stop = serve_in_thread(app)
    yield app, base_url, clock
    stop()


@pytest.fixture
def small():
    clock = FakeClock()
    app = make_app(seed=3, orders=60, clock=clock)
    base_url, stop = serve_in_thread(app)
    client = ShipStationClient(
        base_url, 'key', 'secret', sleep=clock.sleep, clock=clock)
    yield app, client, clock
    stop()


def fresh(app, clock):
    "Forget the counters and let the current rate-limit window end."
    app.stats.clear()
    clock.sleep(app.window)


def client_for(base_url, clock, **kwargs):
    return ShipStationClient(
        base_url, 'key', 'secret', sleep=clock.sleep, clock=clock, **kwargs)


def test_10000_orders_once_in_20_calls_no_429(big):
    app, base_url, clock = big
    fresh(app, clock)
    client = client_for(base_url, clock)
    orders = {}
    for order in client.iter_orders(status=None):
        assert order.external_id not in orders
        orders[order.external_id] = order
    assert len(orders) == 10_000
    list_calls = app.count('path', 'GET /orders')
    assert 20 <= list_calls <= 22
    assert app.count('status', 429) == 0
    # 100001 and 100002: 01:30 PDT and 01:30 PST on 2024-11-03, which
    # ShipStation writes the same way; both come out, read as PDT.
    first, second = orders['100001'], orders['100002']
    assert first.raw['modifyDate'][:19] == second.raw['modifyDate'][:19]
    assert first.modified_at.utcoffset().total_seconds() == -7 * 3600


def test_paced_at_a_low_limit_without_429(small):
    app, client, clock = small
    app.rate_limit = 5
    started = clock()
    count = sum(1 for _ in client.iter_orders(status=None, page_size=5))
    assert count == 60
    # 12 pages, plus a re-read where a page ends inside a second.
    calls = app.count('path', 'GET /orders')
    assert 12 <= calls <= 16
    assert app.count('status', 429) == 0
    # At 5 calls a minute, every fifth call waits for the next window.
    assert len(client.rate_limiter.waited) == (calls - 1) // 5
    assert clock() - started >= (calls - 1) // 5 * 60 - 5


def test_20_percent_faults_every_order_once(big):
    app, base_url, clock = big
    fresh(app, clock)
    app.fault_rate = 0.2
    try:
        client = client_for(base_url, clock, timeout=0.1)
        # Smaller pages: more calls, so every kind of fault shows up.
        ids = Counter(o.external_id for o in client.iter_orders(
                status=None, page_size=100))
    finally:
        app.fault_rate = 0.0
    assert len(ids) == 10_000
    assert set(ids.values()) == {1}
    faults = {k for (group, k) in app.stats if group == 'fault'}
    assert faults == {'429', '500', 'slow', 'truncated'}
    assert app.count('throttled', 'real') == 0


def test_money_adds_up(small):
    app, client, clock = small
    orders = list(client.iter_orders(status=None))
    assert len(orders) == 60
    assert any(line.adjustment for o in orders for line in o.lines)
    for order in orders:
        lines = sum(line.unit_price * line.quantity for line in order.lines)
        assert order.total == lines + order.tax_amount + (
            order.shipping_amount)
        assert order.tax_amount == sum(line.tax_amount for line in
            order.lines)


def test_shipped_orders_get_tracking(small):
    app, client, clock = small
    orders = list(client.iter_orders(with_shipments=True))
    assert orders and all(o.status == 'shipped' for o in orders)
    assert all(o.tracking_number for o in orders)
    shipments = list(client.iter_shipments())
    assert any(s.voided for s in shipments) or len(shipments) == len(orders)
    assert all(s.items for s in shipments)


def test_catalogue_and_locations_match_fixtures(small):
    app, client, clock = small
    shared = fixtures.build(3)
    items = list(client.iter_items())
    assert {i.sku for i in items} == {p.sku for p in shared.products}
    locations = list(client.iter_locations())
    assert Counter(x.location_type for x in locations) == {
        'marketplace': 3, 'warehouse': 2}
    customers = list(client.iter_customers())
    assert customers
    assert {c.email for c in customers} <= {p.email for p in shared.people}


def test_page_size_capped_and_past_the_end(small):
    app, client, clock = small
    data = client.http.get(
        'orders', {'pageSize': 1000, 'page': 1}).data
    assert data['pages'] == 1 and len(data['orders']) == 60
    data = client.http.get('orders', {'pageSize': 10, 'page': 99}).data
    assert data['orders'] == [] and data['pages'] == 6


def test_wrong_secret_is_401(small):
    app, client, clock = small
    intruder = ShipStationClient(
        client.base_url, 'key', 'wrong', sleep=clock.sleep, clock=clock)
    with pytest.raises(AuthError):
        intruder.test_connection()
    assert len(client.test_connection()) == 3


def test_mark_as_shipped_bumps_modify_date(small):
    app, client, clock = small
    waiting = next(o for o in client.iter_orders(status='awaiting_shipment'))
    latest = max(o.modified_at for o in client.iter_orders(status=None))
    client.http.post('orders/markasshipped', json={
            'orderId': int(waiting.external_id), 'carrierCode': 'ups',
            'trackingNumber': '1ZTRACK'}, idempotent=False)
    changed = list(client.iter_orders(
            modified_since=latest, with_shipments=True))
    # The bound is inclusive: the orders modified at ``latest`` come back.
    assert changed[-1].external_id == waiting.external_id
    assert all(o.modified_at == latest for o in changed[:-1])
    assert changed[-1].tracking_number == '1ZTRACK'
    # Shipped orders are locked for createorder.
    response = requests.post(
        f'{client.base_url}/orders/createorder', auth=('key', 'secret'),
        json={'orderKey': waiting.raw['orderKey'], 'orderStatus':
            'awaiting_shipment'})
    assert response.status_code == 400
    assert 'ModelState' in response.json()


def test_webhook_round_trip(small):
    app, client, clock = small
    received = []

    def receiver(environ, start_response):
        received.append(json.loads(Request(environ).get_data()))
        return Response('', 204)(environ, start_response)

    target, stop = serve_in_thread(receiver)
    try:
        hook = client.subscribe_webhook(f'{target}/hook', 'ORDER_NOTIFY')
        assert [w['WebHookID'] for w in client.list_webhooks()] == [hook]
        new = requests.post(f'{client.base_url}/_sandbox/generate',
            json={'orders': 3}).json()['orders']
        requests.post(f'{client.base_url}/_sandbox/notify',
            json={'event': 'ORDER_NOTIFY'})
        [notification] = received
        assert notification['resource_type'] == 'ORDER_NOTIFY'
        assert set(notification) == {'resource_url', 'resource_type'}
        fetched = list(client.fetch_resource(notification['resource_url']))
        assert sorted(int(o.external_id) for o in fetched) == sorted(new)
        client.unsubscribe_webhook(hook)
        assert client.list_webhooks() == []
    finally:
        stop()


def test_deterministic_for_a_seed():
    first = make_app(seed=11, orders=30)
    second = make_app(seed=11, orders=30)
    assert [o.render() for o in first.orders.values()] == [
        o.render() for o in second.orders.values()]
    other = make_app(seed=12, orders=30)
    assert [o.render() for o in other.orders.values()] != [
        o.render() for o in first.orders.values()]


def test_cli_builds_the_app():
    args = cli.parse_args(['shipstation', '--orders', '5', '--seed', '2',
            '--fault-rate', '0.1', '--rate-limit', '10'])
    app = cli.make_app(args.vendor, seed=args.seed, orders=args.orders,
        fault_rate=args.fault_rate, rate_limit=args.rate_limit)
    assert len(app.orders) == 5
    assert (app.fault_rate, app.rate_limit) == (0.1, 10)


def test_overlap_has_match_and_link_cases():
    overlap = fixtures.demo_company_overlap(1)
    shared = fixtures.build(1)
    assert 0 < len(overlap.products) < len(shared.products)
    assert overlap.renamed_products
    for product, sku in overlap.renamed_products:
        assert sku != product.sku
        assert sku.replace('-', '').replace('_', '') != ''
    assert any(p.email is None for p in overlap.people)
    assert len({p.email for p in shared.people if p.email}) < len(
        [p for p in shared.people if p.email])  # a shared email
