"""ShipStation V1 ("ssapi", legacy) client.

Yields canonical records (``records.py``).  Every ``iter_*`` method takes
``errors='raise'`` (default: a payload that does not fit raises
``ValidationError``) or ``errors='yield'``: the bad payload comes out as an
``InvalidRecord(kind, external_id, raw, error)`` in place of the record and
iteration goes on, so the staging can keep it in an error state.

Location ids are prefixed (``store:10001``, ``warehouse:20001``) because
ShipStation's store and warehouse ids share no namespace; orders refer to
them the same way.  ShipStation sends no currency: the store's currency
given to the client is stamped on orders.

The client paces itself from the ``X-Rate-Limit-*`` headers (40 calls a
minute by default): when ``Remaining`` reaches 0 it waits ``Reset``
seconds, so it does not cause a 429; a 429 all the same is waited out and
retried.
"""
import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import (
    InvalidRecord,
    RequestError,
    ValidationError,
    check_errors_mode,
)
from .http import JsonHttp, RateLimiter
from .records import Address, Customer, Item, Location, Order, OrderLine
from .timezones import (
    format_wall,
    parse_date,
    parse_pacific,
    safe_lower_bound,
    safe_upper_bound,
    to_pacific_wall,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = 'https://ssapi.shipstation.com'
MAX_PAGE_SIZE = 500
ORDER_STATUSES = frozenset({
        'awaiting_payment', 'awaiting_shipment', 'pending_fulfillment',
        'shipped', 'on_hold', 'cancelled', 'rejected_fulfillment'})
WEBHOOK_EVENTS = frozenset({
        'ORDER_NOTIFY', 'ITEM_ORDER_NOTIFY', 'SHIP_NOTIFY',
        'ITEM_SHIP_NOTIFY', 'FULFILLMENT_SHIPPED', 'FULFILLMENT_REJECTED'})
_SHIPSTATION_HOST = re.compile(r'^ssapi\d*\.shipstation\.com$')


class ShipStationRateLimiter(RateLimiter):
    """Waits out the window when ``X-Rate-Limit-Remaining`` reaches 0.

    Requests that got no answer (timeouts) are counted as spent.
    """

    def __init__(self, sleep, clock):
        self.sleep = sleep
        self.clock = clock
        self.remaining = None  # unknown: assume the window is fresh
        self.resume_at = None
        self.waited = []  # seconds waited before requests (for benches)

    def before_request(self):
        if self.resume_at is not None and self.clock() >= self.resume_at:
            self.remaining = self.resume_at = None
        if self.remaining is not None and self.remaining <= 0:
            delay = self.resume_at - self.clock()
            if delay > 0:
                self.waited.append(delay)
                self.sleep(delay)
            self.remaining = self.resume_at = None
        elif self.remaining is not None:
            self.remaining -= 1

    def after_response(self, response):
        remaining = _header_int(response.headers, 'remaining')
        reset = _header_int(response.headers, 'reset')
        if remaining is None or reset is None:
            return
        self.remaining = remaining
        self.resume_at = self.clock() + max(reset, 0)

    def retry_after(self, response):
        reset = _header_int(response.headers, 'reset')
        if reset is None:
            return super().retry_after(response)
        self.remaining = self.resume_at = None
        return max(reset, 0)


def _header_int(headers, name):
    for key in (f'X-Rate-Limit-{name}', f'X-RateLimit-{name}'):
        value = headers.get(key)
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


@dataclass
class Shipment:
    "A ShipStation label (not a canonical record: it completes an order)."
    external_id: str
    order_external_id: str | None
    order_number: str | None
    created_at: dt.datetime | None
    ship_date: dt.date | None
    carrier: str | None
    service: str | None
    tracking_number: str | None
    voided: bool
    cost: Decimal
    items: list = field(default_factory=list, repr=False)
    raw: dict = field(default_factory=dict, repr=False)


class _Fields:
    "Read one vendor object; every error names the record and the field."

    def __init__(self, raw, kind, id_key=None, record_id=None, prefix=''):
        self.raw = raw
        self.kind = kind
        self.prefix = prefix
        self.record_id = record_id
        if not isinstance(raw, dict):
            raise self.error('', "is not a JSON object")
        if id_key:
            self.record_id = raw.get(id_key)
            self.required(id_key)

    def error(self, key, reason):
        return ValidationError(
            reason, record_id=self.record_id, kind=self.kind,
            field=f'{self.prefix}{key}' or None)

    def optional(self, key):
        value = self.raw.get(key)
        return None if value == '' else value

    def required(self, key):
        value = self.optional(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def text(self, key, required=False):
        value = self.required(key) if required else self.optional(key)
        return None if value is None else str(value).strip() or None

    def ident(self, key):
        value = self.optional(key)
        return None if value is None else str(value)

    def decimal(self, key, required=False, default=Decimal(0),
            negative=True):
        value = self.required(key) if required else self.optional(key)
        if value is None:
            return default
        if isinstance(value, bool):
            raise self.error(key, "is not a number")
        try:
            number = Decimal(str(value) if isinstance(value, str) else value)
        except (InvalidOperation, TypeError, ValueError):
            raise self.error(key, f"is not a number: {value!r}")
        if not number.is_finite():
            raise self.error(key, f"is not a number: {value!r}")
        if not negative and number < 0:
            raise self.error(key, "must not be negative")
        return number

    def datetime(self, key, required=False):
        value = self.required(key) if required else self.optional(key)
        if value is None:
            return None
        try:
            return parse_pacific(value)
        except ValidationError as error:
            raise self.error(key, error.reason)

    def date(self, key):
        value = self.optional(key)
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValidationError as error:
            raise self.error(key, error.reason)

    def nested(self, key, index=None):
        value = self.raw[key] if index is None else self.raw[key][index]
        label = key if index is None else f'{key}[{index}]'
        return _Fields(
            value, self.kind, record_id=self.record_id,
            prefix=f'{self.prefix}{label}.')


def _address(fields, key):
    if not isinstance(fields.optional(key), dict):
        return None
    nested = fields.nested(key)
    street2 = ', '.join(filter(None, (
                nested.text('street2'), nested.text('street3')))) or None
    address = Address(
        name=nested.text('name'), company=nested.text('company'),
        street=nested.text('street1'), street2=street2,
        city=nested.text('city'), subdivision=nested.text('state'),
        postal_code=nested.text('postalCode'),
        country=nested.text('country'), phone=nested.text('phone'))
    if not any(address.model_dump().values()):
        return None
    return address


def _flat_address(fields):
    "Customers carry their address on the record itself."
    address = Address(
        name=fields.text('name'), company=fields.text('company'),
        street=fields.text('street1'), street2=fields.text('street2'),
        city=fields.text('city'), subdivision=fields.text('state'),
        postal_code=fields.text('postalCode'),
        country=fields.text('countryCode'), phone=fields.text('phone'))
    return address if any(address.model_dump().values()) else None


def _order_line(fields, index):
    item = fields.nested('items', index)
    order_id = fields.record_id
    external_id = (
        item.ident('orderItemId') or item.text('lineItemKey')
        or f'{order_id}-{index}')
    return OrderLine(
        external_id=external_id,
        item_external_id=item.ident('productId'),
        sku=item.text('sku'), upc=item.text('upc'),
        name=item.text('name', required=True),
        quantity=item.decimal('quantity', required=True, negative=False),
        unit_price=item.decimal('unitPrice', required=True),
        tax_amount=item.decimal('taxAmount'),
        adjustment=bool(item.optional('adjustment')))


def _prefixed(prefix, value):
    return None if value in (None, '', 0) else f'{prefix}:{value}'


def order_from_raw(raw, currency, shipment=None):
    "Map a ShipStation order to a canonical ``Order``."
    fields = _Fields(raw, 'order', 'orderId')
    status = fields.text('orderStatus', required=True)
    if status not in ORDER_STATUSES:
        raise fields.error('orderStatus', f"unknown status {status!r}")
    items = fields.required('items')
    if not isinstance(items, list):
        raise fields.error('items', "is not a list")
    options = raw.get('advancedOptions') or {}
    bill_to = _address(fields, 'billTo')
    ship_to = _address(fields, 'shipTo')
    order = Order(
        source='shipstation', external_id=str(fields.record_id),
        modified_at=fields.datetime('modifyDate', required=True),
        raw=raw,
        number=fields.text('orderNumber', required=True),
        status=status,
        order_date=fields.datetime('orderDate', required=True),
        payment_date=fields.datetime('paymentDate'),
        ship_date=fields.date('shipDate'),
        currency=currency,
        customer_external_id=fields.ident('customerId'),
        customer_email=fields.text('customerEmail'),
        customer_name=(
            (bill_to and bill_to.name) or (ship_to and ship_to.name)
            or fields.text('customerUsername')),
        bill_to=bill_to, ship_to=ship_to,
        store_external_id=_prefixed('store', options.get('storeId')),
        warehouse_external_id=_prefixed(
            'warehouse', options.get('warehouseId')),
        payment_method=fields.text('paymentMethod'),
        lines=[_order_line(fields, i) for i in range(len(items))],
        tax_amount=fields.decimal('taxAmount'),
        shipping_amount=fields.decimal('shippingAmount'),
        total=fields.decimal('orderTotal', required=True),
        amount_paid=fields.decimal('amountPaid'),
        carrier=fields.text('carrierCode'),
        service=fields.text('serviceCode'))
    if shipment is not None:
        order.carrier = shipment.carrier or order.carrier
        order.service = shipment.service or order.service
        order.tracking_number = shipment.tracking_number
        order.ship_date = order.ship_date or shipment.ship_date
    return order


def shipment_from_raw(raw):
    fields = _Fields(raw, 'shipment', 'shipmentId')
    items = raw.get('shipmentItems') or []
    return Shipment(
        external_id=str(fields.record_id),
        order_external_id=fields.ident('orderId'),
        order_number=fields.text('orderNumber'),
        created_at=fields.datetime('createDate'),
        ship_date=fields.date('shipDate'),
        carrier=fields.text('carrierCode'),
        service=fields.text('serviceCode'),
        tracking_number=fields.text('trackingNumber'),
        voided=bool(fields.optional('voided')),
        cost=fields.decimal('shipmentCost'),
        items=items if isinstance(items, list) else [],
        raw=raw)


def _modified_at(fields):
    "modifyDate, or createDate for objects never modified."
    if fields.optional('modifyDate') is None:
        return fields.datetime('createDate', required=True)
    return fields.datetime('modifyDate', required=True)


def customer_from_raw(raw):
    fields = _Fields(raw, 'customer', 'customerId')
    name = fields.text('name') or fields.text('company') or fields.text(
        'email')
    if not name:
        raise fields.error('name', "is required")
    return Customer(
        source='shipstation', external_id=str(fields.record_id),
        modified_at=_modified_at(fields), raw=raw, name=name,
        company=fields.text('company'), email=fields.text('email'),
        phone=fields.text('phone'), address=_flat_address(fields))


def item_from_raw(raw, currency):
    fields = _Fields(raw, 'item', 'productId')
    active = fields.optional('active')
    return Item(
        source='shipstation', external_id=str(fields.record_id),
        modified_at=_modified_at(fields), raw=raw,
        name=fields.text('name', required=True), sku=fields.text('sku'),
        upc=fields.text('upc'),
        price=fields.decimal('price', default=None), currency=currency,
        active=True if active is None else bool(active))


def store_from_raw(raw, currency):
    fields = _Fields(raw, 'location', 'storeId')
    active = fields.optional('active')
    return Location(
        source='shipstation',
        external_id=_prefixed('store', fields.record_id),
        modified_at=_modified_at(fields), raw=raw,
        name=fields.text('storeName', required=True),
        location_type='marketplace',
        marketplace=fields.text('marketplaceName'), currency=currency,
        timezone='America/Los_Angeles',
        active=True if active is None else bool(active))


def warehouse_from_raw(raw):
    fields = _Fields(raw, 'location', 'warehouseId')
    return Location(
        source='shipstation',
        external_id=_prefixed('warehouse', fields.record_id),
        modified_at=fields.datetime('createDate', required=True), raw=raw,
        name=fields.text('warehouseName', required=True),
        location_type='warehouse', timezone='America/Los_Angeles',
        address=_address(fields, 'originAddress'))


def _record_id(raw, key):
    value = raw.get(key) if isinstance(raw, dict) else None
    return None if value is None else str(value)


class ShipStationClient:
    "One ShipStation V1 account (API key and secret)."

    def __init__(
            self, base_url, api_key, api_secret, *, currency='USD',
            timeout=30, sleep=time.sleep, clock=time.monotonic,
            max_retries=5, backoff=None, session=None):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip('/')
        self.currency = currency
        self.rate_limiter = ShipStationRateLimiter(sleep, clock)
        self.http = JsonHttp(
            self.base_url, auth=(api_key, api_secret), timeout=timeout,
            max_retries=max_retries, backoff=backoff,
            rate_limiter=self.rate_limiter, sleep=sleep, clock=clock,
            session=session)

    def __repr__(self):
        return f'<ShipStationClient {self.base_url}>'

    @property
    def calls(self):
        "HTTP requests sent so far, retries included."
        return self.http.calls

    def test_connection(self):
        "Return the stores the credentials see; raise AuthError if refused."
        return self.http.get('stores').data or []

    # Orders

    def iter_orders(
            self, modified_since=None, modified_until=None,
            status='shipped', page_size=MAX_PAGE_SIZE, *, store_id=None,
            with_shipments=False,
            shipments_lookback=dt.timedelta(days=30), errors='raise'):
        """Yield the orders modified in the window, oldest change first.

        ``modified_since``/``modified_until`` are aware datetimes
        (inclusive).  Pages are read by moving a ``modifyDateStart``
        cursor to the last change seen, so orders modified during the
        pull are not skipped; an order comes out once per run unless its
        ``modifyDate`` changed meanwhile.  ``status=None`` reads every
        status.  ``with_shipments`` first reads the labels created since
        ``modified_since - shipments_lookback`` and fills carrier, service
        and tracking number of the orders they belong to.
        """
        check_errors_mode(errors)
        shipments = {}
        if with_shipments:
            since = modified_since and modified_since - shipments_lookback
            shipments = self.shipments_by_order(since, modified_until)
        params = {}
        if status:
            params['orderStatus'] = status
        if store_id:
            params['storeId'] = store_id
        seen = {}
        pages = self._iter_order_pages(
            params, modified_since, modified_until, page_size)
        for batch in pages:
            for raw in batch:
                key = _record_id(raw, 'orderId')
                version = raw.get('modifyDate') if isinstance(
                    raw, dict) else None
                if key is not None and seen.get(key, ()) == version:
                    continue
                if key is not None:
                    seen[key] = version
                yield from self._order_or_invalid(
                    raw, shipments.get(key), errors)

    def _order_or_invalid(self, raw, shipment, errors):
        try:
            yield order_from_raw(raw, self.currency, shipment)
        except ValidationError as error:
            if errors == 'raise':
                raise
            yield InvalidRecord(
                'order', _record_id(raw, 'orderId'), raw, error)

    def _iter_order_pages(self, params, since, until, page_size):
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        cursor = since and safe_lower_bound(to_pacific_wall(since))
        end = until and safe_upper_bound(to_pacific_wall(until))
        page = 1
        while True:
            query = dict(
                params, sortBy='ModifyDate', sortDir='ASC', page=page,
                pageSize=page_size)
            if cursor:
                query['modifyDateStart'] = format_wall(cursor)
            if end:
                query['modifyDateEnd'] = format_wall(end)
            data = self.http.get('orders', query).data or {}
            batch = data.get('orders') or []
            yield batch
            if len(batch) < page_size or page >= (data.get('pages') or 1):
                return
            last = _last_wall(batch)
            if last and (cursor is None or last > cursor):
                cursor, page = last, 1
            else:
                # The whole page shares one second: step through pages.
                page += 1

    def get_order(self, order_id):
        raw = self.http.get(f'orders/{int(order_id)}').data
        return order_from_raw(raw, self.currency)

    # Shipments

    def iter_shipments(
            self, created_since=None, created_until=None,
            page_size=MAX_PAGE_SIZE, *, order_id=None, errors='raise'):
        "Yield the labels created in the window, items included."
        check_errors_mode(errors)
        params = {'includeShipmentItems': 'true', 'sortBy': 'CreateDate',
            'sortDir': 'ASC'}
        if created_since:
            params['createDateStart'] = format_wall(
                safe_lower_bound(to_pacific_wall(created_since)))
        if created_until:
            params['createDateEnd'] = format_wall(
                safe_upper_bound(to_pacific_wall(created_until)))
        if order_id:
            params['orderId'] = order_id
        yield from self._iter_paged(
            'shipments', params, page_size, 'shipmentId', shipment_from_raw,
            'shipment', errors)

    def shipments_by_order(self, created_since=None, created_until=None):
        """Map order id to its latest label that is not voided."""
        latest = {}
        for shipment in self.iter_shipments(
                created_since, created_until, errors='yield'):
            if isinstance(shipment, InvalidRecord):
                logger.warning("skipping shipment: %s", shipment.reason)
                continue
            if shipment.voided or not shipment.order_external_id:
                continue
            previous = latest.get(shipment.order_external_id)
            if previous is None or _later(shipment, previous):
                latest[shipment.order_external_id] = shipment
        return latest

    # Customers, items, locations

    def iter_customers(self, page_size=MAX_PAGE_SIZE, *, errors='raise'):
        check_errors_mode(errors)
        params = {'sortBy': 'CreateDate', 'sortDir': 'ASC'}
        yield from self._iter_paged(
            'customers', params, page_size, 'customerId', customer_from_raw,
            'customer', errors)

    def iter_items(
            self, page_size=MAX_PAGE_SIZE, *, show_inactive=True,
            errors='raise'):
        check_errors_mode(errors)
        params = {'sortBy': 'CreateDate', 'sortDir': 'ASC',
            'showInactive': 'true' if show_inactive else 'false'}
        yield from self._iter_paged(
            'products', params, page_size, 'productId',
            lambda raw: item_from_raw(raw, self.currency), 'item', errors)

    def iter_locations(self, *, errors='raise'):
        "Yield the stores (marketplace) then the warehouses."
        check_errors_mode(errors)
        stores = self.http.get('stores', {'showInactive': 'true'}).data
        for raw in stores or []:
            yield from self._mapped(
                raw, lambda r: store_from_raw(r, self.currency), 'location',
                'storeId', errors)
        for raw in self.http.get('warehouses').data or []:
            yield from self._mapped(
                raw, warehouse_from_raw, 'location', 'warehouseId', errors)

    def _iter_paged(self, path, params, page_size, id_key, mapper, kind,
            errors):
        """Page through a wrapped list; ids seen on an earlier page (the
        list shifted under us) are skipped."""
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        seen = set()
        page = 1
        while True:
            query = dict(params, page=page, pageSize=page_size)
            data = self.http.get(path, query).data or {}
            batch = data.get(path) or []
            for raw in batch:
                key = _record_id(raw, id_key)
                if key is not None and key in seen:
                    continue
                seen.add(key)
                yield from self._mapped(raw, mapper, kind, id_key, errors)
            if len(batch) < page_size or page >= (data.get('pages') or 1):
                return
            page += 1

    def _mapped(self, raw, mapper, kind, id_key, errors):
        try:
            yield mapper(raw)
        except ValidationError as error:
            if errors == 'raise':
                raise
            yield InvalidRecord(kind, _record_id(raw, id_key), raw, error)

    # Webhooks

    def list_webhooks(self):
        return (self.http.get('webhooks').data or {}).get('webhooks') or []

    def subscribe_webhook(self, target_url, event, store_id=None,
            friendly_name=None):
        "Subscribe ``target_url`` to ``event``; return the webhook id."
        if event not in WEBHOOK_EVENTS:
            raise ValueError(f"unknown ShipStation event {event!r}")
        body = {'target_url': target_url, 'event': event,
            'store_id': store_id, 'friendly_name': friendly_name}
        data = self.http.post('webhooks/subscribe', json=body).data
        return data['id']

    def unsubscribe_webhook(self, webhook_id):
        self.http.delete(f'webhooks/{int(webhook_id)}')

    def check_resource_url(self, resource_url):
        """Refuse any URL but our own API host, so the credentials never
        go to a host a forged webhook names."""
        target = urlsplit(resource_url)
        own = urlsplit(self.base_url)
        if target.username or target.password:
            raise RequestError(f"untrusted resource_url: {resource_url!r}")
        if (target.scheme, target.netloc) == (own.scheme, own.netloc):
            return
        if (own.hostname == 'ssapi.shipstation.com'
                and target.scheme == 'https' and target.port is None
                and _SHIPSTATION_HOST.match(target.hostname or '')):
            return
        raise RequestError(f"untrusted resource_url: {resource_url!r}")

    def fetch_resource(self, resource_url, *, errors='raise'):
        """Yield what a webhook's ``resource_url`` lists: ``Order``
        records, or ``Shipment`` objects for SHIP_NOTIFY."""
        check_errors_mode(errors)
        self.check_resource_url(resource_url)
        page = 1
        while True:
            data = self.http.get(_with_page(resource_url, page)).data or {}
            if 'orders' in data:
                batch = data['orders'] or []
                for raw in batch:
                    yield from self._order_or_invalid(raw, None, errors)
            else:
                batch = data.get('shipments') or []
                for raw in batch:
                    yield from self._mapped(
                        raw, shipment_from_raw, 'shipment', 'shipmentId',
                        errors)
            if not batch or page >= (data.get('pages') or 1):
                return
            page += 1


def _with_page(url, page):
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != 'page']
    if page > 1:
        query.append(('page', str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _later(shipment, other):
    first = shipment.created_at or dt.datetime.min.replace(tzinfo=dt.UTC)
    second = other.created_at or dt.datetime.min.replace(tzinfo=dt.UTC)
    return first >= second


def _last_wall(batch):
    "Pacific wall time (to the second) of the last order's modifyDate."
    raw = batch[-1]
    try:
        moment = parse_pacific(raw['modifyDate'])
    except (KeyError, TypeError, ValidationError):
        return None
    wall = to_pacific_wall(moment).replace(microsecond=0)
    return safe_lower_bound(wall)
