# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The staging upsert: nothing lost, nothing staged twice, the books never
rewritten by a later change at the store."""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.cloud_commerce.connectors.errors import ValidationError
from trytond.modules.cloud_commerce.connectors.records import Order, OrderLine
from trytond.modules.cloud_commerce.tests.tools import ModuleDBTestCase
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

WHEN = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone.utc)


def order(number, total='12.50', quantity='1', modified=WHEN,
        currency='usd'):
    return Order(
        source='shipstation', external_id=str(number),
        modified_at=modified, number=f'#{number}', status='shipped',
        order_date=modified, currency=currency,
        customer_email=f'buyer{number}@example.com',
        customer_name=f"Buyer {number}",
        lines=[OrderLine(external_id=f'{number}-1', sku='MUG-12',
                name="Mug", quantity=Decimal(quantity),
                unit_price=Decimal(total))],
        total=Decimal(total), amount_paid=Decimal(total),
        raw={'orderId': number, 'orderTotal': total, 'quantity': quantity,
            'modifyDate': modified.isoformat()})


class StagingTestCase(ModuleDBTestCase):
    "Test the staging upsert"

    def store(self):
        pool = Pool()
        Shop = pool.get('web.shop')
        company = create_company()
        shop, = Shop.create([{
                    'name': "Web", 'type': 'shipstation',
                    'company': company.id,
                    'currency': company.currency.id,
                    'shipstation_api_key': 'k',
                    'shipstation_api_secret': 's',
                    }])
        return company, shop

    @with_transaction()
    def test_stage_is_idempotent(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            records = [order(n) for n in range(1, 8)]
            self.assertEqual(Staged.stage(store, records), (7, 0, 0))
            self.assertEqual(Staged.stage(store, records), (0, 0, 0))
            self.assertEqual(
                Staged.search_count([('store', '=', store.id)]), 7)
            staged, = Staged.search([('external_id', '=', '1')])
            self.assertEqual(staged.total, Decimal('12.50'))
            self.assertEqual(staged.customer.email, 'buyer1@example.com')
            self.assertEqual(staged.lines[0].item.sku, 'MUG-12')

    @with_transaction()
    def test_one_search_per_batch(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            calls = []
            search = Staged.search.__func__

            def counting(cls, *args, **kwargs):
                calls.append(args)
                return search(cls, *args, **kwargs)
            with patch.object(Staged, 'search', classmethod(counting)):
                Staged.stage(store, [order(n) for n in range(1, 60)])
            # the upsert and the component links: not one per record
            self.assertLessEqual(len(calls), 4)

    @with_transaction()
    def test_change_updates_pending_record(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            Staged.stage(store, [order(1)])
            later = WHEN + dt.timedelta(hours=1)
            self.assertEqual(Staged.stage(
                    store, [order(1, quantity='2', modified=later)]),
                (0, 1, 0))
            staged, = Staged.search([('external_id', '=', '1')])
            self.assertEqual(staged.lines[0].quantity, 2)
            self.assertEqual(len(staged.lines), 1)
            self.assertFalse(staged.changed_after_approval)

    @with_transaction()
    def test_change_after_approval_is_flagged_not_applied(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            Staged.stage(store, [order(1)])
            staged, = Staged.search([('external_id', '=', '1')])
            Staged.write([staged], {'state': 'approved'})
            Staged.stage(store, [order(1, total='99.00')])
            staged, = Staged.search([('external_id', '=', '1')])
            self.assertTrue(staged.changed_after_approval)
            self.assertEqual(staged.state, 'approved')
            # What was approved stays as it was booked
            self.assertEqual(staged.total, Decimal('12.50'))
            self.assertIn('99.00', staged.payload)

    @with_transaction()
    def test_invalid_payload_is_kept_with_its_reason(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            error = ValidationError(
                "must not be negative", record_id=42,
                field='items[0].quantity', kind='order')
            raw = {'orderId': 42, 'items': [{'quantity': -1}]}
            self.assertEqual(
                Staged.stage(store, [order(1)], [(raw, error)]), (2, 0, 1))
            bad, = Staged.search([('state', '=', 'error')])
            self.assertEqual(bad.external_id, '42')
            self.assertIn('order 42', bad.error_reason)
            self.assertIn('items[0].quantity', bad.error_reason)
            self.assertIn('"quantity": -1', bad.payload)

    @with_transaction()
    def test_unknown_currency_is_staged_as_error(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            record = order(5)
            record.currency = 'XTS'
            self.assertEqual(Staged.stage(store, [record]), (1, 0, 1))
            bad, = Staged.search([('external_id', '=', '5')])
            self.assertEqual(bad.state, 'error')
            self.assertIn('XTS', bad.error_reason)

    @with_transaction()
    def test_trash_and_restore(self):
        pool = Pool()
        Staged = pool.get('commerce.order')
        company, store = self.store()
        with set_company(company):
            Staged.stage(store, [order(1)])
            staged, = Staged.search([])
            Staged.trash([staged])
            self.assertEqual(staged.state, 'trashed')
            Staged.restore([staged])
            self.assertEqual(staged.state, 'pending')
