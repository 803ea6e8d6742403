# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Store rule overrides, preview, batched candidate look-ups, fix once
apply to all, ADD NEW by hand and cross-source duplicates, on the ORM."""
from collections import Counter
from unittest.mock import patch

from trytond.modules.cloud_commerce.exceptions import RulesValidationError
from trytond.modules.cloud_commerce.rules.engine import (
    CandidateIndex,
    group_duplicates,
)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool

# The module's database without ModuleTestCase's generic checks, which
# test_module runs already
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

BAD_KEY = """strategies:
  customer:
    - name: same_email
      key: email
      colour: blue
"""
DISABLE_EMAIL = """strategies:
  customer:
    - name: same_email
      key: email
      disabled: true
"""
MISSING_TAX = """mappings:
  tax:
    - name: state_tax
      when: "name == 'CA'"
      value: California Sales Tax
"""


def create_store(company, type_='shipstation', name="Web Store"):
    pool = Pool()
    Shop = pool.get('web.shop')
    shop = Shop(name=name, type=type_, company=company,
        currency=company.currency)
    if type_ == 'shipstation':
        shop.shipstation_api_key = shop.shipstation_api_secret = 'secret'
    shop.save()
    return shop


def create_party(name, email=None, phone=None, postal_code=None):
    pool = Pool()
    Party = pool.get('party.party')
    Mechanism = pool.get('party.contact_mechanism')
    Address = pool.get('party.address')
    party = Party(name=name)
    mechanisms = []
    if email:
        mechanisms.append(Mechanism(type='email', value=email))
    if phone:
        mechanisms.append(Mechanism(type='phone', value=phone))
    party.contact_mechanisms = mechanisms
    party.addresses = [Address(postal_code=postal_code)]
    party.save()
    return party


def create_product(name, code):
    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    unit, = Uom.search([('symbol', '=', 'u')])
    Product = pool.get('product.product')
    template = Template(name=name, type='goods', salable=True,
        default_uom=unit, sale_uom=unit, list_price=0, code=code,
        products=[Product()])
    template.save()
    return template.products[0]


def stage(model, store, rows):
    Staged = Pool().get(model)
    records = Staged.create([dict(row, store=store.id) for row in rows])
    Staged.match(records)
    return Staged.browse(records)


FIRST = ['Ann', 'Bob', 'Cleo', 'Dan', 'Eve', 'Finn', 'Gus', 'Hana', 'Ivo',
    'Jo']
LAST = ['Smith', 'Lopez', 'Nguyen', 'Müller', 'Rossi', 'Khan', 'Ivanova',
    'Sato', 'Dubois', 'Silva', 'Cohen', 'Ortiz']


def person(i):
    return f"{FIRST[i % 10]} {LAST[i // 10 % 12]}"


def customers(store, count, offset=0):
    "Staged customers: some match by email, phone, name+postal, some new"
    rows = []
    for i in range(offset, offset + count):
        rows.append({
                'external_id': f'c{i}',
                'name': person(i),
                'email': f'Customer{i}@Example.com' if i % 4 == 0 else None,
                'phone': f'(415) 555-{i % 10000:04d}' if i % 4 == 1 else None,
                'postal_code': f'{94000 + i}' if i % 4 == 2 else None,
                'country_code': 'US',
                })
    return rows


class RulesTrytonTestCase(_DBTestCase):
    "Matching rules on the ORM"
    module = 'cloud_commerce'

    def rules_in_database(self, shop):
        cursor = Transaction().connection.cursor()
        table = Pool().get('web.shop').__table__()
        cursor.execute(*table.select(
                table.commerce_rules, where=table.id == shop.id))
        return cursor.fetchone()[0]

    def assert_refused(self, shop, text, line, key):
        pool = Pool()
        Shop = pool.get('web.shop')
        Version = pool.get('commerce.rules.version')
        before = self.rules_in_database(shop)
        versions = Version.search([], count=True)
        cursor = Transaction().connection.cursor()
        cursor.execute('SAVEPOINT rules_refused')
        with self.assertRaises(RulesValidationError) as cm:
            Shop.write([shop], {'commerce_rules': text})
        cursor.execute('ROLLBACK TO SAVEPOINT rules_refused')
        message = cm.exception.message
        self.assertIn(f"line {line}", message)
        self.assertIn(f'key "{key}"', message)
        self.assertEqual(self.rules_in_database(shop), before)
        self.assertEqual(Version.search([], count=True), versions)
        return message

    @with_transaction()
    def test_invalid_rules_refused_rules_kept(self):
        "A bad YAML names line and key and the rules in force stay"
        pool = Pool()
        Shop = pool.get('web.shop')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            Shop.write([shop], {'commerce_rules': DISABLE_EMAIL})
            message = self.assert_refused(
                shop, BAD_KEY, 5, 'strategies.customer[0].colour')
            self.assertIn("Extra inputs are not permitted", message)
            self.assert_refused(
                shop, "strategies:\n  customer:\n   - name: x\n  - key: y\n",
                4, '(yaml)')
            self.assert_refused(shop, DISABLE_EMAIL.replace(
                    'disabled: true', 'when: "name =="'),
                5, 'strategies.customer[0].when')
            message = self.assert_refused(
                shop, MISSING_TAX, 5, 'mappings.tax[0].value')
            self.assertIn("California Sales Tax".lower(), message)
            self.assertEqual(self.rules_in_database(shop), DISABLE_EMAIL)

    @with_transaction()
    def test_version_per_change(self):
        "Every change of the rules writes a version with its diff"
        pool = Pool()
        Shop = pool.get('web.shop')
        Version = pool.get('commerce.rules.version')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            Shop.write([shop], {'commerce_rules': DISABLE_EMAIL})
            Shop.write([shop], {'name': "Renamed"})
            changed = DISABLE_EMAIL.replace('true', 'false')
            Shop.write([shop], {'commerce_rules': changed})
            Shop.write([shop], {'commerce_rules': changed})
            second, first = Version.search([('store', '=', shop.id)])
            self.assertEqual(first.rules_before, None)
            self.assertEqual(first.rules_after, DISABLE_EMAIL)
            self.assertEqual(second.rules_before, DISABLE_EMAIL)
            self.assertEqual(second.rules_after, changed)
            self.assertIn('-      disabled: true', second.diff)
            self.assertIn('+      disabled: false', second.diff)
            self.assertEqual(second.user.id, Transaction().user)
            self.assertTrue(second.date)

    @with_transaction()
    def test_change_rematches_pending(self):
        "Saving rules re-evaluates the pending records of the store"
        pool = Pool()
        Shop = pool.get('web.shop')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            party = create_party("Jane Doe", email='jane@example.com')
            jane, = stage('commerce.customer', shop, [{
                        'external_id': '1', 'name': "Jane Doe",
                        'email': 'JANE@example.com '}])
            self.assertEqual(
                (jane.match_state, jane.party), ('matched', party))
            Shop.write([shop], {'commerce_rules': DISABLE_EMAIL})
            self.assertEqual(jane.match_state, 'suggested')
            self.assertEqual(jane.party, None)
            Shop.write([shop], {'commerce_rules': None})
            self.assertEqual(jane.match_state, 'matched')

    @with_transaction()
    def test_preview_counts_without_saving(self):
        "Preview counts what the typed rules would change and saves nothing"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        Preview = pool.get('commerce.rules.preview', type='wizard')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            for i in range(3):
                create_party(f"Jane {i} Doe", email=f'jane{i}@example.com')
            staged = stage('commerce.customer', shop, [{
                        'external_id': str(i), 'name': f"Jane {i} Doe",
                        'email': f'jane{i}@example.com'} for i in range(3)]
                + [{'external_id': 'new', 'name': "Nobody",
                        'email': 'nobody@example.com'}])
            counts = Matcher.preview(shop, DISABLE_EMAIL)
            self.assertEqual(counts['customer'], Counter({
                        'matched -> suggested': 3, 'unchanged': 1}))
            self.assertEqual(counts['item'], Counter())
            self.assertEqual(self.rules_in_database(shop), None)
            self.assertEqual(
                [s.match_state for s in staged], ['matched'] * 3
                + ['not_matched'])

            session_id, _, _ = Preview.create()
            with Transaction().set_context(
                    active_model='web.shop', active_id=shop.id,
                    active_ids=[shop.id]):
                preview = Preview(session_id)
                preview.transition_init()
                preview.start.rules = DISABLE_EMAIL
                preview.transition_preview()
                self.assertIn(
                    "customers: 3 matched → suggested, 1 unchanged",
                    preview.start.summary)
                preview.start.rules = BAD_KEY
                preview.transition_preview()
                self.assertIn("line 5", preview.start.summary)
            self.assertEqual(self.rules_in_database(shop), None)

    def count_searches(self, store, rows):
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        Customer = pool.get('commerce.customer')
        counts = Counter()
        patches = []
        for name in ['party.party', 'party.contact_mechanism',
                'party.address', 'commerce.customer', 'web.shop']:
            Model = pool.get(name)

            def counting(*args, _name=name, _search=Model.search, **kw):
                counts[_name] += 1
                return _search(*args, **kw)
            patches.append(patch.object(Model, 'search', counting))
        select_ids = Matcher._select_ids

        def counting_select(*args, **kw):
            counts['sql'] += 1
            return select_ids(*args, **kw)
        patches.append(patch.object(Matcher, '_select_ids', counting_select))
        records = Customer.create([dict(r, store=store.id) for r in rows])
        for patcher in patches:
            patcher.start()
        try:
            Matcher.match(Customer, Customer.browse(records),
                documents=False)
        finally:
            for patcher in patches:
                patcher.stop()
        return counts, Customer.browse(records)

    @with_transaction()
    def test_batched_lookups(self):
        "Look-up queries do not grow with the staged records; same answers"
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            for i in range(0, 110, 3):
                create_party(person(i),
                    email=f'customer{i}@example.com',
                    phone=f'+1 415 555 {i:04d}',
                    postal_code=f'{94000 + i}-1234')
            create_party("Finn Smyth")
            small, _ = self.count_searches(shop, customers(shop, 10))
            large, records = self.count_searches(
                shop, customers(shop, 100, offset=10))
            self.assertEqual(small, large)
            self.assertLessEqual(sum(large.values()), 12)
            states = Counter(r.match_state for r in records)
            self.assertTrue(states['matched'] >= 20, states)
            self.assertTrue(states['not_matched'] >= 20, states)

            # The decisions equal those of every party read in memory
            existing = {p['id']: {'id': p['id'], 'name': p['name'],
                    'emails': [], 'phones': [], 'addresses': []}
                for p in Party.search_read([], fields_names=['name'])}
            for row in Mechanism.search_read(
                    [], fields_names=['party', 'type', 'value']):
                key = 'emails' if row['type'] == 'email' else 'phones'
                existing[row['party']][key].append(row['value'])
            for row in Address.search_read(
                    [], fields_names=['party', 'postal_code']):
                existing[row['party']]['addresses'].append(
                    {'postal_code': row['postal_code']})
            index = CandidateIndex.from_records(
                'customer', list(existing.values()))
            Matcher = pool.get('commerce.matcher')
            ruleset = Matcher.ruleset(shop)
            for record in records:
                decision = ruleset.evaluate('customer',
                    Matcher.staged_view(shop, record), index)
                self.assertEqual(
                    (record.match_state, record.match_explanation),
                    (decision.state, decision.explanation), record.name)

    @with_transaction()
    def test_link_applies_to_same_key(self):
        "Linking by hand links the pending records of the same SKU"
        pool = Pool()
        Item = pool.get('commerce.item')
        Customer = pool.get('commerce.customer')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            product = create_product("Mug", 'MUG-1')
            first, second, other = stage('commerce.item', shop, [
                    {'external_id': '1', 'name': "Blue mug", 'sku': 'bm-7'},
                    {'external_id': '2', 'name': "Mug blue",
                        'sku': ' BM-7 '},
                    {'external_id': '3', 'name': "Red mug", 'sku': 'RM-7'},
                    ])
            self.assertEqual(second.match_state, 'not_matched')
            Item.link([first], product)
            self.assertEqual(second.product, product)
            self.assertEqual(
                (second.match_state, second.ready, second.match_rule),
                ('matched', True, 'manual'))
            self.assertIn("Blue mug", second.match_explanation)
            self.assertEqual(other.product, None)

            party = create_party("Someone Else")
            jane, jane2 = stage('commerce.customer', shop, [
                    {'external_id': 'a', 'name': "Jane", 'email': 'j@x.org'},
                    {'external_id': 'b', 'name': "J. D.",
                        'email': 'J@X.org'},
                    ])
            Customer.link([jane], party)
            self.assertEqual(jane2.party, party)

    @with_transaction()
    def test_near_sku_same_name_is_suggested(self):
        "A product known under a near SKU is proposed, never matched"
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            product = create_product("Notebook A5 - Lined", 'NB-A5-LN')
            item, = stage('commerce.item', shop, [
                    {'external_id': '1', 'name': "Notebook A5 - Lined",
                        'sku': 'NB-A5-LIN'}])
            self.assertEqual(item.match_state, 'suggested')
            self.assertFalse(item.ready)
            self.assertIsNone(item.product)
            self.assertIn("Notebook A5 - Lined", item.match_explanation)
            self.assertNotEqual(product.code, item.sku)

    @with_transaction()
    def test_add_new_by_hand(self):
        "Add New clears a suggestion and makes the record ready"
        pool = Pool()
        Customer = pool.get('commerce.customer')
        AddNew = pool.get('commerce.add_new', type='wizard')
        company = create_company()
        with set_company(company):
            shop = create_store(company)
            create_party("Jane Doe", email='jane@example.com')
            jane, john = stage('commerce.customer', shop, [
                    {'external_id': '1', 'name': "Jane Doe"},
                    {'external_id': '2', 'name': "Jane Doe"},
                    ])
            self.assertEqual(
                (jane.match_state, jane.ready), ('suggested', False))
            Customer.add_new([jane])
            self.assertEqual(
                (jane.match_state, jane.action, jane.ready, jane.party),
                ('not_matched', 'add_new', True, None))
            self.assertTrue(jane.match_explanation.startswith(
                    "Set to ADD NEW by "))
            Customer.match([jane])
            self.assertEqual(jane.action, 'add_new')

            session_id, _, _ = AddNew.create()
            with Transaction().set_context(
                    active_model='commerce.customer', active_id=john.id,
                    active_ids=[john.id]):
                AddNew(session_id).transition_start()
            self.assertEqual((john.action, john.ready), ('add_new', True))

    @with_transaction()
    def test_cross_source_duplicate_one_party(self):
        "One person from ShipStation and Square becomes one party"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        Approver = pool.get('commerce.approver')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            shipstation = create_store(company, 'shipstation', "Web")
            square = create_store(company, 'square', "Shop")
            web, = stage('commerce.customer', shipstation, [{
                        'external_id': 'ss-1', 'name': "Zoë Martin",
                        'email': 'Zoe.Martin@Example.com',
                        'phone': '(415) 555-0199', 'country_code': 'US'}])
            pos, = stage('commerce.customer', square, [{
                        'external_id': 'SQ-1', 'name': "Zoe Martin",
                        'email': 'zoe.martin@example.com',
                        'phone': '+1 415-555-0199'}])
            self.assertEqual(
                [(r.match_state, r.party) for r in [web, pos]],
                [('not_matched', None)] * 2)
            groups = group_duplicates([Matcher.staged_view(s, r)
                    for s, r in [(shipstation, web), (square, pos)]])
            self.assertEqual(len(groups), 1)
            self.assertEqual(len(groups[0]), 2)

            parties = Party.search([], count=True)
            Approver.approve_records([web], {})
            Approver.approve_records([pos], {})
            self.assertEqual(Party.search([], count=True), parties + 1)
            self.assertTrue(web.party)
            self.assertEqual(pos.party, web.party)
            self.assertEqual(pos.match_rule, 'same_email')

            # Without the e-mail the E.164 phone joins them as well
            phone_only, = stage('commerce.customer', square, [{
                        'external_id': 'SQ-2', 'name': "Zoe Martin",
                        'phone': '415.555.0199'}])
            self.assertEqual(phone_only.party, web.party)
            self.assertEqual(phone_only.match_rule, 'same_phone')


del _DBTestCase
