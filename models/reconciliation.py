# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The reconciliation report: per store and day, what the source sent, what
is staged, approved and booked, and the records that make a difference.

Both models are SQL views (``table_query``) so the client lists, graphs,
filters and exports them natively."""
from sql import Cast, Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Round
from sql.operators import Concat, Like

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

BOOKED_INVOICE_STATES = ['posted', 'paid']
BOOKABLE_REFUNDS = ['COMPLETED', 'APPROVED']
DIGITS = 4


def _number(column):
    if backend.name == 'sqlite':
        # Decimal is stored as text
        return Cast(column, 'NUMERIC')
    return column


def _sum(expression):
    return Round(Coalesce(Sum(_number(expression)), 0), DIGITS)


class _AmountsMixin:
    __slots__ = ()
    store = fields.Many2One('web.shop', "Store", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    date = fields.Date("Date", readonly=True)
    source_total = Monetary(
        "Source Total", currency='currency', digits='currency',
        readonly=True)
    source_refunded = Monetary(
        "Refunded at Source", currency='currency', digits='currency',
        readonly=True)
    expected = Monetary(
        "Expected Booked", currency='currency', digits='currency',
        readonly=True,
        help="What the books should hold for the approved records: the "
        "source total less its refunds, nothing for a cancelled order.")
    booked = Monetary(
        "Booked", currency='currency', digits='currency', readonly=True,
        help="Posted invoices less posted credit notes, those credited "
        "by hand included.")
    difference = Monetary(
        "Difference", currency='currency', digits='currency', readonly=True)
    expected_received = Monetary(
        "Expected Received", currency='currency', digits='currency',
        readonly=True)
    received = Monetary(
        "Received", currency='currency', digits='currency', readonly=True,
        help="Succeeded receipts less refund payments.")
    received_difference = Monetary(
        "Received Difference", currency='currency', digits='currency',
        readonly=True)


class ReconciliationLine(_AmountsMixin, ModelSQL, ModelView):
    "Cloud Commerce Reconciliation Line"
    __name__ = 'commerce.reconciliation.line'

    source = fields.Reference("Staged Record", selection=[
            ('commerce.order', "Order"),
            ('commerce.cash_sale', "Cash Sale"),
            ], readonly=True)
    number = fields.Char("Number", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('approved', "Approved"),
            ('trashed', "Trashed"),
            ('error', "Error"),
            ], "State", readonly=True)
    source_cancelled = fields.Boolean("Cancelled at Source", readonly=True)
    changed_after_approval = fields.Boolean(
        "Changed after Approval", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('store', 'ASC'), ('id', 'ASC')]

    @property
    def explanation(self):
        "The record and what differs, for the report"
        record = self.source.rec_name if self.source else self.number
        reasons = []
        if self.difference:
            reasons.append(gettext(
                    'cloud_commerce.msg_reconciliation_booked',
                    booked=self.booked, expected=self.expected))
        if self.received_difference:
            reasons.append(gettext(
                    'cloud_commerce.msg_reconciliation_received',
                    received=self.received,
                    expected=self.expected_received))
        if self.source_cancelled:
            reasons.append(gettext(
                    'cloud_commerce.msg_reconciliation_cancelled'))
        return '%s: %s' % (record, '; '.join(reasons))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Order = pool.get('commerce.order')
        CashSale = pool.get('commerce.cash_sale')
        Refund = pool.get('commerce.cash_sale.refund')
        Store = pool.get('web.shop')
        order = Order.__table__()
        cash_sale = CashSale.__table__()
        refund = Refund.__table__()
        store = Store.__table__()
        store2 = Store.__table__()
        booked, received = cls._booked(), cls._received()
        booked2, received2 = cls._booked(), cls._received()

        cancelled = Like(order.payload, '%"orderStatus": "cancelled"%')
        approved = order.state == 'approved'
        order_source = Concat('commerce.order,', order.id)
        order_expected = Case(
            (approved & ~cancelled, _number(order.total)), else_=0)
        order_received = Case(
            (approved & ~cancelled, _number(Coalesce(order.amount_paid, 0))),
            else_=0)
        orders = (order
            .join(store, condition=order.store == store.id)
            .join(booked, 'LEFT', condition=booked.source == order_source)
            .join(received, 'LEFT',
                condition=received.source == order_source)
            .select(
                (order.id * 2).as_('id'),
                order.store.as_('store'),
                store.company.as_('company'),
                order.currency.as_('currency'),
                cls.date.sql_cast(order.order_date).as_('date'),
                order_source.as_('source'),
                order.number.as_('number'),
                order.state.as_('state'),
                cancelled.as_('source_cancelled'),
                order.changed_after_approval.as_('changed_after_approval'),
                _number(Coalesce(order.total, 0)).as_('source_total'),
                Case((cancelled, _number(Coalesce(order.total, 0))),
                    else_=0).as_('source_refunded'),
                order_expected.as_('expected'),
                _number(Coalesce(booked.amount, 0)).as_('booked'),
                order_received.as_('expected_received'),
                _number(Coalesce(received.amount, 0)).as_('received'),
                ))

        refunded = refund.select(
            refund.cash_sale.as_('cash_sale'),
            _sum(refund.amount).as_('amount'),
            where=refund.status.in_(BOOKABLE_REFUNDS),
            group_by=[refund.cash_sale])
        approved = cash_sale.state == 'approved'
        sale_source = Concat('commerce.cash_sale,', cash_sale.id)
        sale_refunded = _number(Coalesce(refunded.amount, 0))
        sale_expected = Case(
            (approved, _number(cash_sale.total) - sale_refunded), else_=0)
        completed = approved & (cash_sale.source_state == 'COMPLETED')
        sales = (cash_sale
            .join(store2, condition=cash_sale.store == store2.id)
            .join(refunded, 'LEFT',
                condition=refunded.cash_sale == cash_sale.id)
            .join(booked2, 'LEFT', condition=booked2.source == sale_source)
            .join(received2, 'LEFT',
                condition=received2.source == sale_source)
            .select(
                (cash_sale.id * 2 + 1).as_('id'),
                cash_sale.store.as_('store'),
                store2.company.as_('company'),
                cash_sale.currency.as_('currency'),
                cls.date.sql_cast(cash_sale.sale_date).as_('date'),
                sale_source.as_('source'),
                cash_sale.number.as_('number'),
                cash_sale.state.as_('state'),
                Literal(False).as_('source_cancelled'),
                cash_sale.changed_after_approval.as_(
                    'changed_after_approval'),
                _number(Coalesce(cash_sale.total, 0)).as_('source_total'),
                sale_refunded.as_('source_refunded'),
                sale_expected.as_('expected'),
                _number(Coalesce(booked2.amount, 0)).as_('booked'),
                Case((completed, _number(cash_sale.total) - sale_refunded),
                    else_=0).as_('expected_received'),
                _number(Coalesce(received2.amount, 0)).as_('received'),
                ))
        union = orders | sales
        union.all_ = True
        return union.select(
            union.id, union.store, union.company, union.currency,
            union.date, union.source, union.number, union.state,
            union.source_cancelled, union.changed_after_approval,
            Round(union.source_total, DIGITS).as_('source_total'),
            Round(union.source_refunded, DIGITS).as_('source_refunded'),
            Round(union.expected, DIGITS).as_('expected'),
            Round(union.booked, DIGITS).as_('booked'),
            Round(union.expected - union.booked, DIGITS).as_('difference'),
            Round(union.expected_received, DIGITS).as_('expected_received'),
            Round(union.received, DIGITS).as_('received'),
            Round(union.expected_received - union.received, DIGITS).as_(
                'received_difference'),
            Literal(0).as_('create_uid'),
            Literal(Null).as_('create_date'),
            Literal(0).as_('write_uid'),
            Literal(Null).as_('write_date'),
            )

    @classmethod
    def _booked(cls):
        """Posted invoices and credit notes per staged record: those the
        approval made, and the credit notes made from them by hand"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice = Invoice.__table__()
        booked = cls._booked_invoices()
        return (booked
            .join(invoice, condition=booked.invoice == invoice.id)
            .select(
                booked.source.as_('source'),
                _sum(invoice.total_amount_cache).as_('amount'),
                where=invoice.state.in_(BOOKED_INVOICE_STATES),
                group_by=[booked.source]))

    @classmethod
    def _booked_invoices(cls):
        "Distinct (source, invoice) of the record's invoices and credits"
        pool = Pool()
        Document = pool.get('commerce.document')
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        document = Document.__table__()
        document2 = Document.__table__()
        invoice = Invoice.__table__()
        line = Line.__table__()
        credit_line = Line.__table__()
        linked = (document
            .join(invoice, condition=document.document == Concat(
                    'account.invoice,', invoice.id))
            .select(
                document.source.as_('source'),
                invoice.id.as_('invoice'),
                where=document.kind.in_(['invoice', 'credit_note'])))
        # Tryton's credit copies each line with the credited line as origin
        credited = (document2
            .join(line, condition=document2.document == Concat(
                    'account.invoice,', line.invoice))
            .join(credit_line, condition=credit_line.origin == Concat(
                    'account.invoice.line,', line.id))
            .select(
                document2.source.as_('source'),
                credit_line.invoice.as_('invoice'),
                where=document2.kind == 'invoice'))
        # UNION (not ALL): the approval's own credit notes are both
        return linked | credited

    @classmethod
    def _received(cls):
        "Succeeded receipts less refund payments per staged record"
        pool = Pool()
        Document = pool.get('commerce.document')
        Payment = pool.get('account.payment')
        document = Document.__table__()
        payment = Payment.__table__()
        return (document
            .join(payment, condition=document.document == Concat(
                    'account.payment,', payment.id))
            .select(
                document.source.as_('source'),
                _sum(Case((payment.kind == 'receivable', payment.amount),
                        else_=-_number(payment.amount))).as_('amount'),
                where=document.kind.in_(['receipt', 'refund'])
                & (payment.state == 'succeeded'),
                group_by=[document.source]))


class Reconciliation(_AmountsMixin, ModelSQL, ModelView):
    "Cloud Commerce Reconciliation"
    __name__ = 'commerce.reconciliation'

    source_count = fields.Integer("Source Records", readonly=True,
        help="Every record the store sent, invalid ones included.")
    pending_count = fields.Integer("Pending", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)
    trashed_count = fields.Integer("Trashed", readonly=True)
    approved_count = fields.Integer("Approved", readonly=True)
    approved_total = Monetary(
        "Approved Total", currency='currency', digits='currency',
        readonly=True)
    difference_count = fields.Integer("Differences", readonly=True)
    differences = fields.Function(
        fields.Text("Records with a Difference"), 'get_differences')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('store', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Line = pool.get('commerce.reconciliation.line')
        line = Line.table_query()

        def count(condition):
            return Count(Case((condition, line.id)))
        differs = (line.difference != 0) | (line.received_difference != 0)
        return line.select(
            Min(line.id).as_('id'),
            line.store, line.company, line.currency, line.date,
            Count(line.id).as_('source_count'),
            count(line.state == 'pending').as_('pending_count'),
            count(line.state == 'error').as_('error_count'),
            count(line.state == 'trashed').as_('trashed_count'),
            count(line.state == 'approved').as_('approved_count'),
            Round(Sum(Case((line.state == 'approved', line.source_total),
                        else_=0)), DIGITS).as_('approved_total'),
            Round(Sum(line.source_total), DIGITS).as_('source_total'),
            Round(Sum(line.source_refunded), DIGITS).as_('source_refunded'),
            Round(Sum(line.expected), DIGITS).as_('expected'),
            Round(Sum(line.booked), DIGITS).as_('booked'),
            Round(Sum(line.difference), DIGITS).as_('difference'),
            Round(Sum(line.expected_received), DIGITS).as_(
                'expected_received'),
            Round(Sum(line.received), DIGITS).as_('received'),
            Round(Sum(line.received_difference), DIGITS).as_(
                'received_difference'),
            count(differs).as_('difference_count'),
            Literal(0).as_('create_uid'),
            Literal(Null).as_('create_date'),
            Literal(0).as_('write_uid'),
            Literal(Null).as_('write_date'),
            group_by=[line.store, line.company, line.currency, line.date])

    @classmethod
    def get_differences(cls, reports, name):
        "Name each record that makes a difference, in one search"
        pool = Pool()
        Line = pool.get('commerce.reconciliation.line')
        result = {r.id: '' for r in reports}
        if not reports:
            return result
        by_key = {(r.store.id, r.currency.id, r.date): r.id for r in reports}
        dates = [r.date for r in reports if r.date]
        domain = [
            ('store', 'in', list({r.store.id for r in reports})),
            ['OR',
                ('difference', '!=', 0),
                ('received_difference', '!=', 0),
                ],
            ]
        if dates:
            domain.append(['OR',
                    [('date', '>=', min(dates)), ('date', '<=', max(dates))],
                    ('date', '=', None)])
        texts = {}
        for line in Line.search(domain):
            key = (line.store.id, line.currency.id if line.currency else None,
                line.date)
            if key in by_key:
                texts.setdefault(by_key[key], []).append(line.explanation)
        for report_id, lines in texts.items():
            result[report_id] = '\n'.join(lines)
        return result


