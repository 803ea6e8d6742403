import unicodedata
from pathlib import Path

import yaml

from trytond.modules.cloud_commerce.connectors.records import KINDS, Location
from trytond.modules.cloud_commerce.rules import RuleSet, group_duplicates
from trytond.modules.cloud_commerce.rules.corpus import evaluate_corpus

CORPUS = Path(__file__).parent / 'data' / 'rules_corpus.yaml'


def load():
    return yaml.safe_load(CORPUS.read_text(encoding='utf-8'))


def make_record(kind, data):
    model = Location if kind == 'point_of_sale' else KINDS[kind]
    return model.model_validate(data)


def test_corpus_is_varied():
    data = load()
    cases = data['cases']
    assert len(cases) >= 200
    names = [c['record'].get('name', '') for c in cases]
    assert any(unicodedata.normalize('NFC', n) != n for n in names)
    scripts = {'CYRILLIC', 'GREEK', 'CJK'}
    assert all(
        any(s in unicodedata.name(ch, '') for n in names for ch in n)
        for s in scripts)
    phones = {c['record'].get('phone') for c in cases} - {None}
    assert any(p.startswith('00 44') for p in phones)
    assert any(p.startswith('0') and not p.startswith('00') for p in phones)
    assert sum(c['expect'] == 'ADD NEW' for c in cases) >= 50


def test_corpus_figures():
    figures = evaluate_corpus(load(), RuleSet.default(), make_record)
    print('\n'.join(figures.lines()))
    assert figures.cases >= 200
    assert figures.false_matches == []
    assert figures.recall >= 0.95
    # One look-up per kind and key, whatever the number of records
    assert figures.lookups <= 25


def test_corpus_groups():
    data = load()
    cases = [c for c in data['cases'] if c['kind'] == 'customer']
    records = [make_record('customer', c['record']) for c in cases]
    group_of = {c['record']['external_id']: c.get('group') for c in cases}
    groups = group_duplicates(records, RuleSet.default())
    found = {frozenset(r.external_id for r in g) for g in groups}
    expected = {}
    for external_id, group in group_of.items():
        if group:
            expected.setdefault(group, set()).add(external_id)
    for members in expected.values():
        assert any(members <= g for g in found)
    # Groups never join records labelled with two different parties
    label = {c['record']['external_id']: c['expect'] for c in cases}
    for group in found:
        parties = {label[i] for i in group} - {'ADD NEW'}
        assert len(parties) <= 1, group
