# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Native documents from approved orders and cash sales: Tryton's own sale
workflow creates the shipment and the invoice; a payment on a clearing
journal pays the invoice."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from ..exceptions import ApprovalError

UNIT_PRICE = Decimal('0.0001')


def balanced(lines):
    """Whether the lines reconcile: in their one second currency (Tryton
    books the exchange difference) or else in the company currency"""
    currencies = {l.second_currency for l in lines}
    if len(currencies) == 1 and None not in currencies:
        return sum(l.amount_second_currency or 0 for l in lines) == 0
    return sum(l.debit - l.credit for l in lines) == 0


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
        shipped = cls.shipped_before(records)
        sales = [cls.build_sale(r, options, r.id in shipped) for r in records]
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
                links += cls.book_fees(records)
        cls.link_documents(links)
        to_write = []
        for record, sale in zip(records, sales):
            to_write.extend(([record], {
                        'sale': sale.id,
                        'state': 'approved',
                        'error_reason': None,
                        }))
        Staged.write(*to_write)
        if options.get('invoice') and options.get('receipt'):
            Refund = pool.get('commerce.cash_sale.refund')
            Refund.book([f for r in records
                    for f in getattr(r, 'refunds', []) if f.bookable])

    @staticmethod
    def _config():
        return Pool().get('commerce.configuration')(1)

    @classmethod
    def shipped_before(cls, records):
        """The ids of the records whose goods an earlier approval shipped
        (a changed order approved again after its credit)"""
        Document = Pool().get('commerce.document')
        documents = Document.search([
                ('source', 'in', [str(r) for r in records]),
                ('kind', '=', 'shipment'),
                ])
        return {d.source.id for d in documents
            if d.document and d.document.state == 'done'}

    @classmethod
    def build_sale(cls, record, options, shipped_before=False):
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
        # Goods shipped once are not shipped again
        sale.shipment_method = ('order'
            if options.get('shipment') and not shipped_before else 'manual')
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
        currency = record.currency
        # Each line is booked rounded: compare what will be booked
        booked = sum(currency.round(
                Decimal(str(l.quantity)) * l.unit_price) for l in lines)
        expected = record.total - cls.source_tax(record)
        return currency.round(expected - booked)

    @staticmethod
    def source_tax(record):
        "The tax the source charged: per order, else the sum per item"
        if record.tax_amount:
            return record.tax_amount
        return sum((l.tax_amount or 0 for l in record.lines), Decimal(0))

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
        links, invoices, cache = [], [], {}
        for record, sale in zip(records, sales):
            for invoice in sale.invoices:
                cls._add_source_tax(record, invoice, cache)
                invoices.append(invoice)
                links.append((record, 'invoice', invoice, None))
        Invoice.save(invoices)
        Invoice.post(invoices)
        return links

    @classmethod
    def _add_source_tax(cls, record, invoice, cache):
        pool = Pool()
        InvoiceTax = pool.get('account.invoice.tax')
        new = []
        base = cls.tax_base(record, invoice)
        for tax, amount in cls.tax_amounts(record, cache):
            new.append(InvoiceTax(
                    manual=True, tax=tax, description=tax.description,
                    account=tax.invoice_account, base=base, amount=amount))
        if new:
            invoice.taxes = list(invoice.taxes) + new

    @classmethod
    def tax_base(cls, record, invoice):
        """The untaxed amount the source charged its tax on: the lines that
        bear tax (not the shipping, tips or service charges beside them),
        or the whole invoice when the source does not tell which"""
        taxed = [l for l in record.lines if l.tax_amount]
        if not taxed or (sum(l.tax_amount for l in taxed)
                != cls.source_tax(record)):
            return invoice.untaxed_amount
        return sum(record.currency.round(cls._net_amount(l)) for l in taxed)

    @staticmethod
    def _net_amount(line):
        "The line's amount before tax and after its discount"
        if line.__name__ == 'commerce.order.line':
            return line.quantity * line.unit_price
        return line.total - line.tax_amount

    @classmethod
    def tax_amounts(cls, record, cache=None):
        """Return [(account.tax, amount)] of the source's tax.

        Each applied tax goes to the tax the rules' `tax` mapping names,
        else to the tax of the same name or rate, else to the configured
        sales tax; a tax found nowhere with an amount is an error."""
        total = cls.source_tax(record)
        applied = [(t.name, t.percentage, t.tax_type, t.amount)
            for t in getattr(record, 'taxes', [])]
        if not applied or sum(a[3] for a in applied) != total:
            applied = [(None, None, None, total)]
        result = {}
        cache = {} if cache is None else cache
        for name, percentage, tax_type, amount in applied:
            if not amount:
                continue
            tax = cls._tax(record, name, percentage, tax_type, cache)
            if not tax:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_tax_not_mapped',
                        record=record.rec_name, tax=name or '',
                        amount=amount))
            result[tax] = result.get(tax, Decimal(0)) + amount
        return list(result.items())

    @classmethod
    def _tax(cls, record, name, percentage, tax_type, cache):
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        taxes = cls._company_taxes(record.store.company, cache)
        key = ('rules', record.store.id)
        if key not in cache:
            cache[key] = Matcher.ruleset(record.store)
        try:
            mapped = cache[key].map('tax', {
                    'name': name, 'percentage': percentage,
                    'tax_type': tax_type, 'source': record.store.type})
        except KeyError:
            mapped = None
        if mapped and mapped.value:
            return taxes['name'].get(str(mapped.value).lower())
        if name and name.lower() in taxes['name']:
            return taxes['name'][name.lower()]
        if percentage is not None:
            rate = (Decimal(percentage) / 100).normalize()
            if rate in taxes['rate']:
                return taxes['rate'][rate]
        return cls._config().sales_tax

    @classmethod
    def _company_taxes(cls, company, cache):
        "The company's taxes by lower name and rate, searched once"
        pool = Pool()
        Tax = pool.get('account.tax')
        if company.id not in cache:
            by_name, by_rate = {}, {}
            for tax in Tax.search([
                        ('company', '=', company.id),
                        ('parent', '=', None),
                        ]):
                by_name.setdefault(tax.name.lower(), tax)
                if tax.type == 'percentage' and tax.rate is not None:
                    by_rate.setdefault(tax.rate.normalize(), tax)
            cache[company.id] = {'name': by_name, 'rate': by_rate}
        return cache[company.id]

    @classmethod
    def pay_invoices(cls, records, sales):
        pool = Pool()
        Payment = pool.get('account.payment')
        Date = pool.get('ir.date')
        links, payments, journals = [], [], {}
        for record, sale in zip(records, sales):
            if not cls.received(record):
                continue
            journal = cls.payment_journal(record, journals)
            for invoice in sale.invoices:
                for line, amount in cls._receipts(record, invoice):
                    payment = Payment(
                        company=invoice.company, journal=journal,
                        kind='receivable', party=invoice.party,
                        currency=invoice.currency, line=line,
                        amount=amount, date=Date.today())
                    payments.append(payment)
                    links.append((record, 'receipt', payment, None))
        cls.process_payments(payments)
        return links

    @staticmethod
    def received(record):
        "The amount the source received"
        if record.__name__ == 'commerce.order':
            return max(record.amount_paid or Decimal(0), Decimal(0))
        if not record.paid:
            return Decimal(0)
        return sum((t.amount for t in record.tenders), Decimal(0)
            ) or record.total

    @classmethod
    def payment_journal(cls, record, journals):
        """The store's payment journal, or the one of the record's currency
        that clears to the same account"""
        pool = Pool()
        Journal = pool.get('account.payment.journal')
        store = record.store
        key = (store.id, record.currency.id)
        if key not in journals:
            journal = store.commerce_payment_journal
            if journal and journal.currency != record.currency:
                found = Journal.search([
                        ('company', '=', store.company.id),
                        ('currency', '=', record.currency.id),
                        ('process_method', '=', journal.process_method),
                        ('clearing_account', '=',
                            journal.clearing_account.id
                            if journal.clearing_account else None),
                        ], limit=1)
                journal = found[0] if found else None
            journals[key] = journal
        if not journals[key]:
            raise ApprovalError(gettext(
                    'cloud_commerce.msg_no_payment_journal_currency',
                    store=store.rec_name, record=record.rec_name,
                    currency=record.currency.code))
        return journals[key]

    @classmethod
    def process_payments(cls, payments):
        "Submit, process and succeed the payments on their clearing journal"
        pool = Pool()
        Payment = pool.get('account.payment')
        Group = pool.get('account.payment.group')
        if not payments:
            return
        Payment.save(payments)
        Payment.submit(payments)
        by_group = {}
        for payment in payments:
            by_group.setdefault(
                (payment.journal, payment.kind), []).append(payment)
        for (journal, kind), group_payments in by_group.items():
            def group():
                group = Group(company=journal.company, journal=journal,
                    kind=kind)
                group.save()
                return group
            Payment.process(group_payments, group)
        Payment.succeed(payments)
        cls._reconcile_split_receipts(payments)

    @classmethod
    def book_fees(cls, records):
        "Book Square's processing fees: fee expense against the clearing"
        fees = [(r, r.processing_fee) for r in records
            if getattr(r, 'processing_fee', None) and r.paid]
        return cls.book_fee_moves(fees)

    @classmethod
    def book_fee_moves(cls, fees):
        """Book each (record, fee) as a move: the fee expense against the
        clearing account, so the clearing balance is what the source pays
        out; a negative fee (refunded) is booked the other way"""
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        Currency = pool.get('currency.currency')
        Date = pool.get('ir.date')
        config = cls._config()
        moves, links, journals = [], [], {}
        for record, fee in fees:
            if not fee:
                continue
            account = config.processing_fee_account
            if not account:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_no_fee_account',
                        record=record.rec_name, amount=fee))
            journal = cls.payment_journal(record, journals)
            company = record.store.company
            date = Date.today()
            with Transaction().set_context(date=date):
                amount = Currency.compute(
                    record.currency, fee, company.currency)
            second = {}
            if record.currency != company.currency:
                second = {'second_currency': record.currency}

            def line(account, sign):
                value = amount * sign
                line = Line(account=account,
                    debit=value if value > 0 else 0,
                    credit=-value if value < 0 else 0)
                if second:
                    line.second_currency = second['second_currency']
                    line.amount_second_currency = fee * sign
                return line
            move = Move(company=company, journal=journal.clearing_journal,
                date=date, period=Period.find(company, date=date),
                origin=None, description=gettext(
                    'cloud_commerce.msg_processing_fee_move',
                    record=record.rec_name),
                lines=[line(account, 1),
                    line(journal.clearing_account, -1)])
            moves.append(move)
            links.append((record, 'fee', move, None))
        if moves:
            Move.save(moves)
            Move.post(moves)
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
            if balanced(lines):
                to_reconcile.append(lines)
        if to_reconcile:
            MoveLine.reconcile(*to_reconcile)

    @classmethod
    def _receipts(cls, record, invoice):
        """Yield (line to pay, amount): one receipt per Square tender, the
        amount the source received at most"""
        received = min(cls.received(record), invoice.total_amount)
        tenders = [t.amount for t in getattr(record, 'tenders', [])]
        split = len(tenders) > 1 and sum(tenders) == invoice.total_amount
        for line in invoice.lines_to_pay:
            if received <= 0:
                break
            due = abs(line.amount_second_currency
                if line.second_currency else line.debit - line.credit)
            if split and due == invoice.total_amount:
                for amount in tenders:
                    yield line, amount
                received = 0
            else:
                amount = min(due, received)
                received -= amount
                yield line, amount

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


