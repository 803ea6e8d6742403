# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The Tryton side of the matching rules: candidates looked up in batches,
one query per key set, and decisions stored on the staged records."""
from collections import defaultdict

from sql.functions import Function, Lower, Substring, Trim, Upper

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool
from trytond.tools import escape_wildcard, grouped_slice
from trytond.transaction import Transaction

from ..rules.engine import (
    MATCHED,
    NOT_MATCHED,
    SUGGESTED,
    Candidate,
    CandidateIndex,
    Candidates,
    RuleSet,
    preview,
)
from ..rules.keys import KEYS, existing_lookup_values

DOCUMENT_MODELS = ['commerce.order', 'commerce.cash_sale']
# Locations first: documents need them; customers and items follow
STAGED_MODELS = [
    'commerce.location', 'commerce.customer', 'commerce.item',
    'commerce.sales_person']
# The field of the staged records that share one target when linked by hand
SAME_KEY_FIELDS = {'commerce.customer': 'email', 'commerce.item': 'sku'}
GTIN_TYPES = ['ean', 'upc', 'gtin', 'isbn']
# Values per query: the databases limit the parameters of one query and
# SQLite the depth of an expression (a chain of OR)
BATCH = backend.MAX_QUERY_PARAMS
WORDS_BATCH = max(1, backend.MAX_QUERY_PARAMS // 2)
# Fuzzy look-ups only suggest: read at most so many records per batch
NAME_WORD_LIMIT = 2000
KIND_LABELS = {
    'customer': "customers",
    'item': "items",
    'location': "locations",
    'sales_person': "sales people",
    }
STATE_LABELS = {
    MATCHED: "matched",
    SUGGESTED: "suggested",
    NOT_MATCHED: "not matched",
    }


class Replace(Function):
    __slots__ = ()
    _function = 'REPLACE'


class Matcher(Model):
    "Cloud Commerce Matcher"
    __name__ = 'commerce.matcher'

    @classmethod
    def ruleset(cls, store, text=None):
        "The rules in force for the store, or those of the text if given"
        base = RuleSet.default()
        override = getattr(store, 'commerce_rules', None)
        if text is not None:
            override = text
        if override and override.strip():
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
        candidates = cls.candidates(
            kind, store, ruleset.keys_needed(kind, views), ruleset.context)
        decisions = {}
        locations = {}
        for record, view in zip(records, views):
            decision = ruleset.evaluate(kind, view, candidates)
            decisions[record] = cls.decision_values(Staged, decision)
            if kind == 'location':
                decisions[record].update(cls._location_values(
                        ruleset, store, record, decision, locations))
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

    @classmethod
    def pending(cls, Staged, store):
        "The pending records of the store that the rules decide"
        return [r for r in Staged.search([
                    ('store', '=', store.id),
                    ('state', '=', 'pending'),
                    ])
            if r.match_rule != 'manual']

    @classmethod
    def rematch_store(cls, store):
        "Re-evaluate every pending record of the store (rules changed)"
        pool = Pool()
        for name in STAGED_MODELS:
            Staged = pool.get(name)
            records = cls.pending(Staged, store)
            if records:
                cls._match_store(Staged, store, records)
        cls.rematch_documents(store)

    @classmethod
    def preview(cls, store, text):
        """{kind: Counter} of what the rules of the text would change in the
        store's pending records; raise RuleSetError if the text is invalid"""
        pool = Pool()
        old, new = cls.ruleset(store), cls.ruleset(store, text)
        result = {}
        for name in STAGED_MODELS:
            Staged = pool.get(name)
            kind = Staged._canonical_kind
            views = [cls.staged_view(store, r)
                for r in cls.pending(Staged, store)]
            needed = old.keys_needed(kind, views)
            for key, values in new.keys_needed(kind, views).items():
                needed.setdefault(key, set()).update(values)
            candidates = cls.candidates(kind, store, needed, new.context)
            result[kind] = preview(old, new, kind, views, candidates)
        return result

    @staticmethod
    def preview_summary(counts):
        "One line per kind: '3 suggested → matched, ...'"
        lines = []
        for kind, changes in counts.items():
            parts = []
            for change, count in sorted(changes.items()):
                if change == 'unchanged':
                    continue
                if ' -> ' in change:
                    before, after = change.split(' -> ')
                    text = (f"{STATE_LABELS[before]} → "
                        f"{STATE_LABELS[after]}")
                else:
                    before = change.split(':')[0]
                    text = f"{STATE_LABELS[before]}, other record"
                parts.append(f"{count} {text}")
            unchanged = changes.get('unchanged', 0)
            parts.append(f"{unchanged} unchanged")
            lines.append(f"{KIND_LABELS[kind]}: {', '.join(parts)}")
        return '\n'.join(lines)

    @classmethod
    def link_same_key(cls, Staged, records, target):
        """Link to the target the other pending records of the stores that
        share the key (email, SKU) of the records linked by hand"""
        name = SAME_KEY_FIELDS.get(Staged.__name__)
        if not name:
            return []
        by_store = defaultdict(dict)
        for record in records:
            key = record.target_key()
            if key:
                by_store[record.store][key] = record
        ids = {r.id for r in records}
        user = Staged._current_user_name()
        to_write, linked = [], []
        for store, by_key in by_store.items():
            others = Staged.search([
                    ('store', '=', store.id),
                    ('state', '=', 'pending'),
                    ('id', 'not in', list(ids)),
                    ['OR'] + [(name, 'ilike', f'%{escape_wildcard(k)}%')
                        for k in by_key],
                    ])
            for other in others:
                source = by_key.get(other.target_key())
                if source is None or other.match_rule == 'manual':
                    continue
                linked.append(other)
                to_write.extend(([other], {
                            Staged._target_field: target.id,
                            'match_state': 'matched',
                            'action': 'match',
                            'ready': True,
                            'match_rule': 'manual',
                            'match_explanation': gettext(
                                'cloud_commerce.msg_linked_same_key',
                                key=getattr(other, name),
                                record=source.rec_name,
                                target=target.rec_name,
                                user=user)[:255],
                            }))
        if to_write:
            Staged.write(*to_write)
        return linked

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
    def _location_values(cls, ruleset, store, record, decision, cache):
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
            code = mapped.value if mapped else None
            if ('warehouse', code) not in cache:
                cache['warehouse', code] = Location.search([
                        ('type', '=', 'warehouse'),
                        ('code', '=', code),
                        ], limit=1) if mapped else []
            warehouses = cache['warehouse', code]
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
            if ('point', record.name) not in cache:
                cache['point', record.name] = Point.search([
                        ('company', '=', store.company.id),
                        ('name', '=', record.name),
                        ], limit=1)
            points = cache['point', record.name]
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

    # -- candidates ----------------------------------------------------

    @classmethod
    def candidates(cls, kind, store, needed, context):
        """The candidates of the keys needed ({lookup key: values}), looked
        up with one query per key set"""
        lookup = getattr(cls, f'_lookup_{kind}', None)
        if lookup is not None:
            found, names = lookup(store, needed)
            return cls._build_candidates(kind, needed, context, found, names)
        # Few records (warehouses, employees): read them all at once
        existing = getattr(cls, f'_existing_{kind}')(store)
        return CandidateIndex.from_records(
            kind, existing, context.phone_region).lookup(needed)

    @staticmethod
    def _build_candidates(kind, needed, context, found, names):
        """Candidates from found (key name, target id, partial record) rows,
        each keeping the values of the key that were needed"""
        candidates = Candidates()
        for key_name, target_id, partial in found:
            if target_id not in names:
                # Inactive, or not salable
                continue
            key = KEYS[kind][key_name]
            wanted = needed.get(key.lookup_name, ())
            record = dict(partial, id=target_id, name=names[target_id])
            for value in existing_lookup_values(key, record, context):
                if value in wanted:
                    candidates.add(key.lookup_name, value, Candidate(
                            target_id, names[target_id]))
        return candidates

    @staticmethod
    def _select_ids(Model, condition, values):
        "Ids of the rows for which condition(table, chunk) holds"
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        ids = []
        for sub_values in grouped_slice(sorted(values), BATCH):
            cursor.execute(*table.select(
                    table.id, where=condition(table, list(sub_values))))
            ids.extend(i for i, in cursor)
        return ids

    @staticmethod
    def _search_read(Model, domain, ids, fields_names):
        rows = []
        for sub_ids in grouped_slice(ids, BATCH):
            rows.extend(Model.search_read(
                    domain + [('id', 'in', list(sub_ids))],
                    fields_names=fields_names))
        return rows

    @classmethod
    def _linked(cls, model, target_field, values):
        "(key, target, partial) of the targets already linked to external ids"
        pool = Pool()
        Staged = pool.get(model)
        Shop = pool.get('web.shop')
        if not values:
            return []
        external_ids = {v.partition(':')[2] for v in values}
        rows = []
        for sub_ids in grouped_slice(sorted(external_ids), BATCH):
            rows.extend(Staged.search_read([
                        (target_field, '!=', None),
                        ['OR',
                            ('state', '=', 'approved'),
                            ('match_rule', '=', 'manual'),
                            ],
                        ('external_id', 'in', list(sub_ids)),
                        ],
                    fields_names=[target_field, 'external_id', 'store']))
        types = {s.id: s.type for s in Shop.browse(
                list({r['store'] for r in rows}))}
        return [('external_id', r[target_field], {'external_ids': [
                        f"{types[r['store']]}:{r['external_id']}"]})
            for r in rows]

    @classmethod
    def _lookup_customer(cls, store, needed):
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        found = cls._linked(
            'commerce.customer', 'party', needed.get('external_id'))
        if needed.get('email'):
            ids = cls._select_ids(Mechanism, lambda t, values: (
                    (t.type == 'email') & Lower(t.value).in_(values)),
                needed['email'])
            found += [('email', r['party'], {'emails': [r['value']]})
                for r in cls._search_read(
                    Mechanism, [], ids, ['party', 'value'])]
        if needed.get('phone_e164'):
            for values in grouped_slice(sorted(needed['phone_e164']), BATCH):
                found += [('phone_e164', r['party'], {'phones': [r['value']]})
                    for r in Mechanism.search_read([
                            ('type', 'in', ['phone', 'mobile']),
                            ('value_compact', 'in', list(values)),
                            ], fields_names=['party', 'value'])]
        if needed.get('name_postal'):
            postals = {v.rpartition('|')[2] for v in needed['name_postal']}
            fives = [p for p in postals if len(p) == 5 and p.isdigit()]

            def same_postal(table, values):
                code = Upper(Replace(Replace(
                            Trim(table.postal_code), ' ', ''), '-', ''))
                condition = code.in_(values)
                if fives:
                    # US ZIP+4 (12345-6789) is the ZIP code 12345
                    condition |= Substring(code, 1, 5).in_(fives)
                return condition
            ids = cls._select_ids(Address, same_postal, postals)
            found += [('name_postal', r['party'], {'addresses': [{
                                'postal_code': r['postal_code'],
                                'country': (r.get('country.') or {}).get(
                                    'code'),
                                }]})
                for r in cls._search_read(Address, [], ids,
                    ['party', 'postal_code', 'country.code'])]
        if needed.get('name_word'):
            found += [('similar_name', r['id'], {})
                for r in cls._name_word_rows(
                    Party, [], 'name', needed['name_word'])]
        party_ids = sorted({f[1] for f in found})
        names = {r['id']: r['name'] for r in cls._search_read(
                Party, [], party_ids, ['name'])}
        return found, names

    @staticmethod
    def _name_word_rows(Model, domain, name, words):
        "Records whose name holds one of the words, at most NAME_WORD_LIMIT"
        rows = []
        for sub_words in grouped_slice(sorted(words), WORDS_BATCH):
            rows.extend(Model.search_read(domain + [['OR'] + [
                            (name, 'ilike', f'%{escape_wildcard(w)}%')
                            for w in sub_words]],
                    limit=NAME_WORD_LIMIT - len(rows),
                    fields_names=['id']))
            if len(rows) >= NAME_WORD_LIMIT:
                break
        return rows

    @classmethod
    def _lookup_item(cls, store, needed):
        pool = Pool()
        Product = pool.get('product.product')
        Identifier = pool.get('product.identifier')
        found = cls._linked(
            'commerce.item', 'product', needed.get('external_id'))
        codes = needed.get('sku', set()) | needed.get('code', set())
        if codes:
            ids = cls._select_ids(Product, lambda t, values: (
                    Lower(Trim(t.code)).in_(values)), codes)
            for row in cls._search_read(Product, [], ids, ['code']):
                for key in ['sku', 'code']:
                    if needed.get(key):
                        found.append((key, row['id'], {
                                    'sku': row['code'], 'code': row['code']}))
        if needed.get('gtin'):
            variants = set()
            for gtin in needed['gtin']:
                # GTIN-14 of the UPC-A, EAN-13 and EAN-8 that may be stored
                variants.update({gtin, gtin[1:], gtin[2:]})
                if gtin.startswith('000000'):
                    variants.add(gtin[6:])
            for sub_codes in grouped_slice(sorted(variants), BATCH):
                found += [('gtin', r['product'], {'gtins': [r['code']]})
                    for r in Identifier.search_read([
                            ('type', 'in', GTIN_TYPES),
                            ('code', 'in', list(sub_codes)),
                            ], fields_names=['product', 'code'])]
        if needed.get('name_word'):
            found += [('similar_name', r['id'], {})
                for r in cls._name_word_rows(Product, [
                            ('salable', '=', True),
                            ], 'rec_name', needed['name_word'])]
        product_ids = sorted({f[1] for f in found})
        # The plain name, without the code: fuzzy scores compare names
        names = {r['id']: (r.get('template.') or {}).get('name')
            or r['rec_name'] for r in cls._search_read(
                Product, [('salable', '=', True)], product_ids,
                ['rec_name', 'template.name'])}
        return found, names

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
