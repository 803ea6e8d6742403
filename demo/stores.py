# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Connect the demo's stores to the running sandboxes, through trytond,
and approve their history.

Runs once trytond and both sandboxes answer: proteus talks to trytond over
XML-RPC, so the Square *Connect* button builds its callback URL from the
request, exactly as for a user.  The Square store is connected through the
sandbox's OAuth login page (GET the authorize URL, POST the login form,
follow the redirect to trytond's callback, which stores the tokens).  A
second run reuses the stores: it re-authorizes Square (the sandbox forgets
its tokens when it stops) and syncs again, which stages nothing twice.

The history is approved as a clerk would, through the approval wizard:
every ready record older than the store's last ``HISTORY_DAYS`` days, so
the books, the Approval History and the Reconciliation report hold
something while the recent records wait for review.

Usage::

    python -m trytond.modules.cloud_commerce.demo.stores \\
        --url http://127.0.0.1:8000/ --database demo \\
        --shipstation http://127.0.0.1:8701 --square http://127.0.0.1:8702
"""
import argparse
import datetime as dt
import html
import re
import time
import urllib.parse

from .build import ADMIN_LOGIN, ADMIN_PASSWORD

SHIPSTATION_NAME = "ShipStation Web Store"
SQUARE_NAME = "Square Counter"
SHIPSTATION_KEY, SHIPSTATION_SECRET = 'key', 'secret'
SQUARE_CLIENT_ID, SQUARE_CLIENT_SECRET = 'sandbox-app', 'sandbox-secret'
SQUARE_LOGIN, SQUARE_PASSWORD = 'demo@example.com', 'sandbox'
HISTORY_DAYS = 30
# Staged documents and the field that dates them
DOCUMENTS = [('commerce.order', 'order_date'),
    ('commerce.cash_sale', 'sale_date')]


def connect(url, database, login=ADMIN_LOGIN, password=ADMIN_PASSWORD):
    "Return a proteus configuration talking to trytond over XML-RPC"
    from proteus import config
    parts = urllib.parse.urlsplit(url)
    netloc = (f'{urllib.parse.quote(login)}:'
        f'{urllib.parse.quote(password)}@{parts.netloc}')
    return config.set_xmlrpc(urllib.parse.urlunsplit(
            (parts.scheme, netloc, f'/{database}/rpc/', '', '')))


def find_or_create_store(config, type_, name, base_url, **values):
    "Return the store named name, created with values when missing"
    from proteus import Model
    Shop = Model.get('web.shop', config=config)
    shops = Shop.find([('type', '=', type_), ('name', '=', name)], limit=1)
    if shops:
        shop, = shops
        if shop.commerce_base_url != base_url:
            shop.commerce_base_url = base_url
            shop.save()
        return shop, False
    Location = Model.get('stock.location', config=config)
    Party = Model.get('party.party', config=config)
    Journal = Model.get('account.payment.journal', config=config)
    warehouse, = Location.find([('code', '=', 'WH')], limit=1)
    guest = Party(name=f"{name} Walk-in Customer")
    guest.save()
    shop = Shop(name=name, type=type_)
    shop.warehouses.append(Location(warehouse.id))
    shop.commerce_base_url = base_url
    shop.commerce_walk_in_party = guest
    journals = Journal.find([('name', '=', "Store Receipts")], limit=1)
    if journals:
        shop.commerce_payment_journal, = journals
    for field, value in values.items():
        setattr(shop, field, value)
    shop.save()
    return shop, True


def square_authorize(connect_url, login=SQUARE_LOGIN,
        password=SQUARE_PASSWORD, session=None):
    """Log in on the sandbox's authorize page as a user would and follow
    the redirect back to trytond; return the final response"""
    import requests
    session = session or requests.Session()
    page = session.get(connect_url, timeout=30)
    page.raise_for_status()
    form = dict(re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
            page.text))
    form = {k: html.unescape(v) for k, v in form.items()}
    form.update(email=login, password=password, action='allow')
    action = urllib.parse.urljoin(connect_url, '/oauth2/authorize')
    # The sandbox redirects to trytond's callback, which stores the tokens
    # and redirects to the web client
    response = session.post(action, data=form, timeout=60)
    for step in response.history[1:] or [response]:
        step.raise_for_status()
    return response


def setup_stores(url, database, shipstation_url, square_url, log=print):
    "Create (or reuse) both stores, connect them and sync them"
    config = connect(url, database)
    start = time.monotonic()
    shipstation, created = find_or_create_store(
        config, 'shipstation', SHIPSTATION_NAME, shipstation_url,
        shipstation_api_key=SHIPSTATION_KEY,
        shipstation_api_secret=SHIPSTATION_SECRET)
    shipstation.click('commerce_test_connection')
    log(f"demo: store {SHIPSTATION_NAME!r} "
        f"{'created' if created else 'found'}, connection tested")

    square, created = find_or_create_store(
        config, 'square', SQUARE_NAME, square_url,
        square_client_id=SQUARE_CLIENT_ID,
        square_client_secret=SQUARE_CLIENT_SECRET)
    # The button's action (an URL to open), as the web client receives it
    action = square._proxy.commerce_connect([square.id], config.context)
    square_authorize(action['url'])
    square.reload()
    if not square.square_access_token:
        raise RuntimeError("the Square OAuth callback stored no token")
    log(f"demo: store {SQUARE_NAME!r} "
        f"{'created' if created else 'found'}, connected through OAuth")

    for shop in [shipstation, square]:
        begin = time.monotonic()
        shop.click('commerce_refresh')
        log(f"demo: {shop.name} synchronized "
            f"({time.monotonic() - begin:.1f} s)")
    approve_history(config, log=log)
    log_reconciliation(config, log=log)
    log(f"demo: stores ready ({time.monotonic() - start:.1f} s)")
    return shipstation, square


def _search_read(config, model, domain, fields, order=None):
    "Read the records' fields in one call (proteus reads each relation)"
    from proteus import Model
    Staged = Model.get(model, config=config)
    return Staged._proxy.search_read(
        domain, 0, None, order, fields, config.context)


def history(config, model, date_field, days=HISTORY_DAYS):
    """The ids of the store's pending ready records dated before its last
    days, per store name"""
    rows = _search_read(config, model, [('state', '=', 'pending')],
        ['store', 'store.rec_name', 'ready', date_field],
        [(date_field, 'ASC'), ('id', 'ASC')])
    last = {}
    for row in rows:
        if row[date_field]:
            last[row['store']] = max(row[date_field],
                last.get(row['store'], row[date_field]))
    by_store = {}
    for row in rows:
        date = row[date_field]
        if (row['ready'] and date
                and date < last[row['store']] - dt.timedelta(days=days)):
            by_store.setdefault(row['store.']['rec_name'], []).append(
                row['id'])
    return by_store


def approve_history(config, days=HISTORY_DAYS, log=print):
    """Approve the history of each store with the documents the wizard
    proposes; return the failures of each kind of record"""
    from proteus import Model, Wizard
    failures = {}
    for model, date_field in DOCUMENTS:
        Staged = Model.get(model, config=config)
        kind = model.split('.')[-1].replace('_', ' ')
        for store, ids in history(config, model, date_field, days).items():
            begin = time.monotonic()
            approve = Wizard('commerce.approve', [Staged(i) for i in ids],
                config=config)
            approve.execute('approve')
            result = approve.form
            if result.failures:
                failures.setdefault(model, []).append(result.failures)
            log(f"demo: {store}: {result.approved} {kind}s of the history "
                f"approved, {result.failed} failed "
                f"({time.monotonic() - begin:.1f} s)")
            approve.execute('end')
    return failures


def reconciliation(config):
    """The reconciliation report summed per store and currency: approved
    records, booked amount, records and amount that differ"""
    totals = {}
    for row in _search_read(config, 'commerce.reconciliation', [], [
                'store.rec_name', 'currency.code', 'approved_count',
                'booked', 'difference_count', 'difference',
                'received_difference']):
        key = (row['store.']['rec_name'], row['currency.']['code'])
        total = totals.setdefault(key, {
                'approved': 0, 'booked': 0, 'differing': 0, 'difference': 0})
        total['approved'] += row['approved_count']
        total['booked'] += row['booked']
        total['differing'] += row['difference_count']
        total['difference'] += abs(row['difference']) + abs(
            row['received_difference'])
    return totals


def log_reconciliation(config, log=print):
    "Print what the reconciliation report says, per store and currency"
    totals = reconciliation(config)
    for (store, currency), total in sorted(totals.items()):
        log(f"demo: reconciliation of {store} in {currency}: "
            f"{total['approved']} approved, {total['booked']} booked, "
            f"{total['differing']} records with a difference")
    return totals


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--database', default='demo')
    parser.add_argument('--shipstation', required=True)
    parser.add_argument('--square', required=True)
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    setup_stores(options.url, options.database, options.shipstation,
        options.square)


if __name__ == '__main__':
    main()
