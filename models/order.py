# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

from .staging import StagedDocumentMixin, staged_line_mixin, to_naive_utc


class Order(StagedDocumentMixin, ModelSQL, ModelView):
    "Staged Order"
    __name__ = 'commerce.order'
    _canonical_kind = 'order'

    number = fields.Char("Number", readonly=True)
    status = fields.Char("Status", readonly=True)
    order_date = fields.DateTime("Order Date", readonly=True)
    payment_date = fields.DateTime("Payment Date", readonly=True)
    ship_date = fields.Date("Ship Date", readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", readonly=True)
    customer = fields.Many2One(
        'commerce.customer', "Customer", readonly=True, ondelete='RESTRICT')
    customer_name = fields.Char("Customer Name", readonly=True)
    customer_email = fields.Char("Customer Email", readonly=True)
    marketplace = fields.Many2One(
        'commerce.location', "Marketplace", readonly=True,
        ondelete='RESTRICT')
    payment_method = fields.Char("Payment Method", readonly=True)
    lines = fields.One2Many(
        'commerce.order.line', 'order', "Lines", readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    shipping_amount = Monetary(
        "Shipping", currency='currency', digits='currency', readonly=True)
    total = Monetary(
        "Total", currency='currency', digits='currency', readonly=True)
    amount_paid = Monetary(
        "Amount Paid", currency='currency', digits='currency', readonly=True)
    carrier = fields.Char("Carrier", readonly=True)
    service = fields.Char("Service", readonly=True)
    tracking_number = fields.Char("Tracking Number", readonly=True)
    items_summary = fields.Char("Items", readonly=True)
    sale = fields.Many2One('sale.sale', "Sale", readonly=True)

    @property
    def target(self):
        return self.sale

    def get_rec_name(self, name):
        return self.number or self.external_id

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('number', operator, operand, *extra),
            ('customer_name', operator, operand, *extra),
            ('external_id', operator, operand, *extra),
            ]

    @property
    def shipped(self):
        return self.status == 'shipped'

    @property
    def paid(self):
        return bool(self.total) and self.amount_paid >= self.total

    @classmethod
    def values_from_record(cls, record):
        values = super().values_from_record(record)
        currency = cls.get_currency(record.currency)
        values.update({
                'number': record.number,
                'status': record.status,
                'order_date': to_naive_utc(record.order_date),
                'payment_date': to_naive_utc(record.payment_date),
                'ship_date': record.ship_date,
                'currency': currency.id,
                'customer_name': record.customer_name,
                'customer_email': record.customer_email,
                'payment_method': record.payment_method,
                'tax_amount': record.tax_amount,
                'shipping_amount': record.shipping_amount,
                'total': record.total,
                'amount_paid': record.amount_paid,
                'carrier': record.carrier,
                'service': record.service,
                'tracking_number': record.tracking_number,
                'lines': [('create', [
                            cls._line_values(line)
                            for line in record.lines])],
                })
        return values

    @classmethod
    def _line_values(cls, line):
        return {
            'external_id': line.external_id,
            'item_external_id': cls._item_external_id(line),
            'sku': line.sku,
            'name': line.name,
            'quantity': line.quantity,
            'unit_price': line.unit_price,
            'tax_amount': line.tax_amount,
            'adjustment': line.adjustment,
            }

    @staticmethod
    def _item_external_id(line):
        if line.adjustment:
            return None
        if line.item_external_id:
            return line.item_external_id
        if line.sku and line.sku.strip():
            return 'sku:' + line.sku.strip().upper()
        return 'name:' + line.name.strip().lower()

    @classmethod
    def stage(cls, store, records, failures=()):
        counts = super().stage(store, records, failures)
        cls.link_components(store, records)
        return counts

    @classmethod
    def link_components(cls, store, records):
        """Link the staged orders to their staged customer, marketplace and
        items, staging those that the store's lists did not give"""
        pool = Pool()
        Customer = pool.get('commerce.customer')
        Item = pool.get('commerce.item')
        Location = pool.get('commerce.location')
        Line = pool.get('commerce.order.line')
        by_id = {r.external_id: r for r in records}
        orders = cls.search_by_external_ids(store, by_id)
        orders = [o for o in orders.values() if o.state == 'pending']

        customer_ids = {o: cls._customer_external_id(by_id[o.external_id])
            for o in orders}
        customers = Customer.search_by_external_ids(
            store, customer_ids.values())
        missing = {i: cls._customer_from_order(by_id[o.external_id], i)
            for o, i in customer_ids.items() if i not in customers}
        if missing:
            Customer.stage(store, list(missing.values()))
            customers.update(Customer.search_by_external_ids(store, missing))
        lines = [l for o in orders for l in o.lines]
        items = Item.search_by_external_ids(
            store, {l.item_external_id for l in lines if l.item_external_id})
        missing = {}
        for order in orders:
            for source_line in by_id[order.external_id].lines:
                key = cls._line_values(source_line)['item_external_id']
                if key and key not in items:
                    missing[key] = cls._item_from_line(
                        by_id[order.external_id], source_line, key)
        if missing:
            Item.stage(store, list(missing.values()))
            items.update(Item.search_by_external_ids(
                    store, missing))
        marketplaces = Location.search_by_external_ids(
            store, {by_id[o.external_id].store_external_id
                for o in orders} - {None})

        to_write = []
        for order in orders:
            record = by_id[order.external_id]
            to_write.extend(([order], {
                        'customer': getattr(
                            customers.get(customer_ids[order]), 'id', None),
                        'marketplace': getattr(marketplaces.get(
                                record.store_external_id), 'id', None),
                        }))
        if to_write:
            cls.write(*to_write)
        line_writes = []
        for line in lines:
            item = items.get(line.item_external_id)
            if item:
                line_writes.extend(([line], {'item': item.id}))
        if line_writes:
            Line.write(*line_writes)

    @staticmethod
    def _customer_external_id(record):
        if record.customer_external_id:
            return record.customer_external_id
        if record.customer_email:
            return 'order-customer:' + record.customer_email.strip().lower()
        return 'order-customer:order-' + record.external_id

    @staticmethod
    def _customer_from_order(record, external_id):
        from ..connectors.records import Customer
        address = record.bill_to if (
            record.bill_to and record.bill_to.name) else record.ship_to
        return Customer(
            source=record.source, external_id=external_id,
            modified_at=record.modified_at,
            name=(address.name if address else None)
            or record.customer_name or record.customer_email
            or external_id,
            email=record.customer_email,
            phone=address.phone if address else None,
            company=address.company if address else None,
            address=address,
            raw={'from_order': record.external_id,
                'billTo': record.raw.get('billTo'),
                'shipTo': record.raw.get('shipTo'),
                'customerEmail': record.customer_email})

    @staticmethod
    def _item_from_line(record, line, external_id):
        from ..connectors.records import Item
        return Item(
            source=record.source, external_id=external_id,
            modified_at=record.modified_at, name=line.name,
            sku=line.sku, upc=line.upc, price=line.unit_price,
            currency=record.currency,
            raw={'from_order': record.external_id,
                'line': line.model_dump(mode='json')})

    def components(self):
        "Return the staged records this order needs"
        return ([self.customer] if self.customer else []) + [
            l.item for l in self.lines if l.item] + (
            [self.marketplace] if self.marketplace else [])


class OrderLine(
        staged_line_mixin('commerce.order', 'order', "Order"),
        ModelSQL, ModelView):
    "Staged Order Line"
    __name__ = 'commerce.order.line'

    external_id = fields.Char("External ID", readonly=True)
    item_external_id = fields.Char("Item External ID", readonly=True)
    item = fields.Many2One(
        'commerce.item', "Item", readonly=True, ondelete='RESTRICT')
    sku = fields.Char("SKU", readonly=True)
    name = fields.Char("Name", readonly=True)
    quantity = fields.Numeric("Quantity", readonly=True)
    unit_price = Monetary(
        "Unit Price", currency='currency', digits=(16, 4), readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    adjustment = fields.Boolean("Adjustment", readonly=True)
    product = fields.Function(
        fields.Many2One('product.product', "Product"),
        'on_change_with_product')
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency'), 'get_amount')

    @fields.depends('item')
    def on_change_with_product(self, name=None):
        return self.item.product if self.item else None

    def get_amount(self, name):
        amount = (self.quantity or 0) * (self.unit_price or Decimal(0))
        # A unit price of 4 decimals: shown rounded as Tryton books it
        return self.currency.round(amount) if self.currency else amount

