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

UNIT_PRICE = Decimal('0.0001')


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
            party = store.commerce_walk_in_party
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
            lines.append(cls._sale_line(
                    sale, product, line.quantity, cls._unit_price(line),
                    line.name))
        for name, product_field, amount in cls._extra_amounts(record):
            if amount:
                product = getattr(config, product_field)
                if not product:
                    raise ApprovalError(gettext(
                            'cloud_commerce.msg_no_product_configured',
                            record=record.rec_name, product=name))
                lines.append(cls._sale_line(sale, product, 1, amount, name))
        rounding = cls._rounding(record, lines)
        if rounding:
            # Never a silent difference: a visible rounding line
            lines.append(cls._sale_line(
                    sale, config.discount_product, 1, rounding,
                    gettext('cloud_commerce.msg_rounding_line')))
        return lines

    @staticmethod
    def _unit_price(line):
        "The source's unit price, before tax and discount"
        if line.__name__ == 'commerce.order.line':
            return line.unit_price
        # Square: line total less its tax (additive or inclusive) and
        # before its discount, which has a line of its own
        net = line.total - (line.tax_amount or 0) + (
            line.discount_amount or 0)
        return (net / line.quantity).quantize(UNIT_PRICE)

    @classmethod
    def _rounding(cls, record, lines):
        "The difference between the source and the booked amounts"
        booked = sum(
            Decimal(str(l.quantity)) * l.unit_price for l in lines)
        expected = record.total - (record.tax_amount or 0)
        return record.currency.round(expected - booked)

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
        unit_price = Decimal(unit_price)
        quantity = Decimal(quantity)
        if float(quantity) != product.sale_uom.round(float(quantity)):
            # Sold in fractions of a unit the product does not allow:
            # one line for the whole amount, the quantity kept in its text
            description = f'{quantity} × {description}'
            unit_price = (unit_price * quantity).quantize(UNIT_PRICE)
            quantity = Decimal(1)
        line = Line(type='line', sale=sale, product=product,
            quantity=float(quantity))
        line.on_change_product()
        line.unit_price = unit_price
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
                for line, amount in cls._receipts(record, invoice):
                    payment = Payment(
                        company=invoice.company, journal=journal,
                        kind='receivable', party=invoice.party,
                        currency=invoice.currency, line=line,
                        amount=amount, date=Date.today())
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
        cls._reconcile_split_receipts(payments)
        return links

    @staticmethod
    def _reconcile_split_receipts(payments):
        "Reconcile the lines that several tenders paid together"
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        by_line = {}
        for payment in payments:
            by_line.setdefault(payment.line, []).append(payment)
        to_reconcile = []
        for line, line_payments in by_line.items():
            if len(line_payments) < 2 or line.reconciliation:
                continue
            lines = [line] + [l for p in line_payments
                if p.clearing_move for l in p.clearing_move.lines
                if l.account == line.account and not l.reconciliation]
            if sum(l.debit - l.credit for l in lines) == 0:
                to_reconcile.append(lines)
        if to_reconcile:
            MoveLine.reconcile(*to_reconcile)

    @staticmethod
    def _receipts(record, invoice):
        "Yield (line to pay, amount): one receipt per Square tender"
        for line in invoice.lines_to_pay:
            due = line.debit - line.credit
            tenders = [t.amount for t in getattr(record, 'tenders', [])]
            if len(tenders) > 1 and sum(tenders) == due:
                for amount in tenders:
                    yield line, amount
            else:
                yield line, due

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


