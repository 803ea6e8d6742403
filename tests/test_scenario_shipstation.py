# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""One ShipStation store from the sandbox through staging, matching and
approval to paid invoices, on the real ORM (proteus)."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from proteus import Model, Wizard

from trytond import backend
from trytond.modules.account.tests.tools import create_chart
from trytond.modules.cloud_commerce.sandbox.fixtures import (
    demo_company_overlap,
)
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.shipstation import make_app
from trytond.modules.cloud_commerce.tests.tools import (
    create_product,
    create_store,
    setup_accounting,
)
from trytond.modules.company.tests.tools import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

SEED = 7


@pytest.fixture(scope='module')
def sandbox_app():
    return make_app(seed=SEED, orders=80, rate_limit=100000)


@pytest.fixture(scope='module')
def sandbox(sandbox_app):
    url, stop = serve_in_thread(sandbox_app)
    yield url
    stop()


def list_calls(app):
    return {k: v for (g, k), v in app.stats.items() if g == 'path'}


@pytest.fixture(scope='module')
def scenario(sandbox):
    config = activate_modules('cloud_commerce', create_company, create_chart)
    setup = setup_accounting(config)
    overlap = demo_company_overlap(SEED)
    for product in overlap.products:
        create_product(product.name, product.sku, product.price, setup)
    store = create_store('shipstation', "Web Store", sandbox, setup,
        shipstation_api_key='key', shipstation_api_secret='secret')
    store.click('commerce_refresh')
    yield {'config': config, 'setup': setup, 'store': store,
        'overlap': overlap}
    # Close the pooled connections so the next scenario can restore its db
    drop_db()


def test_refresh_stages_every_kind(scenario):
    store = scenario['store']
    store.reload()
    assert store.commerce_status == 'online'
    assert store.commerce_last_sync
    for model in ['commerce.customer', 'commerce.item',
            'commerce.location', 'commerce.order']:
        Staged = Model.get(model)
        assert Staged.find([('store', '=', store.id)]), model
    Order = Model.get('commerce.order')
    for order in Order.find([('store', '=', store.id)]):
        assert order.customer, order.number
        assert all(l.item for l in order.lines if not l.adjustment), (
            order.number)
    Log = Model.get('commerce.sync.log')
    log, = Log.find([('store', '=', store.id)])
    assert log.fetched >= log.created > 0
    assert not log.error


def test_refresh_twice_stages_nothing_twice(scenario, sandbox_app):
    store = scenario['store']
    Order = Model.get('commerce.order')
    before = len(Order.find([('store', '=', store.id)]))
    calls_before = list_calls(sandbox_app)
    store.click('commerce_refresh')
    calls = {path: count - calls_before.get(path, 0)
        for path, count in list_calls(sandbox_app).items()}
    # One list call per kind: the unchanged lists fit one page and the
    # incremental orders window is empty
    assert calls and all(count <= 1 for count in calls.values()), calls
    assert len(Order.find([('store', '=', store.id)])) == before
    Log = Model.get('commerce.sync.log')
    last = Log.find([('store', '=', store.id)], order=[('id', 'DESC')])[0]
    assert (last.created, last.updated, last.failed) == (0, 0, 0)


def test_known_products_match_by_sku(scenario):
    Item = Model.get('commerce.item')
    skus = {p.sku for p in scenario['overlap'].products}
    items = Item.find([('store', '=', scenario['store'].id)])
    known = [i for i in items if i.sku in skus]
    assert known
    for item in known:
        assert item.match_state == 'matched', item.match_explanation
        assert item.action == 'match'
        assert item.product.code == item.sku
        assert item.match_explanation


def test_approve_orders_creates_paid_invoices(scenario):
    store = scenario['store']
    Order = Model.get('commerce.order')
    orders = Order.find([
            ('store', '=', store.id),
            ('state', '=', 'pending'),
            ('ready', '=', True),
            ], order=[('id', 'ASC')])[:50]
    assert len(orders) == 50
    approve = Wizard('commerce.approve', orders)
    assert approve.form.create_sale
    assert approve.form.create_shipment  # ShipStation pulls shipped orders
    approve.execute('approve')
    assert approve.form.failed == 0, approve.form.failures
    assert approve.form.approved == len(orders)

    for order in Order.find([('id', 'in', [o.id for o in orders])]):
        assert order.state == 'approved'
        sale = order.sale
        assert sale.origin == order
        assert sale.state in {'processing', 'done'}
        invoice, = sale.invoices
        assert invoice.state in {'posted', 'paid'}
        assert invoice.total_amount == order.total, order.number
        if order.amount_paid >= order.total:
            assert invoice.state == 'paid', order.number
        shipment, = sale.shipments
        assert shipment.state == 'done'
        assert shipment.reference == order.tracking_number

    Approval = Model.get('commerce.approval')
    approval, = Approval.find([('store', '=', store.id)])
    assert approval.approved == len(orders)
    # The locks are declared when each chunk starts: no restart
    assert approval.restarts <= approval.chunks
    kinds = {d.kind for d in approval.documents}
    assert {'sale', 'invoice', 'shipment'} <= kinds


def test_approving_again_creates_nothing(scenario):
    store = scenario['store']
    Order = Model.get('commerce.order')
    Sale = Model.get('sale.sale')
    Document = Model.get('commerce.document')
    approved = Order.find([
            ('store', '=', store.id), ('state', '=', 'approved')])
    sales, documents = len(Sale.find([])), len(Document.find([]))
    approve = Wizard('commerce.approve', approved)
    approve.execute('approve')
    assert approve.form.approved == 0
    assert len(Sale.find([])) == sales
    assert len(Document.find([])) == documents


def test_decimal_money(scenario):
    Order = Model.get('commerce.order')
    order = Order.find([('store', '=', scenario['store'].id)])[0]
    assert isinstance(order.total, Decimal)


def test_mixed_options_and_one_failure(scenario):
    "Unticked boxes create nothing; a failing order leaves nothing behind"
    store = scenario['store']
    Order = Model.get('commerce.order')
    orders = Order.find([
            ('store', '=', store.id),
            ('state', '=', 'pending'),
            ('ready', '=', True),
            ], order=[('id', 'ASC')])[:-3]  # 3 left for concurrency
    assert len(orders) >= 3
    # Link the customer of one order to the store's guest party, which
    # Tryton refuses to invoice: that order must fail alone
    orders_of_customer = {}
    for order in orders:
        if order.customer.state == 'pending':
            orders_of_customer.setdefault(order.customer.id, []).append(
                order.id)
    customer_id, (broken_id,) = next(
        (c, o) for c, o in orders_of_customer.items() if len(o) == 1)
    Party = Model.get('party.party')
    guest = Party(name="Guest")
    guest.save()
    store.guest_party = guest
    store.save()
    Customer = Model.get('commerce.customer')
    link = Wizard('commerce.link', [Customer(customer_id)])
    link.form.party = guest
    link.execute('link')

    approve = Wizard('commerce.approve', orders)
    approve.form.create_shipment = False
    approve.form.create_receipt = False
    approve.execute('approve')
    assert approve.form.failed == 1
    assert approve.form.approved == len(orders) - 1
    broken = Order(broken_id)
    assert broken.state == 'error'
    assert broken.error_reason
    assert broken.error_reason in approve.form.failures
    Sale = Model.get('sale.sale')
    assert not Sale.find([('origin', '=', 'commerce.order,%s' % broken.id)])
    Document = Model.get('commerce.document')
    assert not Document.find(
        [('source', '=', 'commerce.order,%s' % broken.id)])

    for order in Order.find([
                ('id', 'in', [o.id for o in orders if o.id != broken_id])]):
        assert order.state == 'approved'
        assert not order.sale.shipments
        invoice, = order.sale.invoices
        assert invoice.state == 'posted'
        assert invoice.total_amount == order.total
        kinds = {d.kind for d in Document.find(
                [('source', '=', 'commerce.order,%s' % order.id)])}
        assert kinds == {'sale', 'invoice'}


@pytest.mark.skipif(backend.name != 'postgresql',
    reason="one SQLite :memory: connection cannot be shared by threads; "
    "make test runs this on PostgreSQL")
def test_concurrent_approvals_create_nothing_twice(scenario):
    store = scenario['store']
    Order = Model.get('commerce.order')
    ids = [o.id for o in Order.find([
                ('store', '=', store.id),
                ('state', '=', 'pending'),
                ('ready', '=', True),
                ])]
    assert len(ids) >= 3
    company = scenario['setup']['company'].id
    options = {'sale': True, 'shipment': True, 'invoice': True,
        'receipt': True}
    barrier = threading.Barrier(2)
    errors = []

    def approve():
        try:
            with Transaction().start(DB_NAME, 1, context={
                        'company': company, 'companies': [company]}):
                barrier.wait()
                Pool().get('commerce.approver').approve(
                    'commerce.order', ids, options)
        except Exception as exception:
            errors.append(exception)
    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors

    Sale = Model.get('sale.sale')
    Document = Model.get('commerce.document')
    for order_id in ids:
        origin = 'commerce.order,%s' % order_id
        assert len(Sale.find([('origin', '=', origin)])) <= 1
        documents = Document.find([('source', '=', origin)])
        kinds = [d.kind for d in documents]
        assert kinds.count('sale') <= 1
        assert kinds.count('invoice') <= 1
    approved = Order.find([('id', 'in', ids), ('state', '=', 'approved')])
    assert len(approved) == len(ids)


def test_faults_every_record_exactly_once(scenario):
    "With 20% of the calls failing, repeated syncs stage each order once"
    app = make_app(seed=SEED + 1, orders=40, rate_limit=100000,
        fault_rate=0.2, faults=('500', 'truncated'))
    url, stop = serve_in_thread(app)
    try:
        store = create_store('shipstation', "Flaky Store", url,
            scenario['setup'], shipstation_api_key='key',
            shipstation_api_secret='secret')
        for _ in range(2):
            store.click('commerce_refresh')
    finally:
        stop()
    assert app.count('fault', '500') + app.count('fault', 'truncated')
    shipped = sorted(str(i) for i, o in app.orders.items()
        if o.data['orderStatus'] == 'shipped')
    Order = Model.get('commerce.order')
    staged = sorted(o.external_id for o in Order.find([
                ('store', '=', store.id)]))
    assert staged == shipped


def test_order_changed_after_approval_credited_then_booked_again(
        scenario, sandbox_app):
    "The store adds to a shipped order: credit the old, approve the new"
    store = scenario['store']
    Order = Model.get('commerce.order')
    Document = Model.get('commerce.document')
    Line = Model.get('commerce.reconciliation.line')
    shipped = {d.source.id for d in Document.find([
                ('kind', '=', 'shipment'),
                ('source', 'like', 'commerce.order,%'),
                ])}
    order = next(o for o in Order.find([
                ('store', '=', store.id), ('state', '=', 'approved'),
                ('credited', '=', False), ('amount_paid', '>', 0)])
        if o.id in shipped)
    old_total = order.total
    source = sandbox_app.orders[int(order.external_id)]
    extra = Decimal('5.00')
    for name in ['shippingAmount', 'orderTotal', 'amountPaid']:
        source.data[name] += extra
    # Changed now, as a real store's clock says
    sandbox_app._touch(source, dt.datetime.now(dt.timezone.utc))
    store.click('commerce_refresh')
    order.reload()
    assert order.changed_after_approval and order.state == 'approved'
    assert order.total == old_total  # the books are not rewritten

    order.click('credit')
    order.reload()
    # The old version is credited, the store's version waits for review
    assert order.state == 'pending'
    assert order.total == old_total + extra
    assert not order.changed_after_approval and not order.credited
    approve = Wizard('commerce.approve', [order])
    approve.execute('approve')
    assert approve.form.approved == 1, approve.form.failures
    order.reload()
    documents = Document.find([('source', '=', f'commerce.order,{order.id}')])
    invoices = [d.document for d in documents if d.kind == 'invoice']
    credits = [d.document for d in documents if d.kind == 'credit_note']
    assert sorted(i.total_amount for i in invoices) == sorted(
        [old_total, old_total + extra])
    assert [c.total_amount for c in credits] == [-old_total]
    assert sum(i.total_amount for i in invoices + credits) == order.total
    # The goods left once: the new sale ships nothing again
    assert len([d for d in documents if d.kind == 'shipment']) == 1
    assert not order.sale.shipments
    line, = Line.find([('source', '=', f'commerce.order,{order.id}')])
    assert line.difference == 0 and line.received_difference == 0
    assert line.booked == order.total
