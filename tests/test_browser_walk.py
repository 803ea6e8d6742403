# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The seed's walk in the web client, headless Chromium, step by step.

One demo database (the company, its books and the products and customers
it already knows), both sandboxes in threads, one browser page shared by
the steps in file order; each step leaves a screenshot under
artifacts/browser/walk-NN-<step>.png.  For development, CC_WALK_URL and
CC_WALK_DATABASE point the walk at a running server instead.
"""
import contextlib
import csv
import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the module is skipped
    expect = None

from ..demo.stores import SQUARE_CLIENT_ID, SQUARE_CLIENT_SECRET
from ..sandbox import shipstation, square
from ..sandbox.fixtures import demo_company_overlap
from ..sandbox.server import serve_in_thread
from . import browser

pytestmark = pytest.mark.skipif(
    bool(browser.missing_requirements()),
    reason=browser.missing_requirements() or "ready")

SEED = 1  # the seed of demo.company, so the company knows part of the data
ORDERS = 30
# Against a running server (development), new names on every run
_SUFFIX = f" {os.getpid()}" if os.environ.get('CC_WALK_URL') else ''
SHIPSTATION_STORE = "Walk Web Store" + _SUFFIX
SQUARE_STORE = "Walk Counter" + _SUFFIX


@pytest.fixture(scope='module')
def sandboxes():
    with contextlib.ExitStack() as stack:
        urls = {}
        for name, app in [
                ('shipstation', shipstation.make_app(
                        seed=SEED, orders=ORDERS, rate_limit=100000)),
                ('square', square.make_app(seed=SEED, orders=ORDERS))]:
            url, stop = serve_in_thread(app)
            stack.callback(stop)
            urls[name] = url
        yield urls


@pytest.fixture(scope='module')
def server():
    if os.environ.get('CC_WALK_URL'):
        yield (os.environ['CC_WALK_URL'],
            os.environ.get('CC_WALK_DATABASE', browser.DATABASE))
        return
    with browser.demo_server() as url:
        yield url, browser.DATABASE


class Walk:
    "The page shared by the steps and what they learn on the way"

    def __init__(self, page, base_url, database, sandboxes):
        self.page = page
        self.base_url = base_url
        self.database = database
        self.sandboxes = sandboxes
        self.count = 0
        self.errors = []
        page.on('pageerror', lambda error: self.errors.append(str(error)))

    def shot(self, name):
        self.count += 1
        return browser.screenshot(self.page, f'walk-{self.count:02d}-{name}')


@pytest.fixture(scope='module')
def walk(server, sandboxes):
    base_url, database = server
    with browser.chromium() as context:
        page = context.new_page()
        page.set_viewport_size({'width': 1440, 'height': 900})
        walk = Walk(page, base_url, database, sandboxes)
        walk.context = context
        yield walk


@pytest.fixture(autouse=True)
def no_page_error(request):
    failed = request.session.testsfailed
    yield
    if 'walk' in request.fixturenames:
        walk = request.getfixturevalue('walk')
        if request.session.testsfailed > failed:
            browser.screenshot(walk.page, f'failed-{request.node.name}')
        errors, walk.errors[:] = list(walk.errors), []
        assert not errors, errors


def test_01_login(walk):
    browser.login(walk.page, walk.base_url, database=walk.database)
    browser.open_menu(walk.page, 'Sales', 'Tools', 'Cloud Commerce')
    walk.shot('login')


def test_02_add_shipstation_store(walk):
    page = walk.page
    tab = browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Stores')
    browser.toolbar(page, 'new_').click()
    browser.settle(page)
    browser.field(page, 'type').select_option(label="ShipStation")
    browser.settle(page)
    browser.field(page, 'name').fill(SHIPSTATION_STORE)
    browser.add_many2many(page, 'warehouses', "Warehouse")
    tab.get_by_role('tab', name="Cloud Commerce").click()
    url = browser.field(page, 'commerce_base_url')
    url.fill(walk.sandboxes['shipstation'])
    browser.field(page, 'shipstation_api_key').fill('key')
    browser.field(page, 'shipstation_api_secret').fill('secret')
    browser.set_many2one(page, 'commerce_payment_journal', "Store Receipts")
    browser.toolbar(page, 'save').click()
    browser.settle(page)
    tab.locator('button[name="commerce_test_connection"]').click()
    browser.settle(page, 1000)
    status = browser.field(page, 'commerce_status_text')
    assert status.input_value().startswith("Online"), status.input_value()
    walk.shot('shipstation-connected')


def test_03_add_square_store_through_oauth(walk):
    page = walk.page
    tab = browser.current_tab(page)
    browser.toolbar(page, 'new_').click()
    browser.settle(page)
    tab.get_by_role('tab').first.click()
    browser.field(page, 'type').select_option(label="Square")
    browser.settle(page)
    browser.field(page, 'name').fill(SQUARE_STORE)
    browser.add_many2many(page, 'warehouses', "Warehouse")
    tab.get_by_role('tab', name="Cloud Commerce").click()
    browser.field(page, 'commerce_base_url').fill(walk.sandboxes['square'])
    browser.field(page, 'square_client_id').fill(SQUARE_CLIENT_ID)
    browser.field(page, 'square_client_secret').fill(SQUARE_CLIENT_SECRET)
    browser.set_many2one(page, 'commerce_payment_journal', "Store Receipts")
    browser.toolbar(page, 'save').click()
    browser.settle(page)

    with walk.context.expect_page() as popup_info:
        tab.locator('button[name="commerce_connect"]').click()
    login = popup_info.value
    login.wait_for_load_state()
    assert "Sign in to Square" in login.title()
    login.locator('#email').fill(square.DEMO_LOGIN)
    login.locator('#password').fill(square.DEMO_PASSWORD)
    browser.screenshot(login, f'walk-{walk.count + 1:02d}-square-login')
    walk.count += 1
    login.locator('button[value="allow"]').click()
    # Back from the sandbox through trytond's callback to the web client
    login.wait_for_url(re.compile(r'.*/#' + re.escape(walk.database)))
    login.close()

    browser.toolbar(page, 'reload').click()
    browser.settle(page)
    status = browser.field(page, 'commerce_status_text')
    assert status.input_value().startswith("Online"), status.input_value()
    assert browser.field(page, 'square_merchant_id').input_value()
    walk.shot('square-connected')


def test_04_refresh_both_stores(walk):
    page = walk.page
    tab = browser.current_tab(page)
    for store in [SQUARE_STORE, SHIPSTATION_STORE]:
        if browser.field(page, 'name').count() == 0 or (
                browser.field(page, 'name').input_value() != store):
            browser.toolbar(page, 'switch_').click()
            browser.settle(page)
            browser.list_rows(page).get_by_text(store, exact=True
                ).first.dblclick()
            browser.settle(page)
        tab.get_by_role('tab', name="Cloud Commerce").click()
        button = tab.locator('button[name="commerce_refresh"]')
        button.click()
        # The web client disables the button while the sync runs
        browser.settle(page, 1000)
        expect(button).to_be_enabled(timeout=120 * 1000)
        browser.settle(page)
        expect(browser.field(page, 'commerce_last_sync')).not_to_have_value(
            '')
    walk.shot('refreshed')


REVIEW_TABS = ["Fully Matched", "Not Matched", "All"]


@pytest.mark.parametrize('menu', [
        "Customers", "Items", "Locations", "Sales People"])
def test_05_review_lists_in_order(walk, menu):
    page = walk.page
    browser.open_action(page, 'Sales', 'Tools', 'Cloud Commerce', menu)
    tabs = browser.screen_tabs(page)
    labels = tabs.locator('a').all_inner_texts()
    for name in REVIEW_TABS:
        assert any(l.startswith(name) for l in labels), labels
    for name in REVIEW_TABS:
        browser.click_screen_tab(page, name)
        walk.shot(f'{menu.lower().replace(" ", "-")}-'
            f'{name.lower().replace(" ", "-")}')
    # The store's records are there, whatever their match
    assert browser.list_rows(page).count() > 0, menu
    browser.close_tab(page)


def rpc(walk):
    "proteus over XML-RPC on the walk's server, to check what the UI did"
    from ..demo.stores import connect
    if not hasattr(walk, 'rpc'):
        walk.rpc = connect(walk.base_url, walk.database)
    return walk.rpc


def linkable(walk):
    """A renamed product's item whose orders wait only for it: return the
    item's SKU, the Tryton code and the orders' numbers"""
    from proteus import Model
    config = rpc(walk)
    Order = Model.get('commerce.order', config=config)
    for product, code in demo_company_overlap(SEED).renamed_products:
        orders = Order.find([
                ('store.name', '=', SHIPSTATION_STORE),
                ('lines.item.sku', '=', product.sku),
                ])
        waiting = [o.number for o in orders
            if all(l.item.match_state == 'matched' for l in o.lines
                if l.item and l.item.sku != product.sku)]
        if waiting:
            return product.sku, code, waiting
    pytest.fail("no order waits for a renamed product only")


def test_06_link_an_item_by_hand(walk):
    page = walk.page
    sku, code, numbers = linkable(walk)
    tab = browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Items')
    # A near SKU matches no product: the same-named one is only suggested
    browser.click_screen_tab(page, "All")
    search = tab.locator('.screen-container input[placeholder="Search"]')
    search.first.fill(sku)
    search.first.press('Enter')
    browser.settle(page, 800)
    rows = browser.list_rows(page).filter(has_text=SHIPSTATION_STORE)
    expect(rows).to_have_count(1)
    rows.first.get_by_text(sku, exact=True).first.click()
    walk.shot('item-to-link')
    browser.toolbar(page, 'action').click()
    page.locator('#tabcontent .dropdown-menu:visible a',
        has_text="Link").first.click()
    dialog = page.locator('.modal-dialog:visible')
    dialog.wait_for()
    browser.set_many2one(page, 'product', code, scope=dialog)
    walk.shot('link-wizard')
    dialog.locator('.modal-footer button', has_text="Link").click()
    browser.settle(page, 800)
    browser.close_tab(page)

    browser.open_action(page, 'Sales', 'Tools', 'Cloud Commerce', 'Orders')
    search = browser.current_tab(page).locator(
        '.screen-container input[placeholder="Search"]').first
    search.fill(numbers[0])
    search.press('Enter')
    browser.settle(page, 800)
    expect(browser.list_rows(page).filter(has_text=SHIPSTATION_STORE)
        ).to_contain_text("All items matched!")
    walk.shot('orders-all-items-matched')
    browser.close_tab(page)


def test_07_trash_and_restore(walk):
    page = walk.page
    tab = browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Customers')
    browser.click_screen_tab(page, "All")
    cell = browser.list_rows(page).first.locator('td[data-title^="Name"]')
    name = cell.inner_text().strip()
    cell.dblclick()
    browser.settle(page)
    tab.locator('button[name="trash"]').click()
    browser.settle(page, 800)
    expect(browser.field(page, 'state')).to_have_value(
        re.compile('trash', re.I))
    walk.shot('customer-trashed')
    browser.close_tab(page)

    tab = browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Trash', 'Customers')
    browser.list_rows(page).get_by_text(name, exact=True).first.dblclick()
    browser.settle(page)
    walk.shot('trash')
    tab.locator('button[name="restore"]').click()
    browser.settle(page, 800)
    expect(browser.field(page, 'state')).not_to_have_value(
        re.compile('trash', re.I))
    walk.shot('customer-restored')
    browser.close_tab(page)


def test_08_approve_orders_in_batch(walk):
    page = walk.page
    browser.open_action(page, 'Sales', 'Tools', 'Cloud Commerce', 'Orders')
    browser.click_screen_tab(page, "Fully Matched")
    rows = browser.list_rows(page).filter(has_text=SHIPSTATION_STORE)
    assert rows.count() >= 3
    for index in range(3):
        rows.nth(index).locator('td.selection-state input').check()
    walk.shot('orders-selected')
    browser.toolbar(page, 'action').click()
    page.locator('#tabcontent .dropdown-menu:visible a',
        has_text="Approve").first.click()
    dialog = page.locator('.modal-dialog:visible')
    dialog.wait_for()
    browser.settle(page)
    # Shipped orders: the shipment is ticked for us, and the sale
    expect(dialog.locator('input[name="create_sale"]')).to_be_checked()
    expect(dialog.locator('input[name="create_shipment"]')).to_be_checked()
    walk.shot('approve-wizard')
    dialog.get_by_role('button', name="Proceed").click()
    result = page.locator('.modal-dialog:visible')
    approved = result.locator('input[name="approved"]').first
    approved.wait_for(timeout=180 * 1000)
    browser.settle(page)
    expect(approved).to_have_value('3')
    expect(result.locator('input[name="failed"]').first).to_have_value('0')
    walk.shot('approve-result')
    result.get_by_role('button', name="Close").click()
    browser.settle(page)
    expect(page.locator('.modal-dialog:visible')).to_have_count(0)
    walk.shot('orders-after-approval')
    browser.close_tab(page)


def test_09_history_and_additional_transactions(walk):
    page = walk.page
    browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Approval History')
    browser.click_screen_tab(page, "All")
    expect(browser.list_rows(page).first).to_be_visible()
    walk.shot('approval-history')
    browser.close_tab(page)

    browser.open_action(page, 'Sales', 'Tools', 'Cloud Commerce',
        'Additional Transactions')
    browser.click_screen_tab(page, "Sales Invoices")
    rows = browser.list_rows(page)
    expect(rows.first).to_be_visible()
    walk.shot('additional-transactions')
    # The Document column links to the invoice: follow it to its own tab
    before = page.locator('#tablist > li').count()
    rows.first.locator('td[data-title^="Document"] a').first.click()
    page.locator('#tablist > li').nth(before).wait_for()
    browser.settle(page, 800)
    invoice = browser.current_tab(page)
    # The invoice's own form (its total, its state)
    expect(invoice.locator('[name="total_amount"]').first).to_be_attached()
    expect(browser.field(page, 'state')).to_have_value(
        re.compile('posted|paid'))
    walk.shot('invoice')
    browser.close_tab(page)
    browser.close_tab(page)


def test_10_reconciliation_shows_no_difference(walk):
    page = walk.page
    browser.open_action(
        page, 'Sales', 'Tools', 'Cloud Commerce', 'Reconciliation')
    # It opens on the days with a difference: there is none
    expect(browser.current_tab(page).locator(
            '.nav-tabs a', has_text="Differences")).to_be_visible()
    expect(browser.list_rows(page)).to_have_count(0)
    walk.shot('reconciliation-differences')
    browser.click_screen_tab(page, "All")
    search = browser.current_tab(page).locator(
        'input[placeholder="Search"]').first
    search.fill('Approved: >=1')
    search.press('Enter')
    browser.settle(page, 800)
    rows = browser.list_rows(page)
    expect(rows.first).to_be_visible()

    def column(name):
        return [' '.join(cell.inner_text().split()) for cell in rows.locator(
                f'td[data-title="{name}: "]').all()]
    # The three orders approved above, booked to the cent
    assert sum(int(c) for c in column("Approved")) == 3
    zero = re.compile(r'\D*0\.00')
    assert all(zero.fullmatch(d) for d in column("Difference"))
    booked = column("Booked")
    assert booked == column("Expected Booked"), booked
    assert not any(zero.fullmatch(b) for b in booked), booked
    walk.shot('reconciliation-approved-days')
    browser.toolbar(page, 'switch_').click()
    browser.settle(page, 800)
    walk.shot('reconciliation-graph')
    browser.close_tab(page)


def test_11_export_a_list_to_csv(walk):
    page = walk.page
    browser.open_action(page, 'Sales', 'Tools', 'Cloud Commerce', 'Items')
    browser.click_screen_tab(page, "All")
    # Export is in the menu under the tab's title
    tab = browser.current_tab(page)
    tab.locator('nav a.navbar-brand.dropdown-toggle').first.click()
    tab.locator('nav a#export').first.click()
    dialog = page.locator('.modal-dialog:visible')
    dialog.wait_for()
    browser.settle(page)
    walk.shot('export-dialog')
    with page.expect_download() as download_info:
        dialog.locator('.modal-footer').get_by_role(
            'button', name=re.compile("Save As", re.I)).click()
    path = download_info.value.path()
    with open(path, newline='', encoding='utf-8-sig') as fp:
        rows = list(csv.reader(fp))
    assert len(rows) > 1, rows
    assert "SKU" in rows[0], rows[0]
    dialogs = page.locator('.modal-dialog:visible')
    while dialogs.count():
        dialogs.last.locator('.modal-footer').get_by_role(
            'button', name="Close").last.click()
        browser.settle(page)
    browser.close_tab(page)
