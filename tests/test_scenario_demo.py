# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The demo's data, made by the demo's own steps: both sandboxes with the
demo's seed, the company and its books, both stores synchronized and their
history approved through the wizard.  The reconciliation report shows no
difference; a credit note made by hand on one synchronized invoice is
named by it (proteus, real ORM)."""
import datetime as dt
import types
from decimal import Decimal

import pytest
from proteus import Model, Wizard

from trytond.modules.cloud_commerce.demo import build, company, serve, stores
from trytond.modules.cloud_commerce.sandbox import shipstation, square
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.tests.test_tryton import drop_db
from trytond.tests.tools import activate_modules

# The demo connects Square through its OAuth login page, which needs
# trytond serving HTTP; here the sandbox issues the token beforehand
SQUARE_TOKEN = 'sandbox-demo-token'


@pytest.fixture(scope='module')
def sandboxes():
    options = {'seed': company.SEED, 'orders': serve.SANDBOX_ORDERS}
    shipstation_url, stop_shipstation = serve_in_thread(shipstation.make_app(
            api_key=stores.SHIPSTATION_KEY,
            api_secret=stores.SHIPSTATION_SECRET, rate_limit=100000,
            **options))
    square_url, stop_square = serve_in_thread(square.make_app(
            access_token=SQUARE_TOKEN, **options))
    yield types.SimpleNamespace(
        shipstation=shipstation_url, square=square_url)
    stop_square()
    stop_shipstation()


@pytest.fixture(scope='module')
def demo(sandboxes):
    config = activate_modules('cloud_commerce')
    demo = build.fill(config, log=lambda *args: None)
    web, _ = stores.find_or_create_store(config, 'shipstation',
        stores.SHIPSTATION_NAME, sandboxes.shipstation,
        shipstation_api_key=stores.SHIPSTATION_KEY,
        shipstation_api_secret=stores.SHIPSTATION_SECRET)
    counter, _ = stores.find_or_create_store(config, 'square',
        stores.SQUARE_NAME, sandboxes.square,
        square_access_token=SQUARE_TOKEN)
    for store in [web, counter]:
        store.click('commerce_refresh')
    demo.messages = []
    demo.failures = stores.approve_history(config, log=demo.messages.append)
    demo.web, demo.counter = web, counter
    yield demo
    # Close the pooled connections so the next scenario can restore its db
    drop_db()


def _approved(model):
    return Model.get(model).find([('state', '=', 'approved')])


def _invoices(record):
    Document = Model.get('commerce.document')
    return [d.document for d in Document.find([
                ('source', '=', f'{record.__class__.__name__},{record.id}'),
                ('kind', 'in', ['invoice', 'credit_note']),
                ])]


def test_history_approved_recent_left_for_review(demo):
    assert demo.failures == {}
    for model, date_field in stores.DOCUMENTS:
        Staged = Model.get(model)
        approved = Staged.find([('state', '=', 'approved')])
        pending = Staged.find([('state', '=', 'pending')])
        assert approved and pending, model
        for store in {r.store for r in approved}:
            last = max(getattr(r, date_field)
                for r in Staged.find([('store', '=', store.id)]))
            history_end = last - dt.timedelta(days=stores.HISTORY_DAYS)
            assert all(getattr(r, date_field) < history_end
                for r in approved if r.store == store)
            assert any(getattr(r, date_field) >= history_end
                for r in pending if r.store == store)
    # The demo's foreign currency is booked, not kept as an error
    CashSale = Model.get('commerce.cash_sale')
    assert CashSale.find([
            ('state', '=', 'approved'), ('currency.code', '=', 'JPY')])
    assert not CashSale.find([('state', '=', 'error')])


def test_every_approved_record_booked_to_the_cent(demo):
    for model in ['commerce.order', 'commerce.cash_sale']:
        for record in _approved(model):
            invoices = _invoices(record)
            assert invoices, record.number
            assert all(i.state in {'posted', 'paid'} for i in invoices)
            refunded = sum((r.amount for r in getattr(record, 'refunds', [])
                    if r.status in {'COMPLETED', 'APPROVED'}), Decimal(0))
            assert sum(i.total_amount for i in invoices) == (
                record.total - refunded), record.number


def test_reconciliation_shows_no_difference(demo):
    Report = Model.get('commerce.reconciliation')
    Line = Model.get('commerce.reconciliation.line')
    reports = Report.find([])
    assert {(r.store.id, r.currency.code) for r in reports
        if r.approved_count} == {
        (demo.web.id, 'USD'), (demo.counter.id, 'USD'),
        (demo.counter.id, 'JPY')}
    assert sum(r.approved_count for r in reports) == (
        len(_approved('commerce.order'))
        + len(_approved('commerce.cash_sale')))
    assert not Line.find(['OR',
            ('difference', '!=', 0), ('received_difference', '!=', 0)])
    for report in reports:
        assert report.difference_count == 0
        assert report.difference == report.received_difference == 0
        assert report.booked == report.expected
        assert not report.differences
    # What the summary of the demo prints
    totals = stores.reconciliation(demo.config)
    assert all(t['differing'] == 0 and t['difference'] == 0
        for t in totals.values())
    assert sum(t['booked'] for (_, code), t in totals.items()
        if code == 'USD') == sum(r.booked for r in reports
        if r.currency.code == 'USD') > 0


def test_credit_by_hand_is_named(demo):
    "An accountant credits one synchronized invoice outside the approval"
    Order = Model.get('commerce.order')
    Invoice = Model.get('account.invoice')
    Line = Model.get('commerce.reconciliation.line')
    Report = Model.get('commerce.reconciliation')
    order = Order.find([('state', '=', 'approved')], limit=1)[0]
    invoice, = _invoices(order)
    credit = Wizard('account.invoice.credit', [invoice])
    credit.form.with_refund = False
    credit.execute('credit')
    credit_note, = Invoice.find([('type', '=', 'out'),
            ('lines.origin', '=', f'account.invoice.line,'
                f'{invoice.lines[0].id}')])
    credit_note.invoice_date = invoice.invoice_date
    credit_note.click('post')

    line, = Line.find([('difference', '!=', 0)])
    assert line.source == order
    assert line.booked == 0
    assert line.difference == invoice.total_amount
    report, = Report.find([('difference_count', '>', 0)])
    assert report.store == demo.web
    assert report.date == line.date
    assert order.number in report.differences
