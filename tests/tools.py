# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Proteus helpers shared by the scenarios: accounting set-up and stores."""
import datetime as dt
from decimal import Decimal

from proteus import Model

from trytond.modules.account.tests.tools import (
    create_fiscalyear,
    create_tax,
    get_accounts,
)
from trytond.modules.account_invoice.tests.tools import (
    set_fiscalyear_invoice_sequences,
)
from trytond.modules.company.tests.tools import get_company


def setup_accounting(config=None):
    "Fiscal year, account category, products and journals of the scenarios"
    company = get_company(config)
    today = dt.date.today()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(
            company, today=(today - dt.timedelta(days=400),
                today + dt.timedelta(days=30)), config=config))
    fiscalyear.click('create_period')
    accounts = get_accounts(company, config=config)

    Category = Model.get('product.category', config=config)
    category = Category(name="Merchandise", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()

    tax = create_tax(Decimal('.08'), company, config=config)
    tax.description = "Sales tax collected by the store"
    tax.save()

    Uom = Model.get('product.uom', config=config)
    unit, = Uom.find([('symbol', '=', 'u')])
    Template = Model.get('product.template', config=config)

    def service(name):
        template = Template(name=name, type='service', salable=True,
            default_uom=unit, list_price=Decimal(0),
            account_category=category)
        template.save()
        return template.products[0]

    Configuration = Model.get('commerce.configuration', config=config)
    configuration = Configuration(1)
    configuration.product_account_category = category
    configuration.shipping_product = service("Shipping")
    configuration.discount_product = service("Discount")
    configuration.tip_product = service("Tip")
    configuration.service_charge_product = service("Service Charge")
    configuration.sales_tax = tax
    Account = Model.get('account.account', config=config)
    fees = Account(parent=accounts['expense'].parent,
        name="Processing Fees", type=accounts['expense'].type)
    fees.save()
    configuration.processing_fee_account = fees
    configuration.save()

    Account = Model.get('account.account', config=config)
    clearing = Account(parent=accounts['payable'].parent,
        name="Cloud Commerce Clearing", type=accounts['payable'].type,
        reconcile=True, deferral=True, party_required=False)
    clearing.save()
    Journal = Model.get('account.journal', config=config)
    cash_journal, = Journal.find([('code', '=', 'CASH')])
    PaymentJournal = Model.get('account.payment.journal', config=config)
    payment_journal = PaymentJournal(name="Store Receipts",
        process_method='manual', clearing_journal=cash_journal,
        clearing_account=clearing)
    payment_journal.save()
    return {
        'company': company, 'accounts': accounts, 'category': category,
        'tax': tax, 'unit': unit, 'payment_journal': payment_journal,
        'clearing': clearing,
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
