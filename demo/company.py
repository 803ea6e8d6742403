# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Demo steps: what the approval needs in the books, and what the company
already sells and knows before its first sync.

The products and parties come from ``sandbox.fixtures.demo_company_overlap``
with the seed the demo sandboxes use, so part of the synchronized records
MATCH, the others are ADD NEW, and three products carry a near SKU that a
human links by hand.
"""
import datetime as dt
from decimal import Decimal

SEED = 1
TAX_RATE = Decimal('.08')
# The Square sandbox's Tokyo shop sells in yen, with Japan's consumption
# tax included in its prices: (code, name, symbol, digits, units for one
# unit of the company currency, tax name, tax rate)
FOREIGN_CURRENCIES = [
    ('JPY', "Japanese Yen", '¥', 0, Decimal(150),
        "Consumption Tax", Decimal('.10')),
    ]
RATES_FROM = dt.date(2024, 1, 1)


def setup_books(config, demo):
    """Account category, sales tax, the Cloud Commerce configuration
    products and a payment journal clearing to the cash journal"""
    from proteus import Model
    Account = Model.get('account.account', config=config)
    accounts = demo.accounts

    Category = Model.get('product.category', config=config)
    category = Category(name="Merchandise", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()

    Tax = Model.get('account.tax', config=config)
    tax_account, = Account.find([
            ('company', '=', demo.company.id),
            ('code', '=', '6.3.6'),
            ], limit=1)
    tax = Tax(name="Sales Tax 8%", description="Sales tax collected by "
        "the store", type='percentage', rate=TAX_RATE,
        invoice_account=tax_account, credit_note_account=tax_account)
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
    fees = Account(parent=accounts['expense'].parent,
        name="Card Processing Fees", type=accounts['expense'].type)
    fees.save()
    configuration.processing_fee_account = fees
    configuration.save()

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
    demo.category, demo.tax, demo.unit = category, tax, unit
    demo.payment_journal = payment_journal


def create_known_products(config, demo, seed=SEED):
    """The products the company sells already: same SKU as the stores, and
    three with a near SKU (a human links them)"""
    from proteus import Model

    from ..sandbox.fixtures import demo_company_overlap
    overlap = demo_company_overlap(seed)
    Template = Model.get('product.template', config=config)
    known = [(p, p.sku) for p in overlap.products] + list(
        overlap.renamed_products)
    templates = []
    for product, code in known:
        template = Template(name=product.name, type='goods', salable=True,
            default_uom=demo.unit, list_price=Decimal(product.price),
            account_category=demo.category)
        template.code = code
        templates.append(template)
    Template.save(templates)
    demo.overlap = overlap


def _country(config, code, cache):
    from proteus import Model
    if code not in cache:
        Country = Model.get('country.country', config=config)
        countries = Country.find([('code', '=', code)], limit=1)
        if countries:
            cache[code], = countries
        else:
            country = Country(name=code, code=code)
            country.save()
            cache[code] = country
    return cache[code]


def create_known_customers(config, demo):
    "The customers the company knows already: name, email, phone, address"
    from proteus import Model
    Party = Model.get('party.party', config=config)
    countries = {}
    parties = []
    for person in demo.overlap.people:
        party = Party(name=person.name)
        if person.email:
            party.contact_mechanisms.new(type='email', value=person.email)
        if person.phone:
            party.contact_mechanisms.new(type='phone', value=person.phone)
        address = person.address
        party_address, = party.addresses
        party_address.street = '\n'.join(
            filter(None, [address.street, address.street2]))
        party_address.city = address.city
        party_address.postal_code = address.postal_code
        party_address.country = _country(config, address.country, countries)
        parties.append(party)
    Party.save(parties)


def create_foreign_currencies(config, demo, currencies=FOREIGN_CURRENCIES):
    """The currencies the stores sell in beside the company's, each with
    its rate, its receipts journal and its sales tax, and the accounts of
    the exchange differences"""
    from proteus import Model
    Account = Model.get('account.account', config=config)
    Currency = Model.get('currency.currency', config=config)
    PaymentJournal = Model.get('account.payment.journal', config=config)
    Tax = Model.get('account.tax', config=config)
    accounts = demo.accounts
    for type_, name in [('revenue', "Currency Exchange Gains"),
            ('expense', "Currency Exchange Losses")]:
        account = Account(parent=accounts[type_].parent, name=name,
            type=accounts[type_].type)
        account.save()
        accounts[f'exchange_{type_}'] = account
    AccountConfiguration = Model.get('account.configuration', config=config)
    account_configuration = AccountConfiguration(1)
    account_configuration.currency_exchange_credit_account = (
        accounts['exchange_revenue'])
    account_configuration.currency_exchange_debit_account = (
        accounts['exchange_expense'])
    account_configuration.save()

    for code, name, symbol, digits, rate, tax_name, tax_rate in currencies:
        currency = Currency(name=name, code=code, symbol=symbol,
            digits=digits, rounding=Decimal(1).scaleb(-digits))
        currency.rates.new(date=RATES_FROM, rate=rate)
        currency.save()
        journal = demo.payment_journal
        PaymentJournal(name=f"{journal.name} {code}", currency=currency,
            process_method=journal.process_method,
            clearing_journal=journal.clearing_journal,
            clearing_account=journal.clearing_account).save()
        Tax(name=tax_name, description=tax_name, type='percentage',
            rate=tax_rate, invoice_account=demo.tax.invoice_account,
            credit_note_account=demo.tax.credit_note_account).save()


STEPS = [
    setup_books,
    create_foreign_currencies,
    create_known_products,
    create_known_customers,
    ]
