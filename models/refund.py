# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Refunds and cancellations: what the store gave back after approval
becomes a credit note and a refund payment; the original documents are
never rewritten."""
import json
import types
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from ..connectors.errors import ValidationError
from ..connectors.shipstation import order_from_raw
from ..exceptions import ApprovalError, StagingValueError
from .sale import balanced
from .staging import staged_line_mixin

BOOKABLE = {'COMPLETED', 'APPROVED'}


class Document(metaclass=PoolMeta):
    __name__ = 'commerce.document'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for kind in [
                ('credit_note', "Credit Note"),
                ('refund', "Refund Payment"),
                ('fee', "Processing Fee"),
                ]:
            if kind not in cls.kind.selection:
                cls.kind.selection.append(kind)
        move = ('account.move', "Account Move")
        if move not in cls.document.selection:
            cls.document.selection.append(move)


class CashSale(metaclass=PoolMeta):
    __name__ = 'commerce.cash_sale'

    taxes = fields.One2Many(
        'commerce.cash_sale.tax', 'cash_sale', "Taxes", readonly=True)
    refunds = fields.One2Many(
        'commerce.cash_sale.refund', 'cash_sale', "Refunds", readonly=True)
    refunds_to_book = fields.Function(
        fields.Boolean("Refunds to Book"), 'get_refunds_to_book')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._replaced_lines = cls._replaced_lines + ['taxes', 'refunds']
        cls._buttons.update({
                'book_refunds': {
                    'invisible': ((Eval('state') != 'approved')
                        | ~Eval('refunds_to_book')),
                    'depends': ['state', 'refunds_to_book'],
                    },
                })

    def get_refunds_to_book(self, name):
        return any(r.bookable for r in self.refunds)

    @classmethod
    def values_from_record(cls, record):
        values = super().values_from_record(record)
        values['taxes'] = [('create', [{
                        'name': t.name,
                        'tax_type': t.tax_type,
                        'percentage': t.percentage,
                        'amount': t.amount,
                        } for t in record.taxes])]
        values['refunds'] = [('create', [
                    CashSaleRefund.values(r) for r in record.refunds])]
        return values

    @classmethod
    def _update_values(cls, record, new):
        values = super()._update_values(record, new)
        if record.state == 'approved' and 'refunds' in new:
            # The sale stays as booked; its refunds are staged to be
            # credited
            values['refunds'] = CashSaleRefund.merge(
                record.refunds, new['refunds'])
        return values

    @property
    def refunded(self):
        return sum((r.amount for r in self.refunds
                if r.status in BOOKABLE), Decimal(0))

    @classmethod
    @ModelView.button
    def book_refunds(cls, sales):
        pool = Pool()
        Refund = pool.get('commerce.cash_sale.refund')
        Refund.book([r for s in sales if s.state == 'approved'
                for r in s.refunds if r.bookable])


class CashSaleTax(
        staged_line_mixin('commerce.cash_sale', 'cash_sale', "Cash Sale"),
        ModelSQL, ModelView):
    "Staged Cash Sale Tax"
    __name__ = 'commerce.cash_sale.tax'

    name = fields.Char("Name", readonly=True)
    tax_type = fields.Selection([
            ('ADDITIVE', "Additive"),
            ('INCLUSIVE', "Inclusive"),
            ], "Type", readonly=True)
    percentage = fields.Numeric("Percentage", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)


class CashSaleRefund(
        staged_line_mixin('commerce.cash_sale', 'cash_sale', "Cash Sale"),
        ModelSQL, ModelView):
    "Staged Cash Sale Refund"
    __name__ = 'commerce.cash_sale.refund'

    external_id = fields.Char("Refund ID", readonly=True)
    payment_external_id = fields.Char("Payment ID", readonly=True)
    status = fields.Char("Status", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    processing_fee = Monetary(
        "Processing Fee", currency='currency', digits='currency',
        readonly=True, help="Negative when the store gave the fee back.")
    reason = fields.Char("Reason", readonly=True)
    refund_date = fields.DateTime("Date", readonly=True)
    credit_note = fields.Many2One(
        'account.invoice', "Credit Note", readonly=True)
    payment = fields.Many2One(
        'account.payment', "Refund Payment", readonly=True)

    @staticmethod
    def values(refund):
        created = refund.created_at
        if created is not None and created.tzinfo is not None:
            from .staging import to_naive_utc
            created = to_naive_utc(created)
        return {
            'external_id': refund.external_id,
            'payment_external_id': refund.payment_external_id,
            'status': refund.status,
            'amount': refund.amount,
            'processing_fee': refund.processing_fee,
            'reason': refund.reason,
            'refund_date': created,
            }

    @staticmethod
    def merge(existing, actions):
        "Return the actions that add the new refunds and update the others"
        by_id = {r.external_id: r for r in existing}
        create, result = [], []
        for action, values_list in actions:
            for values in values_list:
                refund = by_id.get(values['external_id'])
                if refund is None:
                    create.append(values)
                elif not refund.credit_note and (
                        refund.status != values['status']
                        or refund.amount != values['amount']
                        or refund.processing_fee
                        != values['processing_fee']):
                    result.append(('write', [refund.id], {
                                'status': values['status'],
                                'amount': values['amount'],
                                'processing_fee': values['processing_fee'],
                                }))
        if create:
            result.append(('create', create))
        return result

    @property
    def bookable(self):
        return (self.status in BOOKABLE and not self.credit_note
            and bool(self.amount)
            and self.cash_sale.state == 'approved'
            and bool(self.cash_sale.sale))

    @classmethod
    def book(cls, refunds):
        """Book each refund as a posted credit note of the sale's invoice
        and a refund payment on the clearing journal"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Builder = pool.get('commerce.document.builder')
        refunds = [r for r in cls.browse(refunds) if r.bookable]
        if not refunds:
            return
        credits, links = [], []
        for refund in refunds:
            sale = refund.cash_sale
            invoice = _booked_invoice(sale)
            if not invoice:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_refund_no_invoice',
                        record=sale.rec_name, refund=refund.external_id))
            credits.append(_credit_note(invoice, refund.amount,
                    gettext('cloud_commerce.msg_refund_line',
                        refund=refund.external_id,
                        reason=refund.reason or '')))
            links.append((sale, 'credit_note', credits[-1], None))
        Invoice.save(credits)
        Invoice.post(credits)
        payments = []
        for refund, credit in zip(refunds, credits):
            if Builder.received(refund.cash_sale):
                payments.append(_refund_payment(
                        refund.cash_sale, credit, refund.amount))
                links.append((refund.cash_sale, 'refund', payments[-1], None))
            else:
                payments.append(None)
        Builder.process_payments([p for p in payments if p])
        links += Builder.book_fee_moves(
            [(r.cash_sale, r.processing_fee) for r in refunds
                if r.processing_fee and Builder.received(r.cash_sale)])
        to_write = []
        for refund, credit, payment in zip(refunds, credits, payments):
            to_write.extend(([refund], {
                        'credit_note': credit.id,
                        'payment': payment.id if payment else None,
                        }))
        cls.write(*to_write)
        _reconcile_open([c for c in credits])
        Builder.link_documents(links)


class Order(metaclass=PoolMeta):
    __name__ = 'commerce.order'

    credited = fields.Boolean(
        "Credited", readonly=True,
        help="What was booked for this order was credited after the store "
        "cancelled it (a changed order goes back to review instead).")
    source_cancelled = fields.Function(
        fields.Boolean("Cancelled at the Source"), 'get_source_cancelled')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'credit': {
                    'invisible': ((Eval('state') != 'approved')
                        | Eval('credited', False)
                        | ~Eval('changed_after_approval', False)),
                    'depends': ['state', 'credited',
                        'changed_after_approval'],
                    },
                })

    @classmethod
    def default_credited(cls):
        return False

    def get_source_cancelled(self, name):
        try:
            return json.loads(self.payload or '{}').get(
                'orderStatus') == 'cancelled'
        except (ValueError, AttributeError):
            return False

    @classmethod
    @ModelView.button
    def credit(cls, orders):
        """Credit the posted invoices of the orders, refund what was
        received and cancel the shipments not yet done"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Shipment = pool.get('stock.shipment.out')
        Builder = pool.get('commerce.document.builder')
        Document = pool.get('commerce.document')
        orders = [o for o in orders
            if o.state == 'approved' and not o.credited and o.sale]
        if not orders:
            return
        documents = Document.search([
                ('source', 'in', [str(o) for o in orders]),
                ('kind', 'in', ['receipt', 'refund']),
                ])
        received = {}
        for document in documents:
            payment = document.document
            if payment.state != 'succeeded':
                continue
            sign = 1 if document.kind == 'receipt' else -1
            key = (document.source.id, payment.line.move_origin
                if payment.line else None)
            received[key] = received.get(key, Decimal(0)) + (
                sign * payment.amount)
        credits, links, pairs, to_cancel = [], [], [], []
        for order in orders:
            for invoice in order.sale.invoices:
                if invoice.state not in {'posted', 'paid'} or (
                        invoice.total_amount <= 0):
                    continue
                credit = _credit_note(invoice, invoice.total_amount, None)
                credits.append(credit)
                pairs.append((order, invoice, credit))
                links.append((order, 'credit_note', credit, None))
            to_cancel += [s for s in order.sale.shipments
                if s.state not in {'done', 'cancelled'}]
        Invoice.save(credits)
        Invoice.post(credits)
        payments = []
        for order, invoice, credit in pairs:
            amount = received.get((order.id, invoice), Decimal(0))
            if amount > 0:
                payments.append(_refund_payment(order, credit, amount))
                links.append((order, 'refund', payments[-1], None))
        Builder.process_payments(payments)
        _reconcile_open(credits, [i for _, i, _ in pairs])
        if to_cancel:
            Shipment.cancel(to_cancel)
        Builder.link_documents(links)
        cls.write(orders, {
                'credited': True,
                'changed_after_approval': False,
                })
        # A changed order's new version goes back to review
        cls.restage(cls.browse([o for o in orders if not o.source_cancelled]))

    @classmethod
    def restage(cls, orders):
        """Stage again the version the store sent last (kept in the payload)
        to be reviewed and approved anew; the credited version's documents
        stay linked to the order"""
        to_write, by_store = [], {}
        for order in orders:
            # What the shipments told, which the order's payload does not hold
            shipped = types.SimpleNamespace(carrier=order.carrier,
                service=order.service, tracking_number=order.tracking_number,
                ship_date=order.ship_date)
            try:
                record = order_from_raw(
                    json.loads(order.payload, parse_float=Decimal),
                    order.currency.code, shipped)
                values = cls._replace_lines(
                    order, cls.values_from_record(record))
            except (ValidationError, StagingValueError) as error:
                to_write.extend(([order], {
                            'state': 'error', 'error_reason': str(error),
                            'sale': None, 'credited': False}))
                continue
            values.update(state='pending', error_reason=None, sale=None,
                credited=False)
            to_write.extend(([order], values))
            by_store.setdefault(order.store, []).append(record)
        if to_write:
            cls.write(*to_write)
        for store, records in by_store.items():
            cls.link_components(store, records)
        cls.match(cls.browse(orders))


def _booked_invoice(record):
    invoices = [i for i in record.sale.invoices
        if i.state in {'posted', 'paid'} and i.total_amount > 0]
    return invoices[0] if invoices else None


def _credit_note(invoice, amount, description):
    """A credit note of amount: the whole invoice credited line by line, or
    one line and the tax in proportion for a part"""
    pool = Pool()
    InvoiceTax = pool.get('account.invoice.tax')
    credit = invoice._credit()
    if amount == invoice.total_amount:
        return credit
    currency = invoice.currency
    total = invoice.total_amount
    taxes = [t for t in invoice.taxes if t.manual and t.amount]
    new_taxes, tax_total = [], Decimal(0)
    for tax in taxes:
        tax_amount = currency.round(amount * tax.amount / total)
        tax_total += tax_amount
        new_taxes.append((tax, tax_amount))
    untaxed = amount - tax_total
    line = next(l for l in invoice.lines if l.type == 'line')._credit()
    line.product = None
    if hasattr(line, 'stock_moves'):
        line.stock_moves = []
    line.quantity = -1
    line.unit_price = untaxed
    line.taxes = []
    line.description = description
    credit.lines = [line]
    credit.taxes = [InvoiceTax(manual=True, tax=t.tax,
            description=t.description, account=t.tax.credit_note_account
            if t.tax else t.account, base=-untaxed, amount=-a)
        for t, a in new_taxes]
    return credit


def _refund_payment(record, credit, amount):
    pool = Pool()
    Payment = pool.get('account.payment')
    Date = pool.get('ir.date')
    Builder = pool.get('commerce.document.builder')
    line, = credit.lines_to_pay
    return Payment(
        company=credit.company, journal=Builder.payment_journal(record, {}),
        kind='payable', party=credit.party, currency=credit.currency,
        line=line, amount=amount, date=Date.today())


def _reconcile_open(credits, invoices=()):
    """Reconcile the open receivable lines of the credit notes with those of
    their invoices, and their payments, when they balance"""
    pool = Pool()
    MoveLine = pool.get('account.move.line')
    Invoice = pool.get('account.invoice')
    credits = Invoice.browse(credits)
    invoices = Invoice.browse(list(invoices)) or [None] * len(credits)
    to_reconcile = []
    for credit, invoice in zip(credits, invoices):
        lines = []
        for document in [credit, invoice]:
            if not document or not document.move:
                continue
            account = document.account
            for line in document.move.lines:
                if line.account != account:
                    continue
                if not line.reconciliation:
                    lines.append(line)
                for payment in line.payments:
                    if payment.clearing_move:
                        lines += [l for l in payment.clearing_move.lines
                            if l.account == account
                            and not l.reconciliation]
        lines = list({l.id: l for l in lines}.values())
        if lines and balanced(lines):
            to_reconcile.append(lines)
    if to_reconcile:
        MoveLine.reconcile(*to_reconcile)
