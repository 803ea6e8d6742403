# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Build a demo database: the module activated, a company and its books.

The database is made by ``trytond-admin`` and filled through proteus, one
step after the other (see ``STEPS``).  Each step is a function
``step(config, demo)`` where ``demo`` is a namespace holding what earlier
steps made (``demo.company``, ``demo.currency`` ...); later steps may add to
it.  Test helpers (``*.tests.tools``) are never imported here: they switch
the pool into test mode.

Usage::

    python -m trytond.modules.cloud_commerce.demo.build \\
        --config var/trytond.conf --database demo
"""
import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import types
from decimal import Decimal

from . import company

ADMIN_LOGIN = 'admin'
ADMIN_PASSWORD = 'cloudcommerce'
ADMIN_EMAIL = 'admin@example.com'
MODULE = 'cloud_commerce'
COMPANY_NAME = 'Cloud Commerce Demo'
CURRENCY = ('USD', 'U.S. Dollar', '$')
CHART_TEMPLATE = 'account.account_template_root_en'


def write_config(path, database_dir, sao_root=None,
        listen='127.0.0.1:8000'):
    "Write a trytond configuration file for a SQLite database folder"
    os.makedirs(database_dir, exist_ok=True)
    lines = [
        '[database]',
        'uri = sqlite://',
        f'path = {os.path.abspath(database_dir)}',
        '',
        '[web]',
        f'listen = {listen}',
        ]
    if sao_root:
        lines.append(f'root = {os.path.abspath(sao_root)}')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as fp:
        fp.write('\n'.join(lines) + '\n')
    return path


def database_file(database_dir, database):
    return os.path.join(database_dir, f'{database}.sqlite')


def trytond_env(config_file):
    "Environment for trytond commands: the config file decides the database"
    env = dict(os.environ)
    env.pop('TRYTOND_DATABASE_URI', None)
    env.pop('TRYTOND_DATABASE__URI', None)
    env['TRYTOND_CONFIG'] = os.path.abspath(config_file)
    return env


def venv_command(name):
    "Path of a console script installed beside the running python"
    return os.path.join(os.path.dirname(sys.executable), name)


def create_database(config_file, database_dir, database,
        password=ADMIN_PASSWORD):
    "Create the SQLite file and activate the module with trytond-admin"
    path = database_file(database_dir, database)
    open(path, 'a').close()
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write(password + '\n')
        passfile.flush()
        env = trytond_env(config_file)
        env['TRYTONPASSFILE'] = passfile.name
        subprocess.run([
                venv_command('trytond-admin'), '-c', config_file,
                '-d', database, '-u', MODULE, '--activate-dependencies',
                '--email', ADMIN_EMAIL], env=env, check=True)
    return path


def update_database(config_file, database):
    "Update the module in an existing database"
    subprocess.run([
            venv_command('trytond-admin'), '-c', config_file,
            '-d', database, '-u', MODULE, '--activate-dependencies'],
        env=trytond_env(config_file), check=True)


def connect(config_file, database):
    "Return a proteus configuration on the database"
    from proteus import config
    os.environ.pop('TRYTOND_DATABASE_URI', None)
    return config.set_trytond(
        database, user=ADMIN_LOGIN, config_file=config_file)


def create_currency(config, demo, code=CURRENCY[0], name=CURRENCY[1],
        symbol=CURRENCY[2]):
    "Find or create the company currency with a rate of 1"
    from proteus import Model
    Currency = Model.get('currency.currency', config=config)
    currencies = Currency.find([('code', '=', code)])
    if currencies:
        currency, = currencies
    else:
        currency = Currency(name=name, symbol=symbol, code=code)
        currency.rates.new(date=dt.date.min, rate=Decimal(1))
        currency.save()
    demo.currency = currency
    return currency


def create_company(config, demo, name=COMPANY_NAME):
    "Create the company through its configuration wizard"
    from proteus import Model, Wizard
    Party = Model.get('party.party', config=config)
    User = Model.get('res.user', config=config)
    party = Party(name=name)
    party.save()
    company_config = Wizard('company.company.config', config=config)
    company_config.execute('company')
    company = company_config.form
    company.party = party
    company.currency = demo.currency
    company_config.execute('add')
    config._context = User.get_preferences(True, {})
    demo.company, = Model.get('company.company', config=config).find()
    return demo.company


def find_accounts(config, company):
    "Return the company's accounts per type"
    from proteus import Model
    Account = Model.get('account.account', config=config)
    accounts = {}
    for type_ in ['receivable', 'payable', 'revenue', 'expense']:
        found = Account.find([
                (f'type.{type_}', '=', True),
                ('company', '=', company.id),
                ('closed', '!=', True),
                ], limit=1)
        if found:
            accounts[type_] = found[0]
    return accounts


def create_chart(config, demo, template=CHART_TEMPLATE):
    "Create the chart of accounts from the minimal template"
    from proteus import Model, Wizard
    AccountTemplate = Model.get('account.account.template', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    wizard = Wizard('account.create_chart', config=config)
    wizard.execute('account')
    wizard.form.account_template = AccountTemplate(
        ModelData.get_id(template, config.context))
    wizard.form.company = demo.company
    wizard.execute('create_account')
    accounts = find_accounts(config, demo.company)
    wizard.form.account_receivable = accounts['receivable']
    wizard.form.account_payable = accounts['payable']
    if hasattr(wizard.form, 'category_account_expense'):
        wizard.form.category_account_expense = accounts['expense']
    if hasattr(wizard.form, 'category_account_revenue'):
        wizard.form.category_account_revenue = accounts['revenue']
    wizard.execute('create_properties')
    demo.accounts = accounts
    return accounts


# The ShipStation sandbox sells from October 2024 on
FIRST_FISCAL_YEAR = 2024


def create_fiscal_year(config, demo, today=None, first=FIRST_FISCAL_YEAR):
    """Create the calendar fiscal years from the sandboxes' oldest orders to
    today's, each with its move and invoice sequences and its periods"""
    from proteus import Model
    FiscalYear = Model.get('account.fiscalyear', config=config)
    Sequence = Model.get('ir.sequence.strict', config=config)
    SequenceType = Model.get('ir.sequence.type', config=config)
    today = today or dt.date.today()
    sequence_type, = SequenceType.find(
        [('name', '=', "Account Move")], limit=1)
    for year in range(min(first, today.year), today.year + 1):
        sequence = Sequence(name=str(year), sequence_type=sequence_type,
            company=demo.company)
        sequence.save()
        fiscal_year = FiscalYear(name=str(year),
            start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
            company=demo.company, move_sequence=sequence)
        set_invoice_sequences(config, fiscal_year)
        fiscal_year.save()
        FiscalYear.click([fiscal_year], 'create_period')
    demo.fiscal_year = fiscal_year
    return fiscal_year


def set_invoice_sequences(config, fiscal_year):
    "Number every kind of invoice of the fiscal year from one sequence"
    from proteus import Model
    if not hasattr(fiscal_year, 'invoice_sequences'):
        return
    Sequence = Model.get('ir.sequence.strict', config=config)
    SequenceType = Model.get('ir.sequence.type', config=config)
    sequence_type, = SequenceType.find([('name', '=', "Invoice")], limit=1)
    sequence = Sequence(name=fiscal_year.name, sequence_type=sequence_type,
        company=fiscal_year.company)
    sequence.save()
    invoice_sequences, = fiscal_year.invoice_sequences
    for kind in ['out_invoice', 'in_invoice', 'out_credit_note',
            'in_credit_note']:
        setattr(invoice_sequences, f'{kind}_sequence', sequence)


def create_payment_term(config, demo, name="Direct"):
    "Create a payment term due at once"
    from proteus import Model
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)
    payment_term = PaymentTerm(name=name)
    payment_term.lines.new(type='remainder')
    payment_term.save()
    demo.payment_term = payment_term
    return payment_term


def close_config_wizard(config, demo):
    "Mark the module configuration wizard done so the client opens clean"
    from proteus import Model
    Item = Model.get('ir.module.config_wizard.item', config=config)
    items = Item.find([('state', '!=', 'done')])
    for item in items:
        item.state = 'done'
    Item.save(items)


# The demo grows by appending steps here
STEPS = [
    create_currency,
    create_company,
    create_chart,
    create_fiscal_year,
    create_payment_term,
    close_config_wizard,
    *company.STEPS,
    ]


def fill(config, steps=STEPS, log=print):
    "Run the steps on a proteus configuration and return the namespace"
    demo = types.SimpleNamespace(config=config)
    for step in steps:
        start = time.monotonic()
        step(config, demo)
        log(f"demo: {step.__name__} ({time.monotonic() - start:.1f} s)")
    return demo


def build(config_file, database_dir, database, steps=STEPS, log=print):
    "Create the database, activate the module and run the steps"
    start = time.monotonic()
    create_database(config_file, database_dir, database)
    log(f"demo: database {database} created "
        f"({time.monotonic() - start:.1f} s)")
    return fill(connect(config_file, database), steps=steps, log=log)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True,
        help="trytond configuration file to write")
    parser.add_argument('--database-dir', default='var/db')
    parser.add_argument('--database', default='demo')
    parser.add_argument('--sao-root', default=None)
    parser.add_argument('--listen', default='127.0.0.1:8000')
    parser.add_argument('--config-only', action='store_true',
        help="only write the configuration file")
    parser.add_argument('--update', action='store_true',
        help="update the module in the existing database instead")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    write_config(options.config, options.database_dir,
        sao_root=options.sao_root, listen=options.listen)
    path = database_file(options.database_dir, options.database)
    if options.config_only:
        return
    elif options.update:
        update_database(options.config, options.database)
    else:
        if os.path.exists(path):
            os.remove(path)
        build(options.config, options.database_dir, options.database)


if __name__ == '__main__':
    main()
