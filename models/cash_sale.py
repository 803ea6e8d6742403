# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

from .staging import StagedDocumentMixin, staged_line_mixin, to_naive_utc


class CashSale(StagedDocumentMixin, ModelSQL, ModelView):
    "Staged Cash Sale"
    __name__ = 'commerce.cash_sale'
    _canonical_kind = 'cash_sale'
    _replaced_lines = ['lines', 'tenders']

    number = fields.Char("Number", readonly=True)
    source_state = fields.Char("Source State", readonly=True)
    sale_date = fields.DateTime("Date", readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", readonly=True)
    location = fields.Many2One(
        'commerce.location', "Location", readonly=True, ondelete='RESTRICT')
    customer = fields.Many2One(
        'commerce.customer', "Customer", readonly=True, ondelete='RESTRICT')
    sales_person = fields.Many2One(
        'commerce.sales_person', "Sales Person", readonly=True,
        ondelete='RESTRICT')
    lines = fields.One2Many(
        'commerce.cash_sale.line', 'cash_sale', "Lines", readonly=True)
    tenders = fields.One2Many(
        'commerce.cash_sale.tender', 'cash_sale', "Tenders", readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    discount_amount = Monetary(
        "Discount", currency='currency', digits='currency', readonly=True)
    service_charge_amount = Monetary(
        "Service Charges", currency='currency', digits='currency',
        readonly=True)
    tip_amount = Monetary(
        "Tip", currency='currency', digits='currency', readonly=True)
    total = Monetary(
        "Total", currency='currency', digits='currency', readonly=True)
    items_summary = fields.Char("Items", readonly=True)
    sale = fields.Many2One('sale.sale', "Sale", readonly=True)

    @property
    def target(self):
        return self.sale

    def get_rec_name(self, name):
        return self.number or self.external_id

    @property
    def shipped(self):
        # Sold over the counter: the goods left with the customer
        return True

    @property
    def paid(self):
        return self.source_state == 'COMPLETED'

    @property
    def processing_fee(self):
        return sum(t.processing_fee or 0 for t in self.tenders)

    def components(self):
        "Return the staged records this cash sale needs"
        return [c for c in [self.customer, self.location, self.sales_person]
            if c] + [l.item for l in self.lines if l.item]

    def required_components(self):
        return [c for c in [self.customer, self.location] if c]

    @classmethod
    def values_from_record(cls, record):
        values = super().values_from_record(record)
        currency = cls.get_currency(record.currency)
        values.update({
                'number': record.external_id[-8:],
                'source_state': record.state,
                'sale_date': to_naive_utc(
                    record.closed_at or record.created_at),
                'currency': currency.id,
                'tax_amount': record.tax_amount,
                'discount_amount': record.discount_amount,
                'service_charge_amount': record.service_charge_amount,
                'tip_amount': record.tip_amount,
                'total': record.total,
                'lines': [('create', [{
                                'external_id': l.external_id,
                                'item_external_id': l.item_external_id,
                                'name': l.name,
                                'quantity': l.quantity,
                                'base_price': l.base_price,
                                'tax_amount': l.tax_amount,
                                'discount_amount': l.discount_amount,
                                'total': l.total,
                                } for l in record.lines])],
                'tenders': [('create', [{
                                'external_id': t.external_id,
                                'tender_type': t.tender_type,
                                'amount': t.amount,
                                'tip': t.tip,
                                'processing_fee': t.processing_fee,
                                } for t in record.tenders])],
                })
        return values

    @classmethod
    def stage(cls, store, records, failures=()):
        counts = super().stage(store, records, failures)
        cls.link_components(store, records)
        return counts

    @classmethod
    def link_components(cls, store, records):
        "Link the staged cash sales to their staged components"
        pool = Pool()
        Customer = pool.get('commerce.customer')
        Item = pool.get('commerce.item')
        Location = pool.get('commerce.location')
        SalesPerson = pool.get('commerce.sales_person')
        Line = pool.get('commerce.cash_sale.line')
        by_id = {r.external_id: r for r in records}
        sales = [s for s in cls.search_by_external_ids(
                store, by_id).values() if s.state == 'pending']
        sources = [by_id[s.external_id] for s in sales]
        customers = Customer.search_by_external_ids(
            store, {r.customer_external_id for r in sources} - {None})
        locations = Location.search_by_external_ids(
            store, {r.location_external_id for r in sources})
        people = SalesPerson.search_by_external_ids(
            store, {r.sales_person_external_id for r in sources} - {None})
        lines = [l for s in sales for l in s.lines]
        items = Item.search_by_external_ids(
            store, {l.item_external_id for l in lines} - {None})

        def id_of(mapping, key):
            return mapping[key].id if key in mapping else None
        to_write = []
        for sale, source in zip(sales, sources):
            to_write.extend(([sale], {
                        'customer': id_of(
                            customers, source.customer_external_id),
                        'location': id_of(
                            locations, source.location_external_id),
                        'sales_person': id_of(
                            people, source.sales_person_external_id),
                        }))
        if to_write:
            cls.write(*to_write)
        line_writes = []
        for line in lines:
            if line.item_external_id in items:
                line_writes.extend(
                    ([line], {'item': items[line.item_external_id].id}))
        if line_writes:
            Line.write(*line_writes)


class CashSaleLine(
        staged_line_mixin('commerce.cash_sale', 'cash_sale', "Cash Sale"),
        ModelSQL, ModelView):
    "Staged Cash Sale Line"
    __name__ = 'commerce.cash_sale.line'

    external_id = fields.Char("External ID", readonly=True)
    item_external_id = fields.Char("Item External ID", readonly=True)
    item = fields.Many2One(
        'commerce.item', "Item", readonly=True, ondelete='RESTRICT')
    name = fields.Char("Name", readonly=True)
    quantity = fields.Numeric("Quantity", readonly=True)
    base_price = Monetary(
        "Base Price", currency='currency', digits='currency', readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    discount_amount = Monetary(
        "Discount", currency='currency', digits='currency', readonly=True)
    total = Monetary(
        "Total", currency='currency', digits='currency', readonly=True)

    @property
    def sku(self):
        return self.item.sku if self.item else None


class CashSaleTender(
        staged_line_mixin('commerce.cash_sale', 'cash_sale', "Cash Sale"),
        ModelSQL, ModelView):
    "Staged Cash Sale Tender"
    __name__ = 'commerce.cash_sale.tender'

    external_id = fields.Char("Payment ID", readonly=True)
    tender_type = fields.Char("Type", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True,
        help="Including the tip.")
    tip = Monetary("Tip", currency='currency', digits='currency',
        readonly=True)
    processing_fee = Monetary(
        "Processing Fee", currency='currency', digits='currency',
        readonly=True)
