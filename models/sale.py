# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Native documents from approved orders and cash sales: Tryton's own sale
workflow creates the shipment and the invoice; a payment on a clearing
journal pays the invoice."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool, PoolMeta

from ..exceptions import ApprovalError


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + [
            'commerce.order', 'commerce.cash_sale']


class DocumentBuilder(Model):
    "Cloud Commerce Document Builder"
    __name__ = 'commerce.document.builder'

    @classmethod
    def create_documents(cls, records, options):
        "Create the documents of the staged orders or cash sales"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Staged = records[0].__class__
        sales = [cls.build_sale(r, options) for r in records]
        Sale.save(sales)
        Sale.quote(sales)
        Sale.confirm(sales)
        Sale.process(sales)
        links = [(r, 'sale', s, None) for r, s in zip(records, sales)]
        if options.get('shipment'):
            links += cls.ship(records, sales)
        if options.get('invoice'):
            links += cls.post_invoices(records, sales)
            if options.get('receipt'):
                links += cls.pay_invoices(records, sales)
        cls.link_documents(links)
        to_write = []
        for record, sale in zip(records, sales):
            to_write.extend(([record], {
                        'sale': sale.id,
                        'state': 'approved',
                        'error_reason': None,
                        }))
        Staged.write(*to_write)

    @staticmethod
    def _config():
        return Pool().get('commerce.configuration')(1)

    @classmethod
    def build_sale(cls, record, options):
        store = record.store
        party = record.customer.party if record.customer else None
        if not party:
            party = store.guest_party
        if not party:
            raise ApprovalError(gettext(
                    'cloud_commerce.msg_no_customer', record=record.rec_name))
        sale = store.get_sale(party)
        warehouse = cls._warehouse(record)
        if warehouse:
            sale.warehouse = warehouse
        sale.currency = record.currency
        sale.origin = record
        sale.reference = record.number
        sale.sale_date = cls._date(record)
        sale.shipment_method = (
            'order' if options.get('shipment') else 'manual')
        sale.invoice_method = 'order' if options.get('invoice') else 'manual'
        sale.description = record.rec_name
        sale.lines = cls.build_lines(record, sale)
        return sale

    @staticmethod
    def _warehouse(record):
        location = getattr(record, 'marketplace', None) or getattr(
            record, 'location', None)
        if location and location.warehouse:
            return location.warehouse

    @staticmethod
    def _date(record):
        value = getattr(record, 'order_date', None) or getattr(
            record, 'sale_date', None)
        return value.date() if value else None

    @classmethod
    def build_lines(cls, record, sale):
        config = cls._config()
        lines = []
        for line in record.lines:
            adjustment = getattr(line, 'adjustment', False)
            product = (config.discount_product if adjustment
                else line.item.product if line.item else None)
            if not product:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_line_no_product',
                        record=record.rec_name, line=line.name))
            price = getattr(line, 'unit_price', None)
            if price is None:
                price = line.base_price
            lines.append(cls._sale_line(
                    sale, product, line.quantity, price, line.name))
        for name, product_field, amount in cls._extra_amounts(record):
            if amount:
                product = getattr(config, product_field)
                if not product:
                    raise ApprovalError(gettext(
                            'cloud_commerce.msg_no_product_configured',
                            record=record.rec_name, product=name))
                lines.append(cls._sale_line(sale, product, 1, amount, name))
        return lines

    @staticmethod
    def _extra_amounts(record):
        if record.__name__ == 'commerce.order':
            return [("Shipping", 'shipping_product', record.shipping_amount)]
        return [
            ("Discount", 'discount_product', -(record.discount_amount or 0)),
            ("Service Charge", 'service_charge_product',
                record.service_charge_amount),
            ("Tip", 'tip_product', record.tip_amount),
            ]

    @staticmethod
    def _sale_line(sale, product, quantity, unit_price, description):
        pool = Pool()
        Line = pool.get('sale.line')
        line = Line(type='line', sale=sale, product=product,
            quantity=float(quantity))
        line.on_change_product()
        line.unit_price = Decimal(unit_price)
        # The store collected the tax: it is booked as it was charged
        line.taxes = []
        line.description = description
        return line

    @classmethod
    def ship(cls, records, sales):
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        links, shipments = [], []
        for record, sale in zip(records, sales):
            if not record.shipped:
                continue
            for shipment in sale.shipments:
                shipment.reference = getattr(
                    record, 'tracking_number', None)
                shipments.append(shipment)
                links.append((record, 'shipment', shipment,
                        getattr(record, 'carrier', None)))
        if shipments:
            Shipment.save(shipments)
            Shipment.assign_force(shipments)
            Shipment.pick(shipments)
            Shipment.pack(shipments)
            Shipment.ship(shipments)
            Shipment.do(shipments)
        return links

    @classmethod
    def post_invoices(cls, records, sales):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        links, invoices = [], []
        for record, sale in zip(records, sales):
            for invoice in sale.invoices:
                cls._add_source_tax(record, invoice)
                invoices.append(invoice)
                links.append((record, 'invoice', invoice, None))
        Invoice.save(invoices)
        Invoice.post(invoices)
        return links

    @classmethod
    def _add_source_tax(cls, record, invoice):
        pool = Pool()
        InvoiceTax = pool.get('account.invoice.tax')
        amount = record.tax_amount or Decimal(0)
        if not amount:
            return
        tax = cls._config().sales_tax
        if not tax:
            raise ApprovalError(gettext(
                    'cloud_commerce.msg_no_tax_configured',
                    record=record.rec_name, amount=amount))
        invoice.taxes = list(invoice.taxes) + [InvoiceTax(
                manual=True, tax=tax, description=tax.description,
                account=tax.invoice_account,
                base=invoice.untaxed_amount, amount=amount)]

    @classmethod
    def pay_invoices(cls, records, sales):
        pool = Pool()
        Payment = pool.get('account.payment')
        Group = pool.get('account.payment.group')
        Date = pool.get('ir.date')
        links, payments = [], []
        for record, sale in zip(records, sales):
            if not record.paid:
                continue
            journal = record.store.commerce_payment_journal
            if not journal:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_no_payment_journal',
                        store=record.store.rec_name))
            for invoice in sale.invoices:
                for line in invoice.lines_to_pay:
                    payment = Payment(
                        company=invoice.company, journal=journal,
                        kind='receivable', party=invoice.party,
                        currency=invoice.currency, line=line,
                        amount=line.debit - line.credit,
                        date=Date.today())
                    payments.append(payment)
                    links.append((record, 'receipt', payment, None))
        if not payments:
            return links
        Payment.save(payments)
        Payment.submit(payments)
        by_journal = {}
        for payment in payments:
            by_journal.setdefault(payment.journal, []).append(payment)
        for journal, journal_payments in by_journal.items():
            def group():
                group = Group(company=journal.company, journal=journal,
                    kind='receivable')
                group.save()
                return group
            Payment.process(journal_payments, group)
        Payment.succeed(payments)
        return links

    @classmethod
    def link_documents(cls, links):
        pool = Pool()
        Document = pool.get('commerce.document')
        documents = []
        for record, kind, document, carrier in links:
            documents.append(Document(
                    store=record.store, company=record.store.company,
                    source=record, kind=kind, document=document,
                    carrier=carrier,
                    tracking_number=getattr(record, 'tracking_number', None)
                    if kind == 'shipment' else None))
        Document.save(documents)


