from decimal import Decimal

import pytest

from trytond.modules.cloud_commerce.rules import RuleSet, RuleSetError

GOOD = """\
version: 1
strategies:
  customer:
    - name: same_email
      key: email
mappings:
  marketplace_location:
    - name: big_amazon
      when: "marketplace == 'Amazon' and total > 100"
      value: WH-AMZ
    - name: amazon
      when: "marketplace == 'Amazon'"
      value: WH-1
"""


def errors_of(text):
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(text, source_name='store.yaml')
    return info.value


def test_default_rules_load():
    rules = RuleSet.default()
    assert [s.name for s in rules.strategies('customer')][:2] == [
        'linked_external_id', 'same_email']


def test_unknown_key_names_file_line_and_key():
    error = errors_of(GOOD.replace('key: email', 'key: emial'))
    assert error.errors == [(5, 'strategies.customer[0].key',
        "unknown key 'emial' for customer (expected one of: external_id, "
        "email, phone_e164, name_postal, similar_name)")]
    assert str(error).startswith('store.yaml:5: strategies.customer[0].key')


def test_pydantic_error_mapped_to_line():
    text = GOOD.replace("      value: WH-1\n",
        "      value: WH-1\n      colour: blue\n")
    error = errors_of(text)
    assert [(line, path) for line, path, _ in error.errors] == [
        (14, 'mappings.marketplace_location[1].colour')]


def test_unknown_kind_and_missing_field():
    text = "strategies:\n  custmer: []\n  item:\n    - name: x\n"
    error = errors_of(text)
    found = {(line, path) for line, path, _ in error.errors}
    assert (2, 'strategies.custmer') in found
    assert (4, 'strategies.item[0].key') in found


def test_bad_condition_and_fuzzy_match_refused():
    error = errors_of(GOOD.replace("total > 100", "total >"))
    assert error.errors[0][:2] == (
        9, 'mappings.marketplace_location[0].when')
    error = errors_of(GOOD.replace(
        "      key: email\n", "      key: similar_name\n"))
    assert error.errors[0][1] == 'strategies.customer[0].action'


def test_yaml_syntax_error_has_line():
    error = errors_of("strategies:\n  customer: [\n")
    assert error.errors[0][0] >= 2


def test_duplicate_names():
    error = errors_of(GOOD.replace('name: amazon', 'name: big_amazon'))
    assert error.errors[0][:2] == (
        11, 'mappings.marketplace_location[1].name')


def test_mapping_conditions():
    rules = RuleSet.from_yaml(GOOD)
    big = rules.map('marketplace_location',
        {'marketplace': 'Amazon', 'total': Decimal('150.00')})
    assert (big.value, big.rule_name) == ('WH-AMZ', 'big_amazon')
    small = rules.map('marketplace_location',
        {'marketplace': 'Amazon', 'total': Decimal('20')})
    assert small.rule_name == 'amazon'
    assert rules.map('marketplace_location', {'marketplace': 'eBay'}) is None
    # A field the record lacks makes the condition false
    assert rules.map('marketplace_location', {}) is None


@pytest.mark.parametrize('expression', [
        "__import__('os').system('true')",
        "marketplace.__class__",
        "().__class__.__bases__",
        "open('/etc/passwd')",
        "marketplace.format",
        ])
def test_unsafe_conditions_are_refused(expression):
    rules = RuleSet.from_yaml(f"""
mappings:
  m:
    - name: trick
      when: "{expression}"
      value: 1
""")
    assert rules.map('m', {'marketplace': 'Amazon'}) is None


def test_merge_override():
    base = RuleSet.from_yaml(GOOD)
    merged = RuleSet.merge(base, """
defaults:
  phone_region: GB
strategies:
  customer:
    - name: same_email
      disabled: true
      key: email
    - name: same_phone
      key: phone_e164
mappings:
  marketplace_location:
    - name: amazon
      value: WH-2
      when: "marketplace == 'Amazon'"
    - name: ebay
      when: "marketplace == 'eBay'"
      value: WH-EBAY
""", 'store.yaml')
    assert merged.model.defaults.phone_region == 'GB'
    assert [s.name for s in merged.strategies('customer')] == ['same_phone']
    entries = merged.model.mappings['marketplace_location']
    assert [e.name for e in entries] == ['ebay', 'big_amazon', 'amazon']
    assert merged.map('marketplace_location',
        {'marketplace': 'Amazon', 'total': 1}).value == 'WH-2'
    # The base is untouched
    assert base.map('marketplace_location',
        {'marketplace': 'Amazon', 'total': 1}).value == 'WH-1'


def test_merge_error_names_override():
    with pytest.raises(RuleSetError) as info:
        RuleSet.merge(RuleSet.default(), "strategies:\n  item:\n"
            "    - name: x\n      key: upc\n", 'store 3 override')
    assert str(info.value).startswith('store 3 override:4: ')
