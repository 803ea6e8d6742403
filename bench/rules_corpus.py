"""Matching figures on the labelled corpus and evaluation speed.

Run: .venv/bin/python bench/rules_corpus.py [records]
Writes bench/results/rules_corpus.txt.
"""
import datetime as dt
import platform
import random
import sys
import time
from pathlib import Path

import yaml

from trytond.modules.cloud_commerce.connectors.records import (
    KINDS,
    Address,
    Customer,
    Item,
    Location,
)
from trytond.modules.cloud_commerce.rules import CandidateIndex, RuleSet
from trytond.modules.cloud_commerce.rules.corpus import evaluate_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / 'tests' / 'data' / 'rules_corpus.yaml'
RESULT = ROOT / 'bench' / 'results' / 'rules_corpus.txt'
NOW = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
FIRST = ['Jane', 'John', 'Émilie', 'José', 'Zoë', 'Björn', 'Noah', 'Ana',
    'Liam', 'Priya', 'Kwame', 'Aisha', 'Hiroshi', 'Dmitri', 'Grace']
LAST = ['Doe', 'Müller', 'Núñez', 'Okafor', 'Lefèvre', 'Andersson',
    'García', 'Kowalski', 'Nakamura', 'Rossi', 'Singh', 'Novák', 'Haddad']


def make_record(kind, data):
    model = Location if kind == 'point_of_sale' else KINDS[kind]
    return model.model_validate(data)


def corpus_figures(rules):
    data = yaml.safe_load(CORPUS.read_text(encoding='utf-8'))
    start = time.perf_counter()
    figures = evaluate_corpus(data, rules, make_record)
    elapsed = time.perf_counter() - start
    return list(figures.lines()) + [
        f"corpus evaluation: {elapsed * 1000:.0f} ms"]


def synthetic_parties(rng, count):
    parties = []
    for i in range(count):
        name = f'{rng.choice(FIRST)} {rng.choice(LAST)} {i}'
        parties.append({
            'id': i, 'name': name, 'email': f'p{i}@example.com',
            'phone': f'+1 415 {200 + i // 10000:03d} {i % 10000:04d}',
            'postal_code': f'{10000 + i % 89999:05d}', 'country': 'US'})
    return parties


def staged_customer(rng, i, party):
    how = i % 5
    values = {'name': party['name'], 'source': 'square',
        'external_id': f'S{i}', 'modified_at': NOW}
    if how == 0:
        values['email'] = party['email'].upper()
    elif how == 1:
        values['phone'] = party['phone'].replace('+1 ', '(').replace(
            ' ', ') ', 1)
    elif how == 2:
        values['address'] = Address(
            postal_code=party['postal_code'], country='US')
    elif how == 3:
        values['name'] = f'{rng.choice(FIRST)} Newperson {i}'
        values['email'] = f'new{i}@example.net'
    else:
        values['name'] = f'{rng.choice(FIRST)} {rng.choice(LAST)}'
    return Customer(**values)


def speed(rules, kind, existing, records):
    start = time.perf_counter()
    index = CandidateIndex.from_records(kind, existing)
    built = time.perf_counter()
    needed = rules.keys_needed(kind, records)
    candidates = index.lookup(needed)
    looked = time.perf_counter()
    decisions = [rules.evaluate(kind, r, candidates) for r in records]
    done = time.perf_counter()
    matched = sum(d.matched for d in decisions)
    return (f"{kind}: {len(records)} staged vs {len(existing)} existing: "
        f"index {built - start:.2f} s, keys_needed + lookup "
        f"{looked - built:.2f} s, evaluate {done - looked:.2f} s "
        f"({len(records) / (done - looked):,.0f} records/s; "
        f"{matched} MATCH)")


def speed_figures(rules, count):
    rng = random.Random(7)
    parties = synthetic_parties(rng, count)
    customers = [
        staged_customer(rng, i, rng.choice(parties)) for i in range(count)]
    products = [{'id': i, 'name': f'Product {i}', 'code': f'SKU-{i:05d}'}
        for i in range(count)]
    items = [Item(source='shipstation', external_id=f'I{i}',
            modified_at=NOW, name=f'Product {i}',
            sku=f' sku-{i:05d} ' if i % 2 else f'OTHER-{i}')
        for i in range(count)]
    return [
        speed(rules, 'customer', parties, customers),
        speed(rules, 'item', products, items),
        ]


def main(count=10000):
    rules = RuleSet.default()
    lines = ["# Matching rules: corpus figures and speed",
        f"# {platform.python_implementation()} {platform.python_version()}"
        f" on {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        "", "## Labelled corpus (tests/data/rules_corpus.yaml)"]
    lines += corpus_figures(rules)
    lines += ["", f"## Speed on {count:,} records (single process)"]
    lines += speed_figures(rules, count)
    text = '\n'.join(lines) + '\n'
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text, encoding='utf-8')
    print(text, end='')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
