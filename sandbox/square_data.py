"""Seeded Square v2 data: locations, team, customers, catalog, orders,
payments and refunds, in the vendor's own JSON shape.

Everything derives from ``random.Random(seed)`` and an anchor time, so a
seed and a clock give the same data every time.  Money is in minor units
and totals are consistent: an order's ``total_money`` is its lines plus
additive taxes, minus discounts, plus service charges and tips; inclusive
taxes sit inside the prices.
"""
import datetime as dt
import hashlib
import random
import string
from decimal import ROUND_HALF_UP, Decimal

from . import fixtures as shared

UTC = dt.timezone.utc
ID_ALPHABET = string.ascii_uppercase + string.digits

FEE_DELAY = dt.timedelta(seconds=10)


def rfc3339(value):
    "RFC 3339 UTC with milliseconds, as Square writes it."
    value = value.astimezone(UTC)
    return value.strftime('%Y-%m-%dT%H:%M:%S.') + (
        f'{value.microsecond // 1000:03d}Z')


def money(amount, currency):
    return {'amount': int(amount), 'currency': currency}


def round_minor(value):
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Ids:
    "Square-looking, seeded identifiers."

    def __init__(self, rng):
        self.rng = rng

    def make(self, length=22, prefix=''):
        return prefix + ''.join(
            self.rng.choice(ID_ALPHABET) for _ in range(length))


# A location in a zero-decimal currency, beside the shared US ones.
TOKYO = ('Tokyo Shop', 'JPY', 'Asia/Tokyo', 'JP', {
        'address_line_1': '1-1 Marunouchi', 'locality': 'Chiyoda-ku',
        'administrative_district_level_1': 'Tokyo',
        'postal_code': '100-0005', 'country': 'JP'})

# (tax name, type, percentage, price factor from USD) by currency
TAX_PROFILES = {
    'USD': ('Sales Tax', 'ADDITIVE', '8.5', 1),
    'JPY': ('Consumption Tax', 'INCLUSIVE', '10', 150),
    }


def _address(address):
    result = {
        'address_line_1': address.street,
        'locality': address.city,
        'postal_code': address.postal_code,
        'country': address.country,
        }
    if address.street2:
        result['address_line_2'] = address.street2
    if address.subdivision:
        result['administrative_district_level_1'] = address.subdivision
    return result


class SquareData:
    """The merchant's data set; ``now`` bounds every generated time."""

    def __init__(self, seed=1, orders=200, payments=None, now=None,
            span=dt.timedelta(days=60), merchant_id='MLSANDBOXMERCHANT'):
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.merchant_id = merchant_id
        self.now = now or dt.datetime.now(UTC)
        self.start = self.now - span
        self.locations = []
        self.location_profiles = {}
        self.location_keys = {}
        self.fixtures = shared.build(seed)
        self.team_members = []
        self.customers = []
        self.catalog = []
        self.variations = []
        self.orders = []
        self.payments = []
        self.refunds = []
        self.fee_effective = {}  # payment id -> datetime fee appears
        self._make_locations()
        self._make_team()
        self._make_customers()
        self._make_catalog()
        self._make_orders(orders, payments)

    # Reference data

    def _make_locations(self):
        created = rfc3339(self.start - dt.timedelta(days=400))
        for fixture in self.fixtures.square_locations:
            self._add_location(fixture.location_id, fixture.name,
                fixture.currency, fixture.timezone, fixture.address.country,
                _address(fixture.address), created)
            self.location_keys[fixture.key] = fixture.location_id
        name, currency, tz, country, address = TOKYO
        self._add_location(self.ids.make(13, 'L'), name, currency, tz,
            country, address, created)
        self.main_location_id = self.locations[0]['id']

    def _add_location(self, location_id, name, currency, tz, country,
            address, created):
        self.locations.append({
                'id': location_id, 'name': name,
                'business_name': 'Downtown Café Co.',
                'timezone': tz, 'currency': currency, 'country': country,
                'status': 'ACTIVE', 'type': 'PHYSICAL',
                'merchant_id': self.merchant_id, 'created_at': created,
                'language_code': 'ja-JP' if country == 'JP' else 'en-US',
                'capabilities': ['CREDIT_CARD_PROCESSING'],
                'address': address,
                })
        self.location_profiles[location_id] = TAX_PROFILES[currency]

    def _make_team(self):
        created = rfc3339(self.start)
        for member in self.fixtures.team_members:
            location_ids = [self.location_keys[k]
                for k in member.location_keys]
            self.team_members.append({
                    'id': member.team_member_id,
                    'reference_id': member.key,
                    'is_owner': member.key == 'T1',
                    'status': 'ACTIVE',
                    'given_name': member.given_name,
                    'family_name': member.family_name,
                    'email_address': member.email,
                    'phone_number': member.phone,
                    'created_at': created, 'updated_at': created,
                    'assigned_locations': {
                        'assignment_type': 'EXPLICIT_LOCATIONS',
                        'location_ids': location_ids},
                    })

    def _make_customers(self):
        for i, person in enumerate(self.fixtures.people):
            created = self.start + dt.timedelta(hours=i)
            customer = {
                'id': self.ids.make(26),
                'created_at': rfc3339(created),
                'updated_at': rfc3339(created),
                'given_name': person.given_name,
                'family_name': person.family_name,
                'creation_source': 'THIRD_PARTY',
                'preferences': {'email_unsubscribed': False},
                'version': 1,
                'reference_id': person.key,
                'address': _address(person.address),
                }
            if person.email:
                customer['email_address'] = person.email
            if person.phone:
                customer['phone_number'] = person.phone
            if person.company:
                customer['company_name'] = person.company
            self.customers.append(customer)

    def _make_catalog(self):
        updated = rfc3339(self.start)
        items = {}
        for product in self.fixtures.products:
            items.setdefault(product.item_name, []).append(product)
        for name, products in items.items():
            item_id = self.ids.make(24)
            variations = [
                self._variation(item_id, k, product, updated)
                for k, product in enumerate(products)]
            self.variations.extend(variations)
            self.catalog.append({
                    'type': 'ITEM', 'id': item_id, 'updated_at': updated,
                    'version': 1, 'is_deleted': False,
                    'present_at_all_locations': True,
                    'item_data': {
                        'name': name, 'product_type': 'REGULAR',
                        'is_archived': False, 'variations': variations,
                        },
                    })
            self.catalog.extend(variations)

    def _variation(self, item_id, ordinal, product, updated):
        return {
            'type': 'ITEM_VARIATION', 'id': self.ids.make(24),
            'updated_at': updated, 'version': 1, 'is_deleted': False,
            'present_at_all_locations': True,
            'item_variation_data': {
                'item_id': item_id,
                'name': product.variant_name or 'Regular',
                'sku': product.sku, 'upc': product.upc,
                'ordinal': ordinal, 'pricing_type': 'FIXED_PRICING',
                'price_money': money(product.price * 100, 'USD'),
                'sellable': True, 'stockable': True,
                },
            }

    # Sales

    def _make_orders(self, count, payment_count):
        step = (self.now - dt.timedelta(minutes=1) - self.start) / max(
            count if payment_count is None else payment_count, 1)
        created = self.start
        while True:
            if payment_count is None and len(self.orders) >= count:
                break
            if payment_count is not None and (
                    len(self.payments) >= payment_count):
                break
            created += step * self.rng.uniform(0.5, 1.5)
            created = min(created, self.now - dt.timedelta(seconds=5))
            left = None if payment_count is None else (
                payment_count - len(self.payments))
            self.add_order(created, max_tenders=left)

    def add_order(self, created, *, state=None, location_id=None,
            max_tenders=None, random_refund=True):
        "Generate one order (and its payments); return it."
        rng = self.rng
        location = self._location(location_id)
        profile = self.location_profiles[location['id']]
        currency = location['currency']
        if state is None:
            state = rng.choices(
                ['COMPLETED', 'OPEN', 'CANCELED'], [90, 5, 5])[0]
        order = {
            'id': self.ids.make(27),
            'location_id': location['id'],
            'source': {'name': 'Point of Sale'},
            'state': state,
            'version': 1 if state == 'OPEN' else 4,
            'created_at': rfc3339(created),
            'updated_at': rfc3339(created),
            }
        if rng.random() < 0.6:
            order['customer_id'] = rng.choice(self.customers)['id']
        self._price_order(order, profile, currency)
        if state == 'COMPLETED':
            closed = created + dt.timedelta(seconds=rng.randint(5, 90))
            closed = min(closed, self.now)
            order['closed_at'] = order['updated_at'] = rfc3339(closed)
            self._pay(order, created, currency, max_tenders, random_refund)
        elif state == 'CANCELED':
            closed = created + dt.timedelta(minutes=rng.randint(1, 30))
            closed = min(closed, self.now)
            order['closed_at'] = order['updated_at'] = rfc3339(closed)
        self.orders.append(order)
        return order

    def _location(self, location_id):
        if location_id:
            return next(l for l in self.locations if l['id'] == location_id)
        return self.rng.choices(self.locations, [40, 25, 15, 20])[0]

    def _price_order(self, order, profile, currency):
        rng = self.rng
        tax_name, tax_type, tax_rate, factor = profile
        tax_uid = self.ids.make(8, 'tax-')
        discount_pct = rng.choice(['10', '15']) if (
            rng.random() < 0.2) else None
        discount_uid = self.ids.make(8, 'disc-')
        lines = []
        for variation in rng.sample(self.variations, rng.randint(1, 4)):
            lines.append(self._line(
                    variation, currency, factor, tax_uid, tax_type,
                    Decimal(tax_rate), discount_uid, discount_pct))
        order['line_items'] = lines
        tax_total = sum(l['total_tax_money']['amount'] for l in lines)
        discount_total = sum(
            l['total_discount_money']['amount'] for l in lines)
        order['taxes'] = [{
                'uid': tax_uid, 'name': tax_name, 'type': tax_type,
                'percentage': tax_rate, 'scope': 'ORDER',
                'auto_applied': True,
                'applied_money': money(tax_total, currency),
                }]
        if discount_pct:
            order['discounts'] = [{
                    'uid': discount_uid, 'name': f'{discount_pct}% off',
                    'type': 'FIXED_PERCENTAGE',
                    'percentage': discount_pct, 'scope': 'ORDER',
                    'applied_money': money(discount_total, currency),
                    }]
        service = 0
        if rng.random() < 0.1:
            service = 200 * factor
            order['service_charges'] = [{
                    'uid': self.ids.make(8, 'sc-'),
                    'name': 'Delivery fee', 'type': 'CUSTOM',
                    'amount_money': money(service, currency),
                    'applied_money': money(service, currency),
                    'total_money': money(service, currency),
                    'total_tax_money': money(0, currency),
                    'calculation_phase': 'TOTAL_PHASE',
                    'taxable': False, 'scope': 'ORDER',
                    }]
        lines_total = sum(l['total_money']['amount'] for l in lines)
        order['total_tax_money'] = money(tax_total, currency)
        order['total_discount_money'] = money(discount_total, currency)
        order['total_service_charge_money'] = money(service, currency)
        order['total_tip_money'] = money(0, currency)
        order['total_money'] = money(lines_total + service, currency)
        order['net_amount_due_money'] = money(
            lines_total + service, currency)

    def _line(self, variation, currency, factor, tax_uid, tax_type, rate,
            discount_uid, discount_pct):
        data = variation['item_variation_data']
        base = data['price_money']['amount'] * factor
        if currency == 'JPY':
            base = round_minor(Decimal(base) / 100)
        # Now and then a weighed or measured quantity.
        quantity = Decimal(self.rng.choice(
                ['1', '1', '1', '2', '2', '3', '1', '1', '1', '1.5']))
        gross = round_minor(base * quantity)
        discount = round_minor(gross * Decimal(discount_pct) / 100) if (
            discount_pct) else 0
        taxable = gross - discount
        if tax_type == 'ADDITIVE':
            tax = round_minor(taxable * rate / 100)
            total = taxable + tax
        else:
            tax = taxable - round_minor(taxable / (1 + rate / 100))
            total = taxable
        item_name = self._item_name(data['item_id'])
        line = {
            'uid': self.ids.make(10, 'li-'),
            'name': item_name,
            'quantity': str(quantity),
            'catalog_object_id': variation['id'],
            'catalog_version': 1,
            'variation_name': data['name'],
            'item_type': 'ITEM',
            'base_price_money': money(base, currency),
            'variation_total_price_money': money(gross, currency),
            'gross_sales_money': money(gross, currency),
            'applied_taxes': [{
                    'uid': self.ids.make(8, 'at-'), 'tax_uid': tax_uid,
                    'applied_money': money(tax, currency)}],
            'total_tax_money': money(tax, currency),
            'total_discount_money': money(discount, currency),
            'total_money': money(total, currency),
            }
        if discount_pct:
            line['applied_discounts'] = [{
                    'uid': self.ids.make(8, 'ad-'),
                    'discount_uid': discount_uid,
                    'applied_money': money(discount, currency)}]
        return line

    def _item_name(self, item_id):
        for obj in self.catalog:
            if obj['id'] == item_id:
                return obj['item_data']['name']
        return 'Item'

    def complete(self, order):
        "Pay an OPEN order now: COMPLETED, closed, a new version."
        if order['state'] != 'OPEN':
            raise ValueError(f"order {order['id']} is {order['state']}")
        order['state'] = 'COMPLETED'
        order['version'] += 1
        order['closed_at'] = order['updated_at'] = rfc3339(self.now)
        self._pay(order, self.now - dt.timedelta(seconds=5),
            order['total_money']['currency'], random_refund=False)
        return order

    def _pay(self, order, created, currency, max_tenders=None,
            random_refund=True):
        rng = self.rng
        due = order['total_money']['amount']
        kind = rng.choices(
            ['CARD', 'CASH', 'SQUARE_GIFT_CARD', 'SPLIT'], [65, 25, 5, 5])[0]
        if kind == 'SPLIT' and due >= 2 and max_tenders != 1:
            cash = due // 2
            parts = [('CASH', cash), ('CARD', due - cash)]
        else:
            parts = [('CARD' if kind == 'SPLIT' else kind, due)]
        tip_total = 0
        tenders = []
        for tender_type, amount in parts:
            tip = 0
            if tender_type == 'CARD' and rng.random() < 0.3:
                tip = round_minor(Decimal(amount) * rng.choice(
                        [Decimal('0.1'), Decimal('0.15'), Decimal('0.2')]))
            tip_total += tip
            payment = self._payment(
                order, created, currency, tender_type, amount, tip)
            tenders.append(self._tender(payment, tender_type))
        order['tenders'] = tenders
        order['total_tip_money'] = money(tip_total, currency)
        order['total_money'] = money(due + tip_total, currency)
        order['net_amount_due_money'] = money(0, currency)
        if random_refund and rng.random() < 0.05:
            self._refund(order, tenders[-1]['id'])

    def _payment(self, order, created, currency, tender_type, amount, tip):
        rng = self.rng
        payment_id = self.ids.make(29)
        created = created + dt.timedelta(
            seconds=rng.randint(1, 5), milliseconds=rng.randint(0, 999))
        created = min(created, self.now - dt.timedelta(seconds=1))
        source_type = {'SQUARE_GIFT_CARD': 'CARD'}.get(
            tender_type, tender_type)
        payment = {
            'id': payment_id,
            'created_at': rfc3339(created),
            'updated_at': rfc3339(created),
            'amount_money': money(amount, currency),
            'tip_money': money(tip, currency),
            'total_money': money(amount + tip, currency),
            'approved_money': money(amount + tip, currency),
            'status': 'COMPLETED',
            'source_type': source_type,
            'location_id': order['location_id'],
            'order_id': order['id'],
            'team_member_id': self._team_member(order['location_id']),
            'receipt_number': payment_id[:4],
            'receipt_url': (
                f'https://squareup.com/receipt/preview/{payment_id}'),
            'version_token': self.ids.make(16),
            'processing_fee': [],
            'refund_ids': [],
            }
        if order.get('customer_id'):
            payment['customer_id'] = order['customer_id']
        if source_type == 'CARD':
            brand = 'SQUARE_GIFT_CARD' if (
                tender_type == 'SQUARE_GIFT_CARD') else rng.choice(
                ['VISA', 'MASTERCARD', 'AMERICAN_EXPRESS'])
            payment['card_details'] = {
                'status': 'CAPTURED',
                'card': {'card_brand': brand,
                    'last_4': f'{rng.randint(0, 9999):04d}',
                    'card_type': 'CREDIT' if brand != 'SQUARE_GIFT_CARD'
                    else 'DEBIT'},
                'entry_method': rng.choice(['EMV', 'CONTACTLESS']),
                }
            fee = self._fee(amount + tip, currency, tender_type)
            effective = created + FEE_DELAY
            payment['processing_fee'] = [{
                    'effective_at': rfc3339(effective), 'type': 'INITIAL',
                    'amount_money': money(fee, currency)}]
            self.fee_effective[payment_id] = effective
        elif source_type == 'CASH':
            change = rng.choice([0, 0, 25, 150])
            payment['cash_details'] = {
                'buyer_supplied_money': money(amount + change, currency),
                'change_back_money': money(change, currency)}
        self.payments.append(payment)
        return payment

    def _team_member(self, location_id):
        members = [m['id'] for m in self.team_members
            if location_id in m['assigned_locations']['location_ids']]
        return self.rng.choice(members or [self.team_members[0]['id']])

    @staticmethod
    def _fee(total, currency, tender_type):
        if tender_type == 'SQUARE_GIFT_CARD':
            return 0
        if currency == 'JPY':
            return round_minor(Decimal(total) * Decimal('0.0325'))
        return round_minor(Decimal(total) * Decimal('0.026')) + 10

    def _tender(self, payment, tender_type):
        tender = {
            'id': payment['id'],
            'location_id': payment['location_id'],
            'transaction_id': payment['order_id'],
            'created_at': payment['created_at'],
            'amount_money': payment['total_money'],
            'tip_money': payment['tip_money'],
            'type': tender_type,
            'payment_id': payment['id'],
            }
        if payment.get('customer_id'):
            tender['customer_id'] = payment['customer_id']
        if 'card_details' in payment:
            fee = payment['processing_fee'][0]['amount_money']
            tender['processing_fee_money'] = fee
            tender['card_details'] = {
                'status': 'CAPTURED',
                'card': payment['card_details']['card'],
                'entry_method': payment['card_details']['entry_method']}
        else:
            tender['cash_details'] = {
                'buyer_tendered_money': payment.get(
                    'cash_details', {}).get('buyer_supplied_money'),
                'change_back_money': payment.get(
                    'cash_details', {}).get('change_back_money')}
        return tender

    def _refund(self, order, payment_id, when=None, amount=None):
        rng = self.rng
        payment = self.payment(payment_id)
        total = payment['total_money']['amount']
        if amount is None:
            amount = total if rng.random() < 0.5 else max(1, total // 3)
        refunded = payment.get('refunded_money', {}).get('amount', 0)
        amount = min(amount, total - refunded)
        if amount <= 0:
            return None
        currency = payment['total_money']['currency']
        closed = parse_time(order.get('closed_at') or order['created_at'])
        when = when or min(closed + dt.timedelta(
                hours=rng.randint(1, 48)), self.now - dt.timedelta(seconds=2))
        refund_id = f"{payment_id}_{self.ids.make(20)}"
        fee = 0
        fees = payment.get('processing_fee') or []
        if fees and total:
            fee = -round_minor(Decimal(
                    fees[0]['amount_money']['amount']) * amount / total)
        refund = {
            'id': refund_id, 'status': 'COMPLETED',
            'location_id': payment['location_id'],
            'amount_money': money(amount, currency),
            'payment_id': payment_id, 'order_id': order['id'],
            'reason': rng.choice(['Returned goods', 'Customer request']),
            'created_at': rfc3339(when), 'updated_at': rfc3339(when),
            'destination_type': payment['source_type'],
            'processing_fee': [{
                    'effective_at': rfc3339(when), 'type': 'INITIAL',
                    'amount_money': money(fee, currency)}] if fee else [],
            }
        self.refunds.append(refund)
        payment['refund_ids'].append(refund_id)
        payment['refunded_money'] = money(refunded + amount, currency)
        payment['updated_at'] = rfc3339(when)
        order.setdefault('refunds', []).append({
                'id': refund_id, 'location_id': payment['location_id'],
                'transaction_id': order['id'], 'tender_id': payment_id,
                'created_at': rfc3339(when), 'reason': refund['reason'],
                'amount_money': money(amount, currency),
                'processing_fee_money': money(fee, currency),
                'status': 'APPROVED',
                })
        order['updated_at'] = rfc3339(when)
        order['version'] += 1
        return refund

    # Look-ups

    def payment(self, payment_id):
        return next(p for p in self.payments if p['id'] == payment_id)

    def order(self, order_id):
        return next((o for o in self.orders if o['id'] == order_id), None)

    def digest(self):
        "A short fingerprint of the whole data set (determinism checks)."
        import json
        blob = json.dumps([self.locations, self.catalog, self.customers,
                self.orders, self.payments, self.refunds], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def parse_time(value):
    return dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
