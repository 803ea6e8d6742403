# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Webhooks: ShipStation's resource_url only on the store's own host,
Square's signature checked and its events de-duplicated."""
import base64
import hashlib
import hmac
import json

from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.shipstation import make_app
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

SIGNATURE_KEY = 'route-test-signature-key'


def sign(url, body):
    digest = hmac.new(SIGNATURE_KEY.encode(), url.encode() + body,
        hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class WebhookRouteTestCase(RouteTestCase):
    "Test the Cloud Commerce webhook routes"
    module = 'cloud_commerce'

    @classmethod
    def setUpClass(cls):
        cls.sandbox_url, cls.stop_sandbox = serve_in_thread(
            make_app(seed=11, orders=12, rate_limit=100000))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.stop_sandbox()

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Shop = pool.get('web.shop')
        company = create_company()
        common = {'company': company.id, 'currency': company.currency.id}
        Shop.create([dict(common,
                    name="Web", type='shipstation',
                    commerce_base_url=cls.sandbox_url,
                    shipstation_api_key='key',
                    shipstation_api_secret='secret'),
                dict(common,
                    name="Counter", type='square',
                    commerce_base_url='http://127.0.0.1:9',
                    square_access_token='token',
                    square_signature_key=SIGNATURE_KEY),
                ])

    def store(self, type_):
        with Transaction().start(self.db_name, 0):
            Shop = Pool().get('web.shop')
            shop, = Shop.search([('type', '=', type_)])
            return shop.id, shop.commerce_webhook_token

    def count(self, model, domain):
        with Transaction().start(self.db_name, 0):
            return Pool().get(model).search_count(domain)

    def url(self, token):
        return f'/{self.db_name}/cloud_commerce/webhook/{token}'

    def test_unknown_token(self):
        response = self.client().post(
            self.url('not-a-token'), json={'resource_url': 'x'})
        self.assertEqual(response.status_code, 404)

    def test_shipstation_foreign_host_refused(self):
        store, token = self.store('shipstation')
        response = self.client().post(self.url(token), json={
                'resource_url': 'https://evil.example.com/orders?x=1',
                'resource_type': 'ORDER_NOTIFY'})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.count(
                'commerce.order', [('store', '=', store)]), 0)

    def test_shipstation_order_notify_stages_orders_once(self):
        store, token = self.store('shipstation')
        counts = []
        for _ in range(10):
            response = self.client().post(self.url(token), json={
                    'resource_url': self.sandbox_url
                    + '/orders?orderStatus=shipped',
                    'resource_type': 'ORDER_NOTIFY'})
            self.assertEqual(response.status_code, 204)
            counts.append(self.count(
                    'commerce.order', [('store', '=', store)]))
        self.assertGreater(counts[0], 0)
        self.assertEqual(set(counts), {counts[0]})

    def test_square_bad_signature_refused(self):
        store, token = self.store('square')
        body = json.dumps({'event_id': 'e-bad', 'type': 'payment.created'})
        response = self.client().post(
            self.url(token), data=body,
            headers={'x-square-hmacsha256-signature': 'forged'})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.count(
                'commerce.webhook.event', [('event_id', '=', 'e-bad')]), 0)

    def test_square_event_received_once(self):
        store, token = self.store('square')
        body = json.dumps(
            {'event_id': 'e-1', 'type': 'payment.created'}).encode()
        url = 'http://localhost' + self.url(token)
        for _ in range(10):
            response = self.client().post(
                self.url(token), data=body,
                headers={'x-square-hmacsha256-signature': sign(url, body)})
            self.assertEqual(response.status_code, 204)
        self.assertEqual(self.count(
                'commerce.webhook.event', [('event_id', '=', 'e-1')]), 1)

    def test_oversized_body_refused(self):
        store, token = self.store('square')
        response = self.client().post(
            self.url(token), data=b'x' * (300 * 1024))
        self.assertEqual(response.status_code, 413)


del RouteTestCase
