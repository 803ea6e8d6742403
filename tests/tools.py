# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Helpers shared by the tests: the database of the unittest cases, and the
proteus scenarios' accounting set-up and stores."""
import datetime as dt
import types
import unittest
from decimal import Decimal

from proteus import Model

from trytond.modules.account.tests.tools import (
    create_fiscalyear,
    get_accounts,
)
from trytond.modules.account_invoice.tests.tools import (
    set_fiscalyear_invoice_sequences,
)
from trytond.modules.cloud_commerce.demo.company import setup_books
from trytond.modules.company.tests.tools import get_company
from trytond.tests.test_tryton import activate_module, drop_db


class ModuleDBTestCase(unittest.TestCase):
    "A test case on a database with the module activated, dropped after"

    @classmethod
    def setUpClass(cls):
        activate_module('cloud_commerce')

    @classmethod
    def tearDownClass(cls):
        # As Tryton's own test cases: close the pooled connections so that
        # the next test module can restore its database
        drop_db()


def setup_accounting(config=None):
    """Fiscal year, then the demo's books: account category, sales tax,
    configuration products and the payment journal of the scenarios"""
    company = get_company(config)
    today = dt.date.today()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(
            company, today=(today - dt.timedelta(days=400),
                today + dt.timedelta(days=30)), config=config))
    fiscalyear.click('create_period')
    books = types.SimpleNamespace(
        company=company, accounts=get_accounts(company, config=config))
    setup_books(config, books)
    return {
        'company': company, 'accounts': books.accounts,
        'category': books.category, 'tax': books.tax, 'unit': books.unit,
        'payment_journal': books.payment_journal,
        'clearing': books.payment_journal.clearing_account,
        }


def create_product(name, code, price, setup, config=None):
    Template = Model.get('product.template', config=config)
    template = Template(name=name, type='goods', salable=True,
        default_uom=setup['unit'], list_price=Decimal(price),
        account_category=setup['category'])
    template.code = code
    template.save()
    return template.products[0]


def create_store(type_, name, base_url, setup, config=None, **values):
    Shop = Model.get('web.shop', config=config)
    Location = Model.get('stock.location', config=config)
    warehouse, = Location.find([('code', '=', 'WH')])
    Party = Model.get('party.party', config=config)
    guest = Party(name=f"{name} Walk-in Customer")
    guest.save()
    shop = Shop(name=name, type=type_, commerce_walk_in_party=guest)
    shop.warehouses.append(Location(warehouse.id))
    shop.commerce_base_url = base_url
    shop.commerce_payment_journal = setup['payment_journal']
    for field, value in values.items():
        setattr(shop, field, value)
    shop.save()
    return shop
