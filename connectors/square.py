"""Square v2 (Connect API) client: typed records from a seller's account.

Every ``iter_*`` method is a generator over cursor pages.  With
``errors='raise'`` (the default) a payload that does not fit raises
``ValidationError`` naming the record and the field; with
``errors='yield'`` it comes out as an ``InvalidRecord`` in place of the
record and the iteration goes on (as the ShipStation client does).

Money arrives in minor units and becomes ``Decimal`` in major units by the
currency's exponent; times arrive as RFC 3339 and become aware UTC
datetimes.  429s are retried with capped exponential backoff and jitter
(Square sends no reset header), 5xx, timeouts and truncated JSON too.
"""
import datetime as dt
import logging
import time
from decimal import Decimal, InvalidOperation

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError as ModelError,
)

from .errors import (
    AuthError,
    InvalidRecord,
    RequestError,
    ScopeError,
    ValidationError,
    check_errors_mode,
)
from .http import Backoff, JsonHttp
from .money import from_minor
from .oauth import DEFAULT_BASE_URL, SQUARE_VERSION
from .records import (
    Address,
    AppliedTax,
    CashSale,
    CashSaleLine,
    Customer,
    Item,
    Location,
    Refund,
    SalesPerson,
    Tender,
)

logger = logging.getLogger(__name__)

UTC = dt.timezone.utc
MAX_LOCATIONS_PER_SEARCH = 10
ORDERS_PAGE_SIZE = 500
PAYMENTS_PAGE_SIZE = 100
TAX_TYPES = frozenset({'ADDITIVE', 'INCLUSIVE'})
AUTH_CODES = {
    'ACCESS_TOKEN_EXPIRED': "the Square access token has expired; "
        "refresh it or connect the store again",
    'ACCESS_TOKEN_REVOKED': "the seller revoked this application's access "
        "to Square; connect the store again",
    'UNAUTHORIZED': "Square refused the access token; connect the store "
        "again",
    }
# Payments of an order older than this, relative to the page, are read one
# by one instead of widening the ListPayments window.
PAYMENT_WINDOW_SLACK = dt.timedelta(days=1)


class Payment(BaseModel):
    "A Square payment (one tender of a cash sale)."
    model_config = ConfigDict(extra='forbid')
    source: str = 'square'
    kind: str = 'payment'
    external_id: str
    modified_at: dt.datetime
    created_at: dt.datetime
    status: str
    source_type: str | None = None
    location_external_id: str | None = None
    order_external_id: str | None = None
    sales_person_external_id: str | None = None
    currency: str
    amount: Decimal
    tip: Decimal = Decimal(0)
    total: Decimal
    refunded: Decimal = Decimal(0)
    processing_fee: Decimal = Decimal(0)
    card_brand: str | None = None
    refund_ids: list[str] = Field(default_factory=list)
    raw: dict = Field(default_factory=dict, repr=False)


class PaymentRefund(Refund):
    "A refund of a payment, with where and in which currency."
    location_external_id: str | None = None
    order_external_id: str | None = None
    currency: str | None = None
    modified_at: dt.datetime | None = None
    raw: dict = Field(default_factory=dict, repr=False)


# Reading vendor payloads

class _Reader:
    "Read one Square object; errors name the record and the field."

    def __init__(self, raw, kind, record_id=None, prefix=''):
        if not isinstance(raw, dict):
            raise ValidationError("is not a JSON object", kind=kind,
                record_id=record_id, field=prefix.rstrip('.') or None)
        self.raw = raw
        self.kind = kind
        self.prefix = prefix
        self.record_id = record_id or (raw.get('id') if not prefix else None)

    def error(self, key, reason):
        return ValidationError(reason, record_id=self.record_id,
            kind=self.kind, field=f'{self.prefix}{key}' or None)

    def get(self, key):
        value = self.raw.get(key)
        return None if value == '' else value

    def required(self, key):
        value = self.get(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def text(self, key, required=False):
        value = self.required(key) if required else self.get(key)
        return None if value is None else str(value).strip() or None

    def time(self, key, required=False):
        value = self.required(key) if required else self.get(key)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError as exception:
            raise self.error(key, str(exception))

    def quantity(self, key):
        value = self.required(key)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.error(key, f"is not a number: {value!r}")
        if not number.is_finite():
            raise self.error(key, f"is not a number: {value!r}")
        if number < 0:
            raise self.error(key, "must not be negative")
        return number

    def decimal(self, key):
        value = self.get(key)
        if value is None:
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise self.error(key, f"is not a number: {value!r}")

    def money(self, key, currency=None, required=False, negative=False):
        """Decimal in major units of a ``Money`` field; zero when absent.

        ``currency`` (the record's) must match when given.
        """
        value = self.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return Decimal(0)
        money = self.nested(key)
        amount = money.required('amount')
        code = money.text('currency', required=True)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise money.error('amount', f"is not an integer: {amount!r}")
        if amount < 0 and not negative:
            raise money.error('amount', "must not be negative")
        if currency and code != currency:
            raise money.error('currency',
                f"is {code}, the record is in {currency}")
        try:
            return from_minor(amount, code)
        except ValueError as exception:
            raise money.error('currency', str(exception))

    def currency(self, key):
        "The currency code of a Money field, required."
        return self.nested(key).text('currency', required=True)

    def nested(self, key, index=None):
        value = self.raw.get(key) if index is None else self.raw[key][index]
        label = key if index is None else f'{key}[{index}]'
        return _Reader(value, self.kind, self.record_id,
            f'{self.prefix}{label}.')

    def each(self, key):
        values = self.get(key) or []
        if not isinstance(values, list):
            raise self.error(key, "is not a list")
        return [self.nested(key, i) for i in range(len(values))]


def parse_time(value):
    "An RFC 3339 string as an aware UTC datetime."
    if not isinstance(value, str):
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    try:
        result = dt.datetime.fromisoformat(
            value.strip().replace('Z', '+00:00'))
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    if result.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return result.astimezone(UTC)


def format_time(value):
    "An aware datetime as RFC 3339 UTC with milliseconds."
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    value = value.astimezone(UTC)
    return value.strftime('%Y-%m-%dT%H:%M:%S.') + (
        f'{value.microsecond // 1000:03d}Z')


def _address(reader, key, name=None, phone=None):
    if not isinstance(reader.get(key), dict):
        return None
    address = reader.nested(key)
    street2 = ', '.join(filter(None, (
                address.text('address_line_2'),
                address.text('address_line_3')))) or None
    result = Address(
        name=name, street=address.text('address_line_1'), street2=street2,
        city=address.text('locality'),
        subdivision=address.text('administrative_district_level_1'),
        postal_code=address.text('postal_code'),
        country=address.text('country'), phone=phone)
    if not any(v for k, v in result.model_dump().items()
            if k not in {'name', 'phone'}):
        return None
    return result


def _full_name(*parts):
    return ' '.join(p for p in parts if p) or None


# Mappers: one vendor object to one canonical record

def location_from_raw(raw):
    reader = _Reader(raw, 'location')
    reader.required('id')
    return Location(
        source='square', external_id=reader.text('id'),
        modified_at=reader.time('created_at') or _EPOCH,
        name=reader.text('name', required=True), location_type='pos',
        currency=reader.text('currency'), timezone=reader.text('timezone'),
        address=_address(reader, 'address',
            name=reader.text('business_name'),
            phone=reader.text('phone_number')),
        active=reader.get('status') != 'INACTIVE', raw=raw)


def sales_person_from_raw(raw):
    reader = _Reader(raw, 'sales_person')
    reader.required('id')
    given, family = reader.text('given_name'), reader.text('family_name')
    return SalesPerson(
        source='square', external_id=reader.text('id'),
        modified_at=_modified(reader),
        name=_full_name(given, family) or reader.text('email_address')
        or reader.text('id'),
        given_name=given, family_name=family,
        email=reader.text('email_address'),
        phone=reader.text('phone_number'),
        active=reader.get('status') != 'INACTIVE', raw=raw)


def customer_from_raw(raw):
    reader = _Reader(raw, 'customer')
    reader.required('id')
    given, family = reader.text('given_name'), reader.text('family_name')
    name = (_full_name(given, family) or reader.text('company_name')
        or reader.text('nickname') or reader.text('email_address')
        or reader.text('phone_number') or reader.text('id'))
    return Customer(
        source='square', external_id=reader.text('id'),
        modified_at=_modified(reader), name=name,
        given_name=given, family_name=family,
        company=reader.text('company_name'),
        email=reader.text('email_address'),
        phone=reader.text('phone_number'),
        address=_address(reader, 'address', name=name,
            phone=reader.text('phone_number')),
        raw=raw)


def items_from_raw(raw, variations=None):
    """The Items (one per variation) of a catalog ITEM object.

    ``variations`` are the ITEM_VARIATION objects listed apart, by id.
    """
    reader = _Reader(raw, 'item')
    reader.required('id')
    data = reader.nested('item_data')
    item_name = data.text('name', required=True)
    archived = bool(data.get('is_archived')) or bool(raw.get('is_deleted'))
    result = []
    for variation in data.each('variations'):
        raw_variation = (variations or {}).get(
            variation.get('id'), variation.raw)
        result.append(item_from_variation(
            raw_variation, item_name, archived, field_prefix=variation.prefix))
    return result


def item_from_variation(raw, item_name=None, archived=False,
        field_prefix=''):
    reader = _Reader(raw, 'item')
    reader.required('id')
    data = reader.nested('item_variation_data')
    variant = data.text('name')
    if variant in (None, 'Regular') and item_name:
        name, variant = item_name, None
    else:
        name = ' - '.join(filter(None, (item_name, variant)))
    price = currency = None
    if data.get('price_money') is not None:
        price = data.money('price_money')
        currency = data.currency('price_money')
    return Item(
        source='square', external_id=reader.text('id'),
        modified_at=_modified(reader),
        name=name or reader.text('id'), sku=data.text('sku'),
        upc=data.text('upc'), variant_name=variant,
        parent_external_id=data.text('item_id'), price=price,
        currency=currency,
        active=not (archived or raw.get('is_deleted')), raw=raw)


def cash_sale_from_raw(raw, payments=None):
    """Map a COMPLETED Square order to a CashSale.

    ``payments`` (by id) give processing fees, card brands and the team
    member; tenders without a payment keep the order's own figures.
    """
    reader = _Reader(raw, 'cash_sale')
    reader.required('id')
    currency = reader.currency('total_money')
    payments = payments or {}
    tenders = [_tender(t, currency, payments) for t in reader.each('tenders')]
    sales_person = next((
            payments[t.external_id].get('team_member_id')
            for t in tenders if t.external_id in payments
            and payments[t.external_id].get('team_member_id')), None)
    return CashSale(
        source='square', external_id=reader.text('id'),
        modified_at=reader.time('updated_at', required=True),
        state=reader.text('state', required=True),
        created_at=reader.time('created_at', required=True),
        closed_at=reader.time('closed_at'),
        currency=currency,
        location_external_id=reader.text('location_id', required=True),
        customer_external_id=reader.text('customer_id'),
        sales_person_external_id=sales_person,
        lines=[_line(l, currency) for l in reader.each('line_items')],
        taxes=[_tax(t, currency) for t in reader.each('taxes')],
        discount_amount=reader.money('total_discount_money', currency),
        service_charge_amount=reader.money(
            'total_service_charge_money', currency),
        tip_amount=reader.money('total_tip_money', currency),
        tax_amount=reader.money('total_tax_money', currency),
        total=reader.money('total_money', currency, required=True),
        tenders=tenders,
        refunds=[_order_refund(r, currency, payments)
            for r in reader.each('refunds')],
        raw=raw)


def _line(line, currency):
    external_id = line.text('uid') or f'{line.record_id}{line.prefix}'
    name = line.text('name') or line.text('variation_name') or 'Item'
    variation = line.text('variation_name')
    if variation and variation != 'Regular' and variation != name:
        name = f'{name} - {variation}'
    return CashSaleLine(
        external_id=external_id,
        item_external_id=line.text('catalog_object_id'),
        name=name, quantity=line.quantity('quantity'),
        base_price=line.money('base_price_money', currency),
        gross=line.money('gross_sales_money', currency),
        tax_amount=line.money('total_tax_money', currency),
        discount_amount=line.money('total_discount_money', currency),
        total=line.money('total_money', currency, required=True))


def _tax(tax, currency):
    tax_type = tax.text('type', required=True)
    if tax_type not in TAX_TYPES:
        raise tax.error('type', f"unknown tax type {tax_type!r}")
    return AppliedTax(
        name=tax.text('name') or tax_type.title(), tax_type=tax_type,
        percentage=tax.decimal('percentage'),
        amount=tax.money('applied_money', currency),
        external_id=tax.text('catalog_object_id') or tax.text('uid'))


def _tender(tender, currency, payments):
    tender_id = tender.text('id', required=True)
    payment = payments.get(tender_id)
    fee = tender.money('processing_fee_money', currency, negative=True)
    brand = None
    if isinstance(tender.get('card_details'), dict):
        card = tender.raw['card_details'].get('card') or {}
        brand = card.get('card_brand')
    if payment is not None:
        paid = _Reader(payment, 'payment')
        fee = _processing_fee(paid, currency)
        brand = ((payment.get('card_details') or {}).get('card') or {}).get(
            'card_brand') or brand
    return Tender(
        external_id=tender_id,
        tender_type=tender.text('type', required=True),
        amount=tender.money('amount_money', currency, required=True),
        tip=tender.money('tip_money', currency),
        processing_fee=fee, card_brand=brand)


def _processing_fee(reader, currency):
    return sum((
            fee.money('amount_money', currency, negative=True)
            for fee in reader.each('processing_fee')), Decimal(0))


def _order_refund(refund, currency, payments):
    return Refund(
        external_id=refund.text('id', required=True),
        payment_external_id=refund.text('tender_id'),
        status=refund.text('status', required=True),
        amount=refund.money('amount_money', currency, required=True),
        processing_fee=refund.money(
            'processing_fee_money', currency, negative=True),
        reason=refund.text('reason'),
        created_at=refund.time('created_at'))


def payment_from_raw(raw):
    reader = _Reader(raw, 'payment')
    reader.required('id')
    currency = reader.currency('total_money')
    card = ((raw.get('card_details') or {}).get('card') or {})
    return Payment(
        external_id=reader.text('id'),
        modified_at=_modified(reader),
        created_at=reader.time('created_at', required=True),
        status=reader.text('status', required=True),
        source_type=reader.text('source_type'),
        location_external_id=reader.text('location_id'),
        order_external_id=reader.text('order_id'),
        sales_person_external_id=reader.text('team_member_id'),
        currency=currency,
        amount=reader.money('amount_money', currency, required=True),
        tip=reader.money('tip_money', currency),
        total=reader.money('total_money', currency, required=True),
        refunded=reader.money('refunded_money', currency),
        processing_fee=_processing_fee(reader, currency),
        card_brand=card.get('card_brand'),
        refund_ids=list(raw.get('refund_ids') or ()), raw=raw)


def refund_from_raw(raw):
    reader = _Reader(raw, 'refund')
    reader.required('id')
    currency = reader.currency('amount_money')
    return PaymentRefund(
        external_id=reader.text('id'),
        payment_external_id=reader.text('payment_id'),
        status=reader.text('status', required=True),
        amount=reader.money('amount_money', currency, required=True),
        processing_fee=_processing_fee(reader, currency),
        reason=reader.text('reason'),
        created_at=reader.time('created_at'),
        modified_at=_modified(reader),
        location_external_id=reader.text('location_id'),
        order_external_id=reader.text('order_id'),
        currency=currency, raw=raw)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def _modified(reader):
    return (reader.time('updated_at') or reader.time('created_at')
        or _EPOCH)


def square_error(response):
    """Refine Square's ``{"errors": [...]}`` into AuthError/ScopeError.

    Returns None to let the generic mapping decide (404, 429, 5xx...).
    """
    status = response.status
    errors = (response.data or {}).get('errors') if isinstance(
        response.data, dict) else None
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get('code')
    detail = first.get('detail') or ''
    if status == 401 or code in AUTH_CODES:
        message = AUTH_CODES.get(code, AUTH_CODES['UNAUTHORIZED'])
        error = AuthError(
            f"{message[0].upper()}{message[1:]} ({code}).", status=status)
        error.code = code
        return error
    if status == 403 and code == 'INSUFFICIENT_SCOPES':
        scopes = [s for s in _KNOWN_SCOPES if s in detail]
        named = ', '.join(scopes) or 'a scope this call needs'
        error = ScopeError(
            f"The Square connection lacks the permission {named}; connect "
            "the store again and grant it.", scopes=scopes, status=status)
        error.code = code
        return error
    if status == 400 and first:
        error = RequestError(f"Square rejected the request: {code}: "
            f"{detail}" + (f" (field {first['field']})"
                if first.get('field') else ''), status=status)
        error.code = code
        return error
    return None


_KNOWN_SCOPES = (
    'MERCHANT_PROFILE_READ', 'ORDERS_READ', 'PAYMENTS_READ',
    'CUSTOMERS_READ', 'ITEMS_READ', 'EMPLOYEES_READ', 'INVENTORY_READ')


class SquareClient:
    "One seller's Square account, through an OAuth access token."

    def __init__(self, base_url, access_token, *,
            square_version=SQUARE_VERSION, timeout=30, sleep=time.sleep,
            clock=time.monotonic, max_retries=5, max_rate_limit_retries=10,
            backoff=None, session=None, token_refresher=None):
        """``token_refresher()``, if given, returns a new access token when
        Square answers ACCESS_TOKEN_EXPIRED; the call is then retried."""
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip('/')
        self.token_refresher = token_refresher
        self.http = JsonHttp(
            self.base_url, timeout=timeout, max_retries=max_retries,
            max_rate_limit_retries=max_rate_limit_retries,
            backoff=backoff or Backoff(base=0.5, cap=30.0),
            error_mapper=square_error, sleep=sleep, clock=clock,
            session=session,
            headers={'Square-Version': square_version,
                'Content-Type': 'application/json'})
        self._set_token(access_token)
        self._locations = None

    def __repr__(self):
        return f'<SquareClient {self.base_url}>'

    def _set_token(self, access_token):
        self.http.session.headers['Authorization'] = f'Bearer {access_token}'

    @property
    def calls(self):
        "HTTP requests sent so far, retries included."
        return self.http.calls

    def _request(self, method, path, **kwargs):
        try:
            return self.http.request(method, path, **kwargs).data or {}
        except AuthError as error:
            if (getattr(error, 'code', None) != 'ACCESS_TOKEN_EXPIRED'
                    or not self.token_refresher):
                raise
        self._set_token(self.token_refresher())
        return self.http.request(method, path, **kwargs).data or {}

    def _get(self, path, params=None):
        return self._request('GET', path, params=params)

    def _search(self, path, body):
        # Searches only read: safe to retry.
        return self._request('POST', path, json=body, idempotent=True)

    def _pages(self, method, path, query, key):
        "Yield each page's list under ``key``, following the cursor."
        query = dict(query)
        while True:
            if method == 'GET':
                data = self._get(path, query)
            else:
                data = self._search(path, query)
            yield data.get(key) or []
            cursor = data.get('cursor')
            if not cursor:
                return
            query['cursor'] = cursor

    def _mapped(self, raws, mapper, kind, errors):
        for raw in raws:
            record_id = raw.get('id') if isinstance(raw, dict) else None
            try:
                yield _checked(mapper, raw, kind, record_id)
            except ValidationError as error:
                if errors == 'raise':
                    raise
                yield InvalidRecord(kind, record_id, raw, error)

    def test_connection(self):
        "Return the merchant's locations; raise AuthError if refused."
        return self.list_locations()

    # Reference data

    def list_locations(self):
        "Every location's raw object (active and inactive)."
        if self._locations is None:
            self._locations = self._get('v2/locations').get(
                'locations') or []
        return self._locations

    def location_ids(self):
        return [l['id'] for l in self.list_locations()
            if isinstance(l, dict) and l.get('id')]

    def iter_locations(self, *, errors='raise'):
        check_errors_mode(errors)
        self._locations = None
        yield from self._mapped(
            self.list_locations(), location_from_raw, 'location', errors)

    def iter_sales_people(self, *, status=None, errors='raise'):
        check_errors_mode(errors)
        body = {'limit': 200}
        if status:
            body['query'] = {'filter': {'status': status}}
        for page in self._pages(
                'POST', 'v2/team-members/search', body, 'team_members'):
            yield from self._mapped(
                page, sales_person_from_raw, 'sales_person', errors)

    def iter_customers(self, *, errors='raise'):
        check_errors_mode(errors)
        for page in self._pages(
                'GET', 'v2/customers', {'limit': 100}, 'customers'):
            yield from self._mapped(
                page, customer_from_raw, 'customer', errors)

    def iter_items(self, *, errors='raise'):
        """One Item per variation; variations listed before their item wait
        for it, and those whose item never comes are yielded alone."""
        check_errors_mode(errors)
        variations, done = {}, set()
        query = {'types': 'ITEM,ITEM_VARIATION'}
        for page in self._pages('GET', 'v2/catalog/list', query, 'objects'):
            for raw in page:
                kind = raw.get('type') if isinstance(raw, dict) else None
                if kind == 'ITEM_VARIATION':
                    variations[raw.get('id')] = raw
                elif kind == 'ITEM':
                    yield from self._item(raw, variations, done, errors)
        orphans = [v for i, v in variations.items() if i not in done]
        yield from self._mapped(orphans, item_from_variation, 'item', errors)

    def _item(self, raw, variations, done, errors):
        try:
            items = items_from_raw(raw, variations)
        except ValidationError as error:
            if errors == 'raise':
                raise
            yield InvalidRecord('item', raw.get('id'), raw, error)
            items = []
        nested = ((raw.get('item_data') or {}).get('variations') or [])
        done.update(v.get('id') for v in nested if isinstance(v, dict))
        yield from items

    # Sales

    def iter_cash_sales(self, updated_since=None, updated_until=None,
            location_ids=None, *, page_size=ORDERS_PAGE_SIZE,
            errors='raise'):
        """Yield each COMPLETED order updated in the window as a CashSale,
        once per call, oldest change first within each group of 10
        locations.

        Payments give fees, card brands and team members; payments
        updated in the window (a fee that arrived late, a refund) bring
        back their orders even when the order itself did not change.
        """
        check_errors_mode(errors)
        location_ids = list(location_ids or self.location_ids())
        seen = set()
        for group in _chunks(location_ids, MAX_LOCATIONS_PER_SEARCH):
            body = self._orders_query(
                group, updated_since, updated_until, page_size)
            for page in self._pages(
                    'POST', 'v2/orders/search', body, 'orders'):
                page = [o for o in page if _new(o, seen)]
                yield from self._cash_sales(page, errors)
        if updated_since is not None:
            yield from self._orders_of_updated_payments(
                location_ids, updated_since, updated_until, seen, errors)

    @staticmethod
    def _orders_query(location_ids, since, until, page_size):
        time_range = {}
        if since is not None:
            time_range['start_at'] = format_time(since)
        if until is not None:
            time_range['end_at'] = format_time(until)
        query = {
            'filter': {'state_filter': {'states': ['COMPLETED']}},
            'sort': {'sort_field': 'UPDATED_AT', 'sort_order': 'ASC'},
            }
        if time_range:
            query['filter']['date_time_filter'] = {'updated_at': time_range}
        return {
            'location_ids': location_ids, 'limit': page_size,
            'query': query}

    def _cash_sales(self, orders, errors):
        payments = self._payments_for(orders)
        yield from self._mapped(
            orders, lambda raw: cash_sale_from_raw(raw, payments),
            'cash_sale', errors)

    def _payments_for(self, orders):
        """The payments of the orders' tenders, by id: one ListPayments
        window per location for the bulk, single reads for stragglers."""
        tenders = []
        for order in orders:
            for tender in (order.get('tenders') or ()):
                if isinstance(tender, dict) and tender.get('id'):
                    tenders.append(tender)
        if not tenders:
            return {}
        bulk, _ = _split_by_time(tenders, orders)
        payments = {}
        if bulk:
            begin = min(t[1] for t in bulk)
            end = max(t[1] for t in bulk) + dt.timedelta(milliseconds=1)
            for location_id in sorted({t[0].get('location_id')
                        for t in bulk if t[0].get('location_id')}):
                for payment in self._iter_raw_payments(
                        begin, end, location_id):
                    payments[payment.get('id')] = payment
        wanted = {t.get('id') for t in tenders}
        missing = wanted - set(payments)
        for tender_id in sorted(missing):
            payment = self._get(f'v2/payments/{tender_id}').get('payment')
            if payment:
                payments[tender_id] = payment
        return {k: v for k, v in payments.items() if k in wanted}

    def _orders_of_updated_payments(self, location_ids, since, until, seen,
            errors):
        order_ids = []
        for location_id in location_ids:
            params = {
                'location_id': location_id,
                'updated_at_begin_time': format_time(since),
                'begin_time': format_time(since - dt.timedelta(days=365)),
                'sort_field': 'UPDATED_AT', 'sort_order': 'ASC',
                'limit': PAYMENTS_PAGE_SIZE}
            if until is not None:
                params['updated_at_end_time'] = format_time(until)
            for page in self._pages('GET', 'v2/payments', params,
                    'payments'):
                for payment in page:
                    order_id = payment.get('order_id')
                    if order_id and order_id not in seen and (
                            order_id not in order_ids):
                        order_ids.append(order_id)
        for chunk in _chunks(order_ids, 100):
            orders = self._search(
                'v2/orders/batch-retrieve', {'order_ids': chunk}).get(
                'orders') or []
            orders = [o for o in orders if o.get('state') == 'COMPLETED'
                and _new(o, seen)]
            yield from self._cash_sales(orders, errors)

    def _iter_raw_payments(self, begin, end, location_id):
        params = {
            'begin_time': format_time(begin), 'end_time': format_time(end),
            'location_id': location_id, 'sort_order': 'ASC',
            'limit': PAYMENTS_PAGE_SIZE}
        for page in self._pages('GET', 'v2/payments', params, 'payments'):
            yield from page

    def iter_payments(self, begin, end, location_ids=None, *,
            errors='raise'):
        """Payments created in [begin, end) at every location (Square
        lists only the main location unless asked)."""
        check_errors_mode(errors)
        for location_id in (location_ids or self.location_ids()):
            yield from self._mapped(
                self._iter_raw_payments(begin, end, location_id),
                payment_from_raw, 'payment', errors)

    def iter_refunds(self, begin, end, location_ids=None, *,
            errors='raise'):
        "Payment refunds created in [begin, end), every location."
        check_errors_mode(errors)
        for location_id in (location_ids or self.location_ids()):
            params = {
                'begin_time': format_time(begin),
                'end_time': format_time(end), 'location_id': location_id,
                'sort_order': 'ASC', 'limit': PAYMENTS_PAGE_SIZE}
            for page in self._pages('GET', 'v2/refunds', params, 'refunds'):
                yield from self._mapped(
                    page, refund_from_raw, 'refund', errors)

    def retrieve_orders(self, order_ids, *, errors='raise'):
        "CashSales of the given orders (a webhook's order_updated)."
        check_errors_mode(errors)
        seen = set()
        for chunk in _chunks(list(order_ids), 100):
            orders = self._search(
                'v2/orders/batch-retrieve', {'order_ids': chunk}).get(
                'orders') or []
            orders = [o for o in orders if o.get('state') == 'COMPLETED'
                and _new(o, seen)]
            yield from self._cash_sales(orders, errors)


def _checked(mapper, raw, kind, record_id):
    "Run a mapper; a record that the canonical model refuses is invalid."
    try:
        return mapper(raw)
    except ModelError as exception:
        first = exception.errors()[0]
        field = '.'.join(str(p) for p in first.get('loc', ())) or None
        raise ValidationError(first.get('msg', str(exception)),
            record_id=record_id, kind=kind, field=field) from exception


def _new(order, seen):
    "True once per order id (pages may repeat an order that changed)."
    key = order.get('id') if isinstance(order, dict) else None
    if key is None:
        return True
    if key in seen:
        return False
    seen.add(key)
    return True


def _chunks(values, size):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _split_by_time(tenders, orders):
    """(tender, created_at) pairs close to the page's orders, and the
    older ones (orders refunded long after the sale)."""
    stamps = []
    for order in orders:
        try:
            stamps.append(parse_time(order.get('updated_at')))
        except ValueError:
            continue
    floor = (min(stamps) - PAYMENT_WINDOW_SLACK) if stamps else None
    bulk, stragglers = [], []
    for tender in tenders:
        try:
            created = parse_time(tender.get('created_at'))
        except ValueError:
            stragglers.append(tender)
            continue
        if floor is None or created >= floor:
            bulk.append((tender, created))
        else:
            stragglers.append(tender)
    return bulk, stragglers
