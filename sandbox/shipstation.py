"""A local ShipStation V1 server (werkzeug WSGI), seeded and deterministic.

``make_app(seed, orders, ...)`` returns the WSGI app.  It speaks what the
connector uses (APIS.md §1.11): Basic auth, wrapped paged lists, bare
arrays for stores and warehouses, Pacific times without offset and with
0, 2, 3 or 7 fractional digits, money as JSON decimals, per-key fixed
rate-limit windows with ``X-Rate-Limit-*`` headers and real 429s, order
state transitions that bump ``modifyDate``, webhooks.

Fault injection (``fault_rate``) hits GET requests only, after the rate
limit counted them: a 429, a 500, a response slower than the client's
timeout (``slow_delay`` seconds), or a 200 whose JSON is cut in half.

Sandbox-only endpoints (no auth, no rate limit, no faults):
``POST /_sandbox/notify`` ``{"event": "ORDER_NOTIFY"|"SHIP_NOTIFY",
"order_ids": [...]}`` posts ``{resource_url, resource_type}`` to every
subscribed target URL (default: the orders created or shipped through the
API since the last notification); ``POST /_sandbox/generate``
``{"orders": n}`` imports new orders now; ``GET /_sandbox/stats``.
"""
import base64
import datetime as dt
import json
import math
import random
import re
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import fixtures as fixtures_module

PACIFIC = ZoneInfo('America/Los_Angeles')
UTC = dt.timezone.utc
CENT = Decimal('0.01')
MAX_PAGE_SIZE = 500
# Orders are spread over a period that holds both DST changes.
PERIOD_START = dt.datetime(2024, 10, 1, 7, 0, tzinfo=UTC)
PERIOD_END = dt.datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
# Forced onto the first orders: the fall-back hour twice, right after
# the spring-forward gap.
DST_EDGES = [
    dt.datetime(2024, 11, 3, 8, 30, 15, 120000, tzinfo=UTC),  # 01:30 PDT
    dt.datetime(2024, 11, 3, 9, 30, 15, 120000, tzinfo=UTC),  # 01:30 PST
    dt.datetime(2025, 3, 9, 10, 0, 1, 500000, tzinfo=UTC),  # 03:00 PDT
    ]
STATUSES = [
    ('shipped', 70), ('awaiting_shipment', 12), ('awaiting_payment', 5),
    ('on_hold', 3), ('cancelled', 6), ('pending_fulfillment', 3),
    ('rejected_fulfillment', 1),
    ]
EDITABLE = {'awaiting_payment', 'awaiting_shipment', 'on_hold'}
TAX_RATES = {
    'CA': Decimal('0.0725'), 'NY': Decimal('0.08875'),
    'WA': Decimal('0.065'), 'TX': Decimal('0.0625'),
    'IL': Decimal('0.0625'), 'MA': Decimal('0.0625'),
    }
CARRIERS = [
    ('stamps_com', 'usps_priority_mail'), ('stamps_com', 'usps_ground'),
    ('ups', 'ups_ground'), ('fedex', 'fedex_home_delivery'),
    ]
PAYMENT_METHODS = ['Credit Card', 'PayPal', 'Amazon Pay', 'Etsy Payments']
FAULTS = ('429', '500', 'slow', 'truncated')
_DECIMAL_TOKEN = re.compile(r'"@@D:([-0-9.E+]+)@@"')


# Rendering

def pacific(moment, digits=7):
    "Pacific wall time without offset, with ``digits`` fraction digits."
    wall = moment.astimezone(PACIFIC)
    text = wall.strftime('%Y-%m-%dT%H:%M:%S')
    if digits:
        text += '.' + f'{wall.microsecond:06d}0'[:digits]
    return text


def parse_filter_time(value):
    """A filter value as Pacific wall time; the first occurrence in the
    fall-back hour (the inclusive, earlier choice)."""
    value = value.strip().replace('T', ' ')
    for pattern in ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d'):
        try:
            naive = dt.datetime.strptime(value.split('.')[0], pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=PACIFIC, fold=0)
    raise ValueError(value)


class _Raw(str):
    "JSON text already rendered, to splice in as is."


def _json_ready(value):
    if isinstance(value, Decimal):
        return f'@@D:{value}@@'
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def dumps(value):
    "JSON with Decimals written as numbers, digit for digit."
    text = json.dumps(_json_ready(value), ensure_ascii=False)
    return _DECIMAL_TOKEN.sub(r'\1', text)


def money(value):
    return Decimal(value).quantize(CENT)


class _Order:
    "An order and the instants the filters compare."
    __slots__ = ('data', 'created', 'modified', 'ordered', 'paid',
        'import_batch', 'digits', '_json')

    def __init__(self, data, created, modified, ordered, paid, digits):
        self.data = data
        self.created = created
        self.modified = modified
        self.ordered = ordered
        self.paid = paid
        self.import_batch = None
        self.digits = digits
        self._json = None

    def touch(self, now):
        "A change: bump modifyDate and forget the rendered JSON."
        self.modified = now
        self._json = None

    def json(self):
        if self._json is None:
            self._json = dumps(self.render())
        return self._json

    @property
    def id(self):
        return self.data['orderId']

    def render(self):
        data = dict(self.data)
        data['orderDate'] = pacific(self.ordered, self.digits)
        data['createDate'] = pacific(self.created, self.digits)
        data['modifyDate'] = pacific(self.modified, self.digits)
        data['paymentDate'] = self.paid and pacific(self.paid, self.digits)
        return data


class _Shipment:
    __slots__ = ('data', 'created', 'batch_id')

    def __init__(self, data, created):
        self.data = data
        self.created = created
        self.batch_id = None

    def render(self, with_items):
        data = dict(self.data)
        data['createDate'] = pacific(self.created)
        if not with_items:
            data['shipmentItems'] = None
        return data


class Generator:
    "Builds orders, shipments and customers from the shared fixtures."

    def __init__(self, seed, fixtures):
        self.rng = random.Random(f'shipstation-sandbox-{seed}')
        self.fixtures = fixtures
        self.next_order_id = 100001
        self.next_item_id = 500001
        self.next_shipment_id = 700001

    def product_id(self, product):
        return 3000 + self.fixtures.products.index(product) + 1

    def customer_id(self, person):
        return 9000 + self.fixtures.people.index(person) + 1

    def store(self):
        return self.rng.choices(
            self.fixtures.marketplaces, weights=[5, 2, 3])[0]

    def order_number(self, marketplace, order_id):
        rng = self.rng
        if marketplace.name == 'Amazon':
            return (f'{rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}'
                f'-{rng.randint(10**6, 10**7 - 1)}')
        if marketplace.name == 'Etsy':
            return str(rng.randint(10**9, 10**10 - 1))
        return f'#{order_id - 99000}'

    def address(self, person, full=True):
        address = person.address
        if not full:
            return _address(person.name, None, None, None, None, None, None,
                None)
        return _address(
            person.name, person.company, address.street, address.city,
            address.subdivision, address.postal_code, address.country,
            person.phone)

    def lines(self, order_id, state, created):
        rng = self.rng
        lines = []
        rate = TAX_RATES.get(state, Decimal(0))
        for product in rng.sample(self.fixtures.products, rng.randint(1, 4)):
            quantity = rng.choice([1, 1, 1, 2, 3])
            sku = product.sku
            if product.sku_variants and rng.random() < 0.5:
                sku = rng.choice(product.sku_variants)
            lines.append(self.line(
                    order_id, product.name, sku, product.upc,
                    self.product_id(product), quantity, product.price,
                    money(product.price * quantity * rate), created))
        if rng.random() < 0.15:
            subtotal = sum(x['unitPrice'] * x['quantity'] for x in lines)
            lines.append(self.line(
                    order_id, 'Discount: WELCOME10', None, None, None, 1,
                    -money(subtotal / 10), Decimal(0), created,
                    adjustment=True))
        return lines

    def line(self, order_id, name, sku, upc, product_id, quantity, price,
            tax, created, adjustment=False):
        item_id = self.next_item_id
        self.next_item_id += 1
        return {
            'orderItemId': item_id, 'lineItemKey': f'LK{item_id}',
            'sku': sku, 'name': name, 'imageUrl': None,
            'weight': {'value': Decimal('8.0'), 'units': 'ounces',
                'WeightUnits': 1},
            'quantity': quantity, 'unitPrice': price, 'taxAmount': tax,
            'shippingAmount': None, 'warehouseLocation': None,
            'options': [], 'productId': product_id, 'fulfillmentSku': None,
            'adjustment': adjustment, 'upc': upc,
            'createDate': pacific(created), 'modifyDate': pacific(created),
            }

    def order(self, ordered, status=None, modified=None):
        rng = self.rng
        order_id = self.next_order_id
        self.next_order_id += 1
        status = status or rng.choices(
            [s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
        person = rng.choice(self.fixtures.people)
        store = self.store()
        warehouse = rng.choice(self.fixtures.warehouses)
        created = ordered + dt.timedelta(seconds=rng.randint(30, 900))
        if modified is None:
            modified = created
            if status != 'awaiting_payment':
                modified += dt.timedelta(minutes=rng.randint(5, 4000))
        paid = None if status == 'awaiting_payment' else ordered
        items = self.lines(order_id, person.address.subdivision, created)
        tax = sum((x['taxAmount'] for x in items), Decimal(0))
        shipping = rng.choice(
            [Decimal(0), Decimal('4.99'), Decimal('7.95'), Decimal('12.5')])
        subtotal = sum(x['unitPrice'] * x['quantity'] for x in items)
        total = subtotal + tax + shipping
        carrier, service = rng.choice(CARRIERS)
        shipped = status == 'shipped'
        data = {
            'orderId': order_id,
            'orderNumber': self.order_number(store, order_id),
            'orderKey': uuid.UUID(int=rng.getrandbits(128)).hex,
            'orderDate': None, 'createDate': None, 'modifyDate': None,
            'paymentDate': None,
            'shipByDate': pacific(ordered + dt.timedelta(days=3), 0),
            'orderStatus': status,
            'customerId': self.customer_id(person),
            'customerUsername': person.email or person.name,
            'customerEmail': person.email,
            'billTo': self.address(person, full=rng.random() < 0.3),
            'shipTo': self.address(person),
            'items': items,
            'orderTotal': total,
            'amountPaid': Decimal(0) if paid is None else total,
            'taxAmount': tax, 'shippingAmount': shipping,
            'customerNotes': None, 'internalNotes': None, 'gift': False,
            'giftMessage': None,
            'paymentMethod': rng.choice(PAYMENT_METHODS),
            'requestedShippingService': 'Standard',
            'carrierCode': carrier if shipped else None,
            'serviceCode': service if shipped else None,
            'packageCode': 'package' if shipped else None,
            'confirmation': 'none',
            'shipDate': (
                modified.astimezone(PACIFIC).date().isoformat()
                if shipped else None),
            'holdUntilDate': None,
            'weight': {'value': Decimal('16.0'), 'units': 'ounces',
                'WeightUnits': 1},
            'dimensions': None,
            'insuranceOptions': {'provider': None, 'insureShipment': False,
                'insuredValue': Decimal('0.0')},
            'internationalOptions': {'contents': None, 'customsItems': None,
                'nonDelivery': None},
            'advancedOptions': {
                'warehouseId': warehouse.warehouse_id,
                'nonMachinable': False, 'saturdayDelivery': False,
                'containsAlcohol': False, 'mergedOrSplit': False,
                'mergedIds': [], 'parentId': None,
                'storeId': store.store_id,
                'customField1': None, 'customField2': None,
                'customField3': None, 'source': store.name.lower(),
                'billToParty': None, 'billToAccount': None,
                'billToPostalCode': None, 'billToCountryCode': None,
                'billToMyOtherAccount': None},
            'tagIds': None, 'userId': None, 'externallyFulfilled': False,
            'externallyFulfilledBy': None, 'externallyFulfilledById': None,
            'externallyFulfilledByName': None, 'labelMessages': None,
            }
        digits = rng.choice([7, 7, 7, 7, 3, 0])
        return _Order(data, created, modified, ordered, paid, digits)

    def shipments(self, order, voided=False):
        "The label(s) of a shipped order; sometimes a voided one first."
        result = []
        if voided or self.rng.random() < 0.05:
            result.append(self.shipment(
                    order, order.modified - dt.timedelta(hours=2), True))
        result.append(self.shipment(order, order.modified, False))
        return result

    def shipment(self, order, created, voided):
        data = order.data
        shipment_id = self.next_shipment_id
        self.next_shipment_id += 1
        tracking = ''.join(
            str(self.rng.randint(0, 9)) for _ in range(22))
        return _Shipment({
                'shipmentId': shipment_id, 'orderId': data['orderId'],
                'orderKey': data['orderKey'], 'userId': None,
                'customerEmail': data['customerEmail'],
                'orderNumber': data['orderNumber'], 'createDate': None,
                'shipDate': created.astimezone(PACIFIC).date().isoformat(),
                'shipmentCost': Decimal('7.31'),
                'insuranceCost': Decimal('0.0'),
                'trackingNumber': tracking, 'isReturnLabel': False,
                'batchNumber': None,
                'carrierCode': data['carrierCode'] or 'stamps_com',
                'serviceCode': data['serviceCode'] or 'usps_ground',
                'packageCode': 'package', 'confirmation': 'none',
                'warehouseId': data['advancedOptions']['warehouseId'],
                'voided': voided,
                'voidDate': pacific(created + dt.timedelta(hours=1))
                if voided else None,
                'marketplaceNotified': True, 'notifyErrorMessage': None,
                'shipTo': data['shipTo'],
                'weight': data['weight'], 'dimensions': None,
                'insuranceOptions': data['insuranceOptions'],
                'advancedOptions': None,
                'shipmentItems': [dict(x) for x in data['items']],
                'labelData': None, 'formData': None,
                }, created)


def _address(name, company, street, city, state, postal_code, country,
        phone):
    return {
        'name': name, 'company': company, 'street1': street,
        'street2': None, 'street3': None, 'city': city, 'state': state,
        'postalCode': postal_code, 'country': country, 'phone': phone,
        'residential': None if street is None else True,
        'addressVerified': None if street is None
        else 'Address not yet validated',
        }


def _order_instants(count, rng):
    "Order dates spread over the period, a few on the DST edges."
    span = (PERIOD_END - PERIOD_START).total_seconds()
    for index in range(count):
        offset = span * index / max(count, 1) + rng.uniform(0, 600)
        yield index, PERIOD_START + dt.timedelta(seconds=offset)


class _RateWindow:
    __slots__ = ('start', 'count')

    def __init__(self, start):
        self.start = start
        self.count = 0


class ShipStationSandbox:
    "The WSGI app; its state is plain Python objects behind one lock."

    def __init__(
            self, seed=1, orders=200, fault_rate=0.0, rate_limit=40,
            window=60.0, api_key='key', api_secret='secret',
            clock=time.monotonic, slow_delay=35.0, faults=FAULTS,
            webhook_timeout=5.0):
        self.fixtures = fixtures_module.build(seed)
        self.generator = Generator(seed, self.fixtures)
        self.fault_rng = random.Random(f'shipstation-faults-{seed}')
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.rate_limit = rate_limit
        self.window = window
        self.credentials = {(api_key, api_secret)}
        self.clock = clock
        self.clock_start = clock()
        self.slow_delay = slow_delay
        self.webhook_timeout = webhook_timeout
        self.lock = threading.RLock()
        self.windows = {}
        self.stats = Counter()
        self.orders = {}
        self.shipments = []
        self.webhooks = {}
        self.next_webhook_id = 41001
        self.pending = {'ORDER_NOTIFY': [], 'SHIP_NOTIFY': []}
        self.deliveries = []
        self.version = 0
        self._sorted = {}
        self._generate(orders)
        self.now_base = max(
            [o.modified for o in self.orders.values()] + [PERIOD_END])
        self.url_map = Map([
                Rule('/orders', endpoint='orders', methods=['GET']),
                Rule('/orders/<int:order_id>', endpoint='order',
                    methods=['GET']),
                Rule('/orders/createorder', endpoint='create_order',
                    methods=['POST']),
                Rule('/orders/markasshipped', endpoint='mark_as_shipped',
                    methods=['POST']),
                Rule('/orders/holduntil', endpoint='hold_until',
                    methods=['POST']),
                Rule('/orders/restorefromhold', endpoint='restore',
                    methods=['POST']),
                Rule('/shipments', endpoint='shipments', methods=['GET']),
                Rule('/customers', endpoint='customers', methods=['GET']),
                Rule('/products', endpoint='products', methods=['GET']),
                Rule('/stores', endpoint='stores', methods=['GET']),
                Rule('/stores/marketplaces', endpoint='marketplaces',
                    methods=['GET']),
                Rule('/warehouses', endpoint='warehouses', methods=['GET']),
                Rule('/webhooks', endpoint='webhooks', methods=['GET']),
                Rule('/webhooks/subscribe', endpoint='subscribe',
                    methods=['POST']),
                Rule('/webhooks/<int:webhook_id>', endpoint='unsubscribe',
                    methods=['DELETE']),
                Rule('/_sandbox/notify', endpoint='sandbox_notify',
                    methods=['POST']),
                Rule('/_sandbox/generate', endpoint='sandbox_generate',
                    methods=['POST']),
                Rule('/_sandbox/stats', endpoint='sandbox_stats',
                    methods=['GET']),
                ])

    # Data

    def _generate(self, count):
        rng = self.generator.rng
        for index, ordered in _order_instants(count, rng):
            modified = None
            if index < len(DST_EDGES) and count >= 10:
                modified = DST_EDGES[index]
                ordered = modified - dt.timedelta(days=2)
            elif index and rng.random() < 0.05:
                # Imported in one batch: same modifyDate as the previous.
                previous = self.orders[self.generator.next_order_id - 1]
                modified = previous.modified
                ordered = min(ordered, modified - dt.timedelta(hours=1))
            self._add_order(self.generator.order(ordered, modified=modified))

    def _add_order(self, order):
        self.orders[order.id] = order
        self.version += 1
        if order.data['orderStatus'] == 'shipped':
            self.shipments.extend(self.generator.shipments(order))

    def _touch(self, order, now=None):
        order.touch(now or self.now())
        self.version += 1

    def now(self):
        "Sandbox time: after every generated date, moving with the clock."
        elapsed = self.clock() - self.clock_start
        return self.now_base + dt.timedelta(seconds=max(elapsed, 0) + 60)

    # WSGI

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exception:
            response = _json_response(
                {'Message': exception.description}, exception.code)
        return response(environ, start_response)

    def dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return _json_response({'Message': 'No HTTP resource was found '
                    f'that matches the request URI {request.url!r}.'}, 404)
        if endpoint.startswith('sandbox_'):
            return getattr(self, f'on_{endpoint}')(request, **values)
        credentials = _basic_credentials(request)
        if credentials not in self.credentials:
            self._count('status', 401)
            return Response(
                '', 401, {'WWW-Authenticate': 'Basic realm="ssapi"'})
        headers, allowed = self._rate(credentials)
        self._count('path', f'{request.method} {request.path}')
        if not allowed:
            return self._throttled(headers)
        if request.method == 'GET' and self._fault_due():
            response = self._fault(request, endpoint, values, headers)
        else:
            with self.lock:
                response = getattr(self, f'on_{endpoint}')(
                    request, **values)
        for name, value in headers:
            response.headers.setdefault(name, value)
        self._count('status', response.status_code)
        return response

    def _count(self, group, key):
        with self.lock:
            self.stats[(group, key)] += 1

    def _rate(self, credentials):
        "Fixed windows per key pair; return (headers, allowed)."
        with self.lock:
            now = self.clock()
            current = self.windows.get(credentials)
            if current is None or now >= current.start + self.window:
                current = self.windows[credentials] = _RateWindow(now)
            current.count += 1
            reset = max(math.ceil(current.start + self.window - now), 1)
            remaining = max(self.rate_limit - current.count, 0)
            headers = [
                ('X-Rate-Limit-Limit', str(self.rate_limit)),
                ('X-Rate-Limit-Remaining', str(remaining)),
                ('X-Rate-Limit-Reset', str(reset)),
                ]
            return headers, current.count <= self.rate_limit

    def _throttled(self, headers, injected=False):
        headers = [(k, '0' if k.endswith('Remaining') else v)
            for k, v in headers]
        self._count('status', 429)
        self._count('throttled', 'injected' if injected else 'real')
        return _json_response(
            {'message': 'Too Many Requests'}, 429, headers)

    def _fault_due(self):
        with self.lock:
            return (self.fault_rate
                and self.fault_rng.random() < self.fault_rate)

    def _fault(self, request, endpoint, values, headers):
        with self.lock:
            kind = self.fault_rng.choice(self.faults)
        self._count('fault', kind)
        if kind == '429':
            return self._throttled(headers, injected=True)
        if kind == '500':
            return _json_response({
                    'Message': 'An error has occurred.',
                    'ExceptionMessage': 'Timeout expired (injected).',
                    'ExceptionType': 'System.Data.SqlClient.SqlException',
                    'StackTrace': None}, 500)
        with self.lock:
            response = getattr(self, f'on_{endpoint}')(request, **values)
        if kind == 'slow':
            time.sleep(self.slow_delay)
        else:
            body = response.get_data()
            response.set_data(body[:max(len(body) // 2, 1)])
        return response

    # Orders

    def _orders_by(self, key):
        "The orders sorted on an instant, cached until the next change."
        version, rows = self._sorted.get(key, (None, None))
        if version != self.version:
            rows = sorted(self.orders.values(), key=lambda o: (
                    getattr(o, key) if key else o.id, o.id))
            self._sorted[key] = (self.version, rows)
        return rows

    def on_orders(self, request):
        args = request.args
        key = {'ModifyDate': 'modified', 'CreateDate': 'created',
            'OrderDate': 'ordered'}.get(args.get('sortBy'))
        selected = self._orders_by(key)
        status = args.get('orderStatus')
        if status:
            selected = [o for o in selected
                if o.data['orderStatus'] == status]
        if args.get('storeId'):
            store_id = int(args['storeId'])
            selected = [o for o in selected
                if o.data['advancedOptions']['storeId'] == store_id]
        if args.get('importBatch'):
            selected = [o for o in selected
                if o.import_batch == args['importBatch']]
        if args.get('orderNumber'):
            selected = [o for o in selected
                if o.data['orderNumber'].startswith(args['orderNumber'])]
        for name, attribute in (('modifyDate', 'modified'),
                ('createDate', 'created'), ('orderDate', 'ordered'),
                ('paymentDate', 'paid')):
            selected = _between(
                selected, attribute, args.get(f'{name}Start'),
                args.get(f'{name}End'))
        if args.get('sortDir', 'ASC').upper() == 'DESC':
            selected = selected[::-1]
        rows = '[' + ', '.join(o.json() for o in _slice(request, selected))
        return _page(request, 'orders', _Raw(rows + ']'), len(selected))

    def on_order(self, request, order_id):
        order = self.orders.get(order_id)
        if order is None:
            return _json_response({'Message': 'Order not found'}, 404)
        return _json_response(order.render())

    def on_create_order(self, request):
        body = _body(request)
        key = body.get('orderKey')
        existing = next((o for o in self.orders.values()
                if key and o.data['orderKey'] == key), None)
        if existing and existing.data['orderStatus'] not in EDITABLE:
            return _model_state(
                'orderStatus', "Orders in status "
                f"{existing.data['orderStatus']} cannot be updated.")
        if existing is None:
            existing = self.generator.order(
                self.now(), status=body.get('orderStatus')
                or 'awaiting_shipment', modified=self.now())
            if key:
                existing.data['orderKey'] = key
            self.orders[existing.id] = existing
            self.version += 1
            self.pending['ORDER_NOTIFY'].append(existing.id)
        for name in ('orderNumber', 'customerEmail', 'orderStatus',
                'internalNotes', 'customerNotes'):
            if name in body:
                existing.data[name] = body[name]
        self._touch(existing)
        return _json_response(existing.render())

    def on_mark_as_shipped(self, request):
        body = _body(request)
        order = self.orders.get(body.get('orderId'))
        if order is None:
            return _model_state('orderId', "Order not found.")
        if order.data['orderStatus'] not in {
                'awaiting_shipment', 'on_hold', 'pending_fulfillment'}:
            return _model_state(
                'orderStatus', "Only open orders can be marked shipped.")
        now = self.now()
        order.data['orderStatus'] = 'shipped'
        order.data['carrierCode'] = body.get('carrierCode') or 'stamps_com'
        order.data['shipDate'] = body.get('shipDate') or pacific(now)[:10]
        self._touch(order, now)
        shipment = self.generator.shipment(order, now, False)
        if body.get('trackingNumber'):
            shipment.data['trackingNumber'] = body['trackingNumber']
        self.shipments.append(shipment)
        self.pending['SHIP_NOTIFY'].append(order.id)
        return _json_response(
            {'orderId': order.id, 'orderNumber': order.data['orderNumber']})

    def on_hold_until(self, request):
        body = _body(request)
        return self._transition(
            body.get('orderId'), {'awaiting_shipment'}, 'on_hold',
            holdUntilDate=body.get('holdUntilDate'))

    def on_restore(self, request):
        return self._transition(
            _body(request).get('orderId'), {'on_hold'}, 'awaiting_shipment',
            holdUntilDate=None)

    def _transition(self, order_id, sources, target, **changes):
        order = self.orders.get(order_id)
        if order is None or order.data['orderStatus'] not in sources:
            return _model_state('orderId', f"Cannot move to {target}.")
        order.data['orderStatus'] = target
        order.data.update(changes)
        self._touch(order)
        return _json_response(
            {'success': True, 'message': f'Order moved to {target}.'})

    # Other lists

    def on_shipments(self, request):
        args = request.args
        selected = list(self.shipments)
        if args.get('orderId'):
            selected = [s for s in selected
                if s.data['orderId'] == int(args['orderId'])]
        if args.get('batchId'):
            selected = [s for s in selected
                if s.batch_id == args['batchId']]
        if args.get('orderNumber'):
            selected = [s for s in selected
                if s.data['orderNumber'] == args['orderNumber']]
        selected = _between(
            selected, 'created', args.get('createDateStart'),
            args.get('createDateEnd'))
        selected.sort(key=lambda s: (s.created, s.data['shipmentId']))
        if args.get('sortDir', 'ASC').upper() == 'DESC':
            selected.reverse()
        with_items = args.get('includeShipmentItems', '').lower() == 'true'
        return _page(request, 'shipments', [s.render(with_items)
                for s in _slice(request, selected)], len(selected))

    def on_customers(self, request):
        rows = [self._customer(i, p) for i, p in self._customer_rows()]
        return _page(request, 'customers', _slice(request, rows), len(rows))

    def _customer_rows(self):
        used = {o.data['customerId'] for o in self.orders.values()}
        for person in self.fixtures.people:
            customer_id = self.generator.customer_id(person)
            if customer_id in used:
                yield customer_id, person

    def _customer(self, customer_id, person):
        address = person.address
        stamp = pacific(PERIOD_START + dt.timedelta(hours=customer_id), 7)
        return {
            'customerId': customer_id, 'createDate': stamp,
            'modifyDate': stamp, 'name': person.name,
            'company': person.company, 'street1': address.street,
            'street2': None, 'city': address.city,
            'state': address.subdivision, 'postalCode': address.postal_code,
            'countryCode': address.country, 'phone': person.phone,
            'email': person.email,
            'addressVerified': 'Address not yet validated',
            'marketplaceUsernames': [], 'tags': None,
            }

    def on_products(self, request):
        rows = []
        for product in self.fixtures.products:
            product_id = self.generator.product_id(product)
            stamp = pacific(PERIOD_START + dt.timedelta(minutes=product_id),
                2)
            rows.append({
                    'productId': product_id, 'sku': product.sku,
                    'name': product.name, 'price': product.price,
                    'defaultCost': None, 'length': None, 'width': None,
                    'height': None, 'weightOz': Decimal('8.0'),
                    'internalNotes': None, 'fulfillmentSku': None,
                    'createDate': stamp, 'modifyDate': stamp,
                    'active': True, 'productCategory': {
                        'categoryId': 1, 'name': product.category},
                    'productType': None, 'warehouseLocation': None,
                    'defaultCarrierCode': None, 'defaultServiceCode': None,
                    'defaultPackageCode': None,
                    'defaultIntlCarrierCode': None,
                    'defaultIntlServiceCode': None,
                    'defaultIntlPackageCode': None,
                    'defaultConfirmation': None,
                    'defaultIntlConfirmation': None,
                    'customsDescription': None, 'customsValue': None,
                    'customsTariffNo': None, 'customsCountryCode': None,
                    'noCustoms': None, 'tags': None, 'aliases': None,
                    })
        sku = request.args.get('sku')
        if sku:
            rows = [r for r in rows if r['sku'] == sku]
        return _page(request, 'products', _slice(request, rows), len(rows))

    def on_stores(self, request):
        stamp = pacific(PERIOD_START - dt.timedelta(days=30), 2)
        return _json_response([{
                    'storeId': m.store_id, 'storeName': m.store_name,
                    'marketplaceId': m.marketplace_id,
                    'marketplaceName': m.name, 'accountName': None,
                    'email': None, 'integrationUrl': None, 'active': True,
                    'companyName': '', 'phone': '', 'publicEmail': '',
                    'website': '', 'refreshDate': stamp,
                    'lastRefreshAttempt': stamp, 'createDate': stamp,
                    'modifyDate': stamp, 'autoRefresh': True}
                for m in self.fixtures.marketplaces])

    def on_marketplaces(self, request):
        return _json_response([{
                    'name': m.name, 'marketplaceId': m.marketplace_id,
                    'canRefresh': True, 'supportsCustomMappings': True,
                    'supportsCustomStatuses': False,
                    'canConfirmShipments': True}
                for m in self.fixtures.marketplaces])

    def on_warehouses(self, request):
        stamp = pacific(PERIOD_START - dt.timedelta(days=60), 7)
        rows = []
        for warehouse in self.fixtures.warehouses:
            a = warehouse.address
            address = _address(warehouse.name, 'Demo Company', a.street,
                a.city, a.subdivision, a.postal_code, a.country,
                '510-555-0100')
            rows.append({
                    'warehouseId': warehouse.warehouse_id,
                    'warehouseName': warehouse.name,
                    'originAddress': address, 'returnAddress': address,
                    'createDate': stamp, 'isDefault': warehouse.is_default})
        return _json_response(rows)

    # Webhooks

    def on_webhooks(self, request):
        return _json_response({'webhooks': list(self.webhooks.values())})

    def on_subscribe(self, request):
        body = _body(request)
        if not body.get('target_url') or not body.get('event'):
            return _model_state('target_url', "target_url and event are "
                "required.")
        webhook_id = self.next_webhook_id
        self.next_webhook_id += 1
        self.webhooks[webhook_id] = {
            'IsLabelAPIHook': False, 'WebHookID': webhook_id,
            'SellerID': 1, 'StoreID': body.get('store_id'),
            'HookType': body['event'], 'MessageFormat': 'Json',
            'Url': body['target_url'],
            'Name': body.get('friendly_name') or body['event'],
            'BulkCopyBatchID': None, 'BulkCopyRecordID': None,
            'Active': True, 'WebhookLogs': [], 'Seller': None, 'Store': None}
        return _json_response({'id': webhook_id}, 201)

    def on_unsubscribe(self, request, webhook_id):
        if self.webhooks.pop(webhook_id, None) is None:
            return _json_response({'Message': 'Webhook not found'}, 404)
        return Response('', 200)

    # Sandbox-only endpoints

    def on_sandbox_notify(self, request):
        body = _body(request)
        event = body.get('event', 'ORDER_NOTIFY')
        if event not in self.pending:
            return _json_response({'Message': f'unknown event {event}'}, 400)
        batch = uuid.uuid4().hex
        with self.lock:
            order_ids = body.get('order_ids') or self.pending[event]
            self.pending[event] = []
            if event == 'ORDER_NOTIFY':
                for order_id in order_ids:
                    self.orders[order_id].import_batch = batch
                path = f'orders?importBatch={batch}'
            else:
                for shipment in self.shipments:
                    if shipment.data['orderId'] in order_ids:
                        shipment.batch_id = batch
                path = (f'shipments?batchId={batch}'
                    '&includeShipmentItems=False')
            hooks = [h for h in self.webhooks.values()
                if h['HookType'] == event]
        resource = {'resource_url': request.host_url + path,
            'resource_type': event}
        delivered = [self._deliver(h['Url'], resource) for h in hooks]
        return _json_response({'resource': resource, 'orders': order_ids,
                'delivered': delivered})

    def _deliver(self, url, resource):
        try:
            status = requests.post(
                url, json=resource, timeout=self.webhook_timeout).status_code
        except requests.RequestException as exception:
            status = type(exception).__name__
        self.deliveries.append((url, resource, status))
        return {'url': url, 'status': status}

    def on_sandbox_generate(self, request):
        count = int(_body(request).get('orders', 1))
        with self.lock:
            created = []
            for _ in range(count):
                order = self.generator.order(self.now(), modified=self.now())
                self._add_order(order)
                created.append(order.id)
                self.pending['ORDER_NOTIFY'].append(order.id)
        return _json_response({'orders': created})

    def on_sandbox_stats(self, request):
        with self.lock:
            stats = {f'{g} {k}': v for (g, k), v in self.stats.items()}
        return _json_response(stats)

    def count(self, group, key):
        "A statistic (e.g. ``count('path', 'GET /orders')``)."
        with self.lock:
            return self.stats[(group, key)]


def _basic_credentials(request):
    header = request.headers.get('Authorization', '')
    scheme, _, encoded = header.partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        decoded = base64.b64decode(encoded).decode('utf-8')
    except ValueError:
        return None
    key, _, secret = decoded.partition(':')
    return key, secret


def _between(rows, attribute, start, end):
    try:
        start = start and parse_filter_time(start)
        end = end and parse_filter_time(end)
    except ValueError:
        return rows
    if start:
        rows = [r for r in rows if getattr(r, attribute)
            and getattr(r, attribute) >= start]
    if end:
        rows = [r for r in rows if getattr(r, attribute)
            and getattr(r, attribute) <= end]
    return rows


def _page_size(request):
    try:
        size = int(request.args.get('pageSize', 100))
    except ValueError:
        size = 100
    return max(1, min(size, MAX_PAGE_SIZE))


def _page_number(request):
    try:
        return max(1, int(request.args.get('page', 1)))
    except ValueError:
        return 1


def _slice(request, rows):
    size = _page_size(request)
    start = (_page_number(request) - 1) * size
    return rows[start:start + size]


def _page(request, key, rows, total):
    if isinstance(rows, _Raw):
        return Response(
            f'{{"{key}": {rows}, "total": {total}, '
            f'"page": {_page_number(request)}, '
            f'"pages": {math.ceil(total / _page_size(request))}}}',
            200, content_type='application/json; charset=utf-8')
    return _json_response({
            key: rows, 'total': total, 'page': _page_number(request),
            'pages': math.ceil(total / _page_size(request))})


def _body(request):
    try:
        return json.loads(request.get_data() or b'{}',
            parse_float=Decimal) or {}
    except ValueError:
        return {}


def _model_state(field, message):
    return _json_response({'Message': 'The request is invalid.',
            'ModelState': {f'apiModel.{field}': [message]}}, 400)


def _json_response(value, status=200, headers=None):
    return Response(
        dumps(value), status, headers,
        content_type='application/json; charset=utf-8')


def make_app(seed=1, orders=200, fault_rate=0.0, rate_limit=40, window=60.0,
        api_key='key', api_secret='secret', clock=time.monotonic,
        **options):
    """Return the ShipStation sandbox WSGI app (deterministic for a seed).

    ``options``: ``slow_delay`` (seconds a "slow" fault waits, default 35),
    ``faults`` (kinds to inject among '429', '500', 'slow', 'truncated'),
    ``webhook_timeout``.
    """
    return ShipStationSandbox(
        seed=seed, orders=orders, fault_rate=fault_rate,
        rate_limit=rate_limit, window=window, api_key=api_key,
        api_secret=api_secret, clock=clock, **options)
