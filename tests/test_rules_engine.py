import datetime as dt
from decimal import Decimal

import pytest

from trytond.modules.cloud_commerce.connectors.records import (
    Address,
    CashSale,
    CashSaleLine,
    Customer,
    Item,
    Order,
    OrderLine,
)
from trytond.modules.cloud_commerce.rules import (
    CandidateIndex,
    Candidates,
    RuleSet,
    group_duplicates,
    normalize,
    preview,
)

NOW = dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
PARTIES = [
    {'id': 1, 'name': 'Jane Doe', 'email': 'jane@x.com',
        'phone': '+1 415 555 0100', 'postal_code': '94103', 'country': 'US'},
    {'id': 2, 'name': 'Maria Garcia', 'email': 'family@x.com',
        'phone': '+1 512 555 0101', 'postal_code': '78701'},
    {'id': 3, 'name': 'Luis Garcia', 'email': 'family@x.com',
        'phone': '+1 512 555 0102', 'postal_code': '78701'},
    {'id': 4, 'name': 'John Smith', 'postal_code': '10001'},
    {'id': 5, 'name': 'John Smith', 'postal_code': '60601'},
    ]


def customer(**values):
    values.setdefault('source', 'square')
    values.setdefault('external_id', 'C1')
    return Customer(modified_at=NOW, **values)


@pytest.fixture(scope='module')
def rules():
    return RuleSet.default()


@pytest.fixture(scope='module')
def parties():
    return CandidateIndex.from_records('customer', PARTIES)


def test_normalizers():
    assert normalize.email(' Jane@X.COM ') == 'jane@x.com'
    assert normalize.email('j.ane@gmail.com') != normalize.email(
        'jane@gmail.com')
    assert normalize.phone_e164('415.555.0100') == '+14155550100'
    assert normalize.phone_e164('00 44 20 7946 0123') == '+442079460123'
    assert normalize.phone_e164('020 7946 0123', 'GB') == '+442079460123'
    assert normalize.phone_e164('555-0100') is None
    assert normalize.gtin14('012345678905') == normalize.gtin14(
        '0012345678905') == '00012345678905'
    assert normalize.gtin14('012345678901') is None
    assert normalize.sku(' Ab-1 ') == 'ab-1' != normalize.sku('ab1')
    assert normalize.postal_code('94103-1234') == '94103'
    assert normalize.postal_code('sw1a 1aa', 'GB') == 'SW1A1AA'
    assert normalize.name_keys('Jose\u0301 Mun\u0303oz') == (
        normalize.name_keys('JOSÉ  MUÑOZ'))
    assert normalize.name_keys('山田 太郎') & normalize.name_keys('山田太郎')


def test_keys_needed_batches_every_record(rules):
    records = [
        customer(name='Jane', email='JANE@x.com'),
        customer(name='Bob', external_id='C2', phone='(415) 555-0100',
            address=Address(postal_code='94103-0001')),
        ]
    needed = rules.keys_needed('customer', records)
    assert needed['email'] == {'jane@x.com'}
    assert needed['phone_e164'] == {'+14155550100'}
    assert needed['external_id'] == {'square:C1', 'square:C2'}
    assert {'bob|94103'} == needed['name_postal']


def test_match_explains(rules, parties):
    decision = rules.evaluate(
        'customer', customer(name='Jane', email=' JANE@x.com'), parties)
    assert (decision.state, decision.action) == ('matched', 'MATCH')
    assert decision.candidate_id == 1
    assert decision.rule_name == 'same_email'
    assert decision.explanation == (
        "email jane@x.com equals party Jane Doe's email")


def test_host_candidates_as_plain_dicts(rules):
    candidates = Candidates(
        {'email': {'jane@x.com': [{'id': 9, 'name': 'Jane D'}]}})
    decision = rules.evaluate(
        'customer', {'name': 'Jane', 'email': 'Jane@x.com'}, candidates)
    assert decision.matched and decision.candidate_id == 9


def test_ambiguous_email_never_matches(rules, parties):
    decision = rules.evaluate(
        'customer', customer(name='Garcia', email='family@x.com'), parties)
    assert decision.state == 'suggested'
    assert decision.action == 'ADD NEW'
    assert decision.candidate_id is None
    assert set(decision.alternatives) == {2, 3}
    assert 'shared by 2 parties' in decision.explanation


def test_ambiguity_falls_through_to_weaker_rule(rules, parties):
    decision = rules.evaluate('customer', customer(
            name='Luis Garcia', email='family@x.com',
            phone='512-555-0102'), parties)
    assert decision.matched and decision.candidate_id == 3
    assert decision.rule_name == 'same_phone'
    assert 'shared by 2 parties' in decision.explanation


def test_weaker_rule_cannot_leave_the_ambiguous_set(rules, parties):
    decision = rules.evaluate('customer', customer(
            name='Jane Doe', email='family@x.com', phone='415 555 0100'),
        parties)
    assert not decision.matched


def test_same_name_two_postal_codes(rules, parties):
    def decide(postal):
        return rules.evaluate('customer', customer(
                name='john  SMITH',
                address=Address(postal_code=postal)), parties)
    assert decide('60601-1111').candidate_id == 5
    assert decide('10001').candidate_id == 4
    assert not decide('94110').matched
    guest = rules.evaluate('customer', customer(name='John Smith'), parties)
    assert not guest.matched


def test_household_phone_only_suggests(rules, parties):
    decision = rules.evaluate('customer', customer(
            name='Robert Roe', phone='4155550100'), parties)
    assert decision.state == 'suggested' and decision.candidate_id == 1
    assert 'names differ' in decision.explanation


def test_fuzzy_name_only_suggests(rules, parties):
    decision = rules.evaluate('customer', customer(name='Jane Doe'), parties)
    assert decision.state == 'suggested' and decision.action == 'ADD NEW'
    assert decision.candidate_id == 1


def test_items(rules):
    products = CandidateIndex.from_records('item', [
        {'id': 'A', 'name': 'Blue Shirt M', 'code': 'TSH-BLU-M'},
        {'id': 'B', 'name': 'Mug', 'ean': '0012345678905'},
        ])

    def item(**values):
        return Item(source='shipstation', external_id='I', modified_at=NOW,
            **values)
    sku = rules.evaluate('item', item(name='x', sku=' tsh-blu-m '), products)
    assert sku.candidate_id == 'A' and sku.matched
    upc = rules.evaluate('item', item(name='x', upc='012345678905'), products)
    assert upc.candidate_id == 'B' and upc.matched
    inner = rules.evaluate(
        'item', item(name='Blue Shirt M', sku='TSHBLUM'), products)
    assert not inner.matched and inner.candidate_id == 'A'


def test_group_duplicates_across_sources(rules):
    records = [
        customer(source='shipstation', external_id='1', name='Ana Núñez',
            email='ana@x.com', phone='+1 503 555 0300'),
        customer(external_id='2', name='Ana Nunez', phone='503.555.0300'),
        customer(external_id='3', name='Bob Roe', email='family@y.com'),
        customer(external_id='4', name='Alice Zed', email='family@y.com'),
        customer(external_id='5', name='Carl Moe'),
        ]
    groups = group_duplicates(records, rules)
    assert [sorted(r.external_id for r in g) for g in groups] == [['1', '2']]


def test_cross_source_same_candidate(rules, parties):
    shipstation = customer(source='shipstation', external_id='77',
        name='Jane Doe', email='jane@x.com')
    square = customer(name='Jane Doe', phone='+1 (415) 555-0100')
    assert {rules.evaluate('customer', r, parties).candidate_id
        for r in (shipstation, square)} == {1}


def order(**values):
    lines = [
        OrderLine(external_id='L1', sku='SKU-1', name='One',
            quantity=Decimal(1), unit_price=Decimal(5)),
        OrderLine(external_id='L2', sku='SKU-2', name='Two',
            quantity=Decimal(1), unit_price=Decimal(5)),
        OrderLine(external_id='L3', sku='KNOWN', name='Three',
            quantity=Decimal(1), unit_price=Decimal(5)),
        OrderLine(external_id='L4', name='Discount', adjustment=True,
            quantity=Decimal(1), unit_price=Decimal(-1)),
        ]
    return Order(source='shipstation', external_id='O1', modified_at=NOW,
        number='1001', status='shipped', order_date=NOW, currency='USD',
        customer_external_id='77', customer_email='jane@x.com',
        customer_name='Jane Doe', store_external_id='ST1', lines=lines,
        total=Decimal(15), **values)


def test_document_decision(rules, parties):
    candidates = {
        'customer': parties,
        'item': CandidateIndex.from_records(
            'item', [{'id': 'K', 'name': 'Known', 'code': 'known'}]),
        'location': CandidateIndex.from_records('location', [
            {'id': 'S', 'name': 'Web', 'type': 'store',
                'external_ids': ['shipstation:ST1']}]),
        }
    document = rules.decide_document(order(), candidates)
    assert not document.fully_matched
    assert document.summary == "2 items not matched: SKU-1, SKU-2"
    assert [c.label for c in document.unmatched] == ['SKU-1', 'SKU-2']
    candidates['item'] = CandidateIndex.from_records('item', [
        {'id': i, 'name': i, 'code': i} for i in ('SKU-1', 'SKU-2', 'KNOWN')])
    document = rules.decide_document(order(), candidates)
    assert document.fully_matched
    assert document.summary == "All items matched!"


def test_cash_sale_components(rules):
    sale = CashSale(source='square', external_id='S1', modified_at=NOW,
        state='COMPLETED', created_at=NOW, currency='USD',
        location_external_id='LOC', sales_person_external_id='TM',
        lines=[
            CashSaleLine(external_id='1', item_external_id='V1', name='Tea',
                quantity=Decimal(1), base_price=Decimal(3),
                gross=Decimal(3), total=Decimal(3)),
            CashSaleLine(external_id='2', name='Custom amount',
                quantity=Decimal(1), base_price=Decimal(2),
                gross=Decimal(2), total=Decimal(2)),
            ], total=Decimal(5))
    kinds = [(c.kind, c.ref) for c in rules.components(sale)]
    assert kinds == [('location', 'LOC'), ('point_of_sale', 'LOC'),
        ('sales_person', 'TM'), ('item', 'V1')]
    document = rules.evaluate_document(sale, {})
    assert not document.fully_matched
    assert document.summary.startswith("1 item not matched: Tea")
    assert "sales person TM not matched" in document.summary


def test_preview_counts_changes(rules, parties):
    records = [
        customer(name='Robert Roe', external_id='a', phone='4155550100'),
        customer(name='Jane', external_id='b', email='jane@x.com'),
        customer(name='Zed', external_id='c'),
        ]
    loose = RuleSet.merge(rules, """
strategies:
  customer:
    - name: same_phone
      key: phone_e164
""")
    changes = preview(rules, loose, 'customer', records, parties)
    assert changes == {'suggested -> matched': 1, 'unchanged': 2}
