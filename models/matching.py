# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The Tryton side of the matching rules: candidates looked up in bulk,
decisions stored on the staged records."""
from collections import defaultdict

from trytond.model import Model
from trytond.pool import Pool

from ..rules.engine import CandidateIndex, RuleSet

DOCUMENT_MODELS = ['commerce.order', 'commerce.cash_sale']


class Matcher(Model):
    "Cloud Commerce Matcher"
    __name__ = 'commerce.matcher'

    @classmethod
    def ruleset(cls, store):
        base = RuleSet.default()
        override = getattr(store, 'commerce_rules', None)
        if override:
            return RuleSet.merge(base, override, f'store {store.rec_name}')
        return base

    @classmethod
    def match(cls, Staged, records, documents=True):
        "Evaluate the rules on the staged records and store the decisions"
        by_store = defaultdict(list)
        for record in records:
            by_store[record.store].append(record)
        for store, store_records in by_store.items():
            cls._match_store(Staged, store, store_records)
            if documents:
                cls.rematch_documents(store)

    @classmethod
    def _match_store(cls, Staged, store, records):
        kind = Staged._canonical_kind
        ruleset = cls.ruleset(store)
        views = [cls.staged_view(store, r) for r in records]
        candidates = cls.candidates(kind, store)
        decisions = {}
        for record, view in zip(records, views):
            decision = ruleset.evaluate(kind, view, candidates)
            decisions[record] = cls.decision_values(Staged, decision)
            if kind == 'location':
                decisions[record].update(
                    cls._location_values(ruleset, store, record, decision))
        Staged.set_decisions(decisions)

    @classmethod
    def rematch_documents(cls, store):
        "Re-evaluate the pending documents: fix once, apply to all"
        pool = Pool()
        for name in DOCUMENT_MODELS:
            Document = pool.get(name)
            documents = Document.search([
                    ('store', '=', store.id),
                    ('state', '=', 'pending'),
                    ])
            Document.match(documents)

    @staticmethod
    def decision_values(Staged, decision):
        matched = decision.state == 'matched'
        return {
            'match_state': decision.state,
            'action': 'match' if matched else 'add_new',
            Staged._target_field: decision.candidate_id if matched else None,
            'match_rule': decision.rule_name,
            'match_explanation': decision.explanation[:255],
            'ready': decision.state != 'suggested',
            }

    @classmethod
    def _location_values(cls, ruleset, store, record, decision):
        pool = Pool()
        Location = pool.get('stock.location')
        Point = pool.get('sale.point')
        values = {}
        if decision.state != 'matched':
            mapped = ruleset.map('marketplace_location', {
                    'location_type': record.location_type,
                    'name': record.name,
                    'marketplace': record.marketplace,
                    })
            warehouses = Location.search([
                    ('type', '=', 'warehouse'),
                    ('code', '=', mapped.value if mapped else None),
                    ], limit=1) if mapped else []
            warehouse = warehouses[0] if warehouses else store.warehouse
            if warehouse:
                values.update({
                        'warehouse': warehouse.id,
                        'match_state': 'matched',
                        'action': 'match',
                        'ready': True,
                        'match_rule': mapped.rule_name if mapped else None,
                        'match_explanation': (
                            f"{record.name} is sold from warehouse "
                            f"{warehouse.rec_name}"),
                        })
        if record.location_type == 'pos':
            points = Point.search([
                    ('company', '=', store.company.id),
                    ('name', '=', record.name),
                    ], limit=1)
            values['point'] = points[0].id if points else None
        return values

    @staticmethod
    def staged_view(store, record):
        "The staged record as the rules engine reads it"
        view = {
            'source': store.type,
            'external_id': record.external_id,
            'name': getattr(record, 'name', None),
            }
        for name in ['email', 'phone', 'sku', 'upc', 'location_type',
                'marketplace']:
            if hasattr(record, name):
                view[name] = getattr(record, name)
        if hasattr(record, 'postal_code'):
            view['address'] = {
                'postal_code': record.postal_code,
                'country': record.country_code,
                'phone': record.phone,
                }
        return view

    @classmethod
    def candidates(cls, kind, store):
        "Return the candidate index of the kind, read in bulk"
        existing = getattr(cls, f'_existing_{kind}')(store)
        return CandidateIndex.from_records(kind, existing)

    @classmethod
    def _linked_external_ids(cls, model, target_field):
        pool = Pool()
        Staged = pool.get(model)
        linked = defaultdict(list)
        for row in Staged.search_read([
                    (target_field, '!=', None),
                    ['OR',
                        ('state', '=', 'approved'),
                        ('match_rule', '=', 'manual'),
                        ],
                    ], fields_names=[target_field, 'external_id', 'store']):
            linked[row[target_field]].append(row)
        stores = {}
        if linked:
            Shop = pool.get('web.shop')
            store_ids = {r['store'] for rows in linked.values() for r in rows}
            stores = {s.id: s.type for s in Shop.browse(list(store_ids))}
        return {target: [f"{stores[r['store']]}:{r['external_id']}"
                for r in rows] for target, rows in linked.items()}

    @classmethod
    def _existing_customer(cls, store):
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        parties = {p['id']: {
                'id': p['id'], 'name': p['name'], 'emails': [],
                'phones': [], 'addresses': [], 'external_ids': []}
            for p in Party.search_read([], fields_names=['name'])}
        for row in Mechanism.search_read([
                    ('type', 'in', ['email', 'phone', 'mobile']),
                    ], fields_names=['party', 'type', 'value']):
            key = 'emails' if row['type'] == 'email' else 'phones'
            if row['party'] in parties:
                parties[row['party']][key].append(row['value'])
        for row in Address.search_read(
                [], fields_names=['party', 'postal_code', 'country.code']):
            if row['party'] in parties:
                parties[row['party']]['addresses'].append({
                        'postal_code': row['postal_code'],
                        'country': (row.get('country.') or {}).get('code'),
                        })
        linked = cls._linked_external_ids('commerce.customer', 'party')
        for party_id, external_ids in linked.items():
            if party_id in parties:
                parties[party_id]['external_ids'] = external_ids
        return list(parties.values())

    @classmethod
    def _existing_item(cls, store):
        pool = Pool()
        Product = pool.get('product.product')
        Identifier = pool.get('product.identifier')
        products = {p['id']: {
                'id': p['id'], 'name': p['rec_name'], 'code': p['code'],
                'sku': p['code'], 'gtins': [], 'external_ids': []}
            for p in Product.search_read([
                    ('salable', '=', True),
                    ], fields_names=['rec_name', 'code'])}
        for row in Identifier.search_read([
                    ('type', 'in', ['ean', 'upc', 'gtin', 'isbn']),
                    ], fields_names=['product', 'code']):
            if row['product'] in products:
                products[row['product']]['gtins'].append(row['code'])
        linked = cls._linked_external_ids('commerce.item', 'product')
        for product_id, external_ids in linked.items():
            if product_id in products:
                products[product_id]['external_ids'] = external_ids
        return list(products.values())

    @classmethod
    def _existing_location(cls, store):
        pool = Pool()
        Location = pool.get('stock.location')
        warehouses = [{
                'id': w['id'], 'name': w['name'], 'type': 'warehouse',
                'external_ids': []}
            for w in Location.search_read([
                    ('type', '=', 'warehouse'),
                    ], fields_names=['name'])]
        linked = cls._linked_external_ids('commerce.location', 'warehouse')
        for warehouse in warehouses:
            warehouse['external_ids'] = linked.get(warehouse['id'], [])
        return warehouses

    @classmethod
    def _existing_sales_person(cls, store):
        pool = Pool()
        Employee = pool.get('company.employee')
        employees = Employee.search([
                ('company', '=', store.company.id),
                ])
        linked = cls._linked_external_ids(
            'commerce.sales_person', 'employee')
        return [{
                'id': e.id, 'name': e.party.name,
                'emails': [m.value for m in e.party.contact_mechanisms
                    if m.type == 'email'],
                'phones': [m.value for m in e.party.contact_mechanisms
                    if m.type in {'phone', 'mobile'}],
                'external_ids': linked.get(e.id, []),
                } for e in employees]
