# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Who may read what: secrets, record rules by company, model access."""

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.cloud_commerce.tests.tools import ModuleDBTestCase
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


def create_user(login, groups, company):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user = User(
        login=login, name=login, companies=[company], company=company,
        groups=[ModelData.get_id('cloud_commerce', g) for g in groups])
    user.save()
    return user


def create_store(name, company):
    pool = Pool()
    Shop = pool.get('web.shop')
    store = Shop(
        name=name, company=company, currency=company.currency,
        type='shipstation', shipstation_api_key='key-' + name,
        shipstation_api_secret='secret-' + name)
    store.save()
    return store


class SecurityTestCase(ModuleDBTestCase):
    "Test the access rules of Cloud Commerce"

    def setup_records(self):
        pool = Pool()
        Customer = pool.get('commerce.customer')
        company_a = create_company("Company A")
        company_b = create_company("Company B", currency=company_a.currency)
        store_a = create_store("A", company_a)
        store_b = create_store("B", company_b)
        customers = Customer.create([
                {'store': store_a.id, 'external_id': 'c1'},
                {'store': store_b.id, 'external_id': 'c2'},
                ])
        clerk = create_user('clerk', ['group_cloud_commerce'], company_a)
        admin = create_user(
            'cc_admin', ['group_cloud_commerce_admin'], company_a)
        return store_a, customers, clerk, admin

    def as_user(self, user):
        return Transaction().set_user(user.id), Transaction().set_context(
            _check_access=True)

    @with_transaction()
    def test_clerk(self):
        "A clerk sees his company's records and no secret"
        pool = Pool()
        Shop = pool.get('web.shop')
        Customer = pool.get('commerce.customer')
        Approval = pool.get('commerce.approval')
        Configuration = pool.get('commerce.configuration')
        store_a, (customer_a, customer_b), clerk, _ = self.setup_records()

        user, context = self.as_user(clerk)
        with user, context:
            self.assertEqual(Customer.search([]), [customer_a])
            with self.assertRaises(AccessError):
                Customer.read([customer_b.id], ['external_id'])
            for secret in ['shipstation_api_secret', 'shipstation_api_key',
                    'commerce_webhook_token', 'square_oauth_state']:
                with self.subTest(secret=secret), \
                        self.assertRaises(AccessError):
                    Shop.read([store_a.id], [secret])
            self.assertEqual(
                Shop.read([store_a.id], ['name'])[0]['name'], "A")

            Customer.trash([customer_a])
            self.assertEqual(customer_a.state, 'trashed')
            with self.assertRaises(AccessError):
                Customer.delete([customer_a])
            with self.assertRaises(AccessError):
                Approval.create([{}])
            with self.assertRaises(AccessError):
                Configuration.write([Configuration(1)], {})
            with self.assertRaises(AccessButtonError):
                Shop.commerce_test_connection([store_a])

    @with_transaction()
    def test_admin(self):
        "A Cloud Commerce administrator reads and writes the secrets"
        pool = Pool()
        Shop = pool.get('web.shop')
        store_a, _, _, admin = self.setup_records()

        user, context = self.as_user(admin)
        with user, context:
            Shop.write([store_a], {'shipstation_api_secret': 'new'})
            self.assertEqual(
                Shop.read([store_a.id], ['shipstation_api_secret'])[0][
                    'shipstation_api_secret'], 'new')
