"""The matching engine: ordered strategies per kind, mappings, documents.

Pure Python: the host (Tryton) asks ``keys_needed`` for a batch of staged
records, looks every key up in one query per key, answers with
``Candidates`` and calls ``evaluate`` per record.
"""
import logging
from collections import Counter
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from pathlib import Path

from rapidfuzz import fuzz, process
from simpleeval import EvalWithCompoundTypes, InvalidExpression

from . import normalize
from .keys import (
    KEYS,
    TARGETS,
    Context,
    display_name,
    existing_lookup_values,
    field,
    lookup_values,
    plural,
)
from .schema import RuleSetError, RuleSetModel, parse

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).with_name('default.yaml')
MATCHED, SUGGESTED, NOT_MATCHED = 'matched', 'suggested', 'not_matched'
MATCH, ADD_NEW = 'MATCH', 'ADD NEW'
SOURCES = {'shipstation': "ShipStation", 'square': "Square"}
NAME_KEYS = {
    'name_postal', 'similar_name', 'employee_name', 'store_name',
    'warehouse_name', 'pos_name'}
FUNCTIONS = {
    'len': len, 'str': str, 'int': int, 'abs': abs, 'Decimal': Decimal,
    'lower': lambda s: (s or '').lower(),
    'upper': lambda s: (s or '').upper(),
    }


@dataclass(frozen=True)
class Candidate:
    "An existing record that a staged record may match."
    id: object
    name: str = ''
    fields: dict = dc_field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def coerce(cls, value):
        if isinstance(value, cls):
            return value
        return cls(value['id'], value.get('name') or '', dict(value))


class Candidates:
    "Candidates per lookup key and normalized value, as the host found them."

    def __init__(self, mapping=None):
        self._by_key = {}
        for key, by_value in (mapping or {}).items():
            for value, candidates in by_value.items():
                for candidate in candidates:
                    self.add(key, value, candidate)

    def add(self, key, value, candidate):
        candidate = Candidate.coerce(candidate)
        by_id = self._by_key.setdefault(key, {}).setdefault(value, {})
        by_id.setdefault(candidate.id, candidate)

    def get(self, key, value):
        return list(self._by_key.get(key, {}).get(value, {}).values())

    def count(self, key, value):
        return len(self._by_key.get(key, {}).get(value, ()))

    def lookup(self, needed):
        "The subset a host would return for ``keys_needed``."
        result = Candidates()
        for key, values in needed.items():
            for value in values:
                for candidate in self.get(key, value):
                    result.add(key, value, candidate)
        return result


class CandidateIndex(Candidates):
    "Every key of existing records, computed in memory."

    @classmethod
    def from_records(cls, kind, existing, phone_region='US'):
        index = cls()
        ctx = Context(phone_region)
        for record in existing:
            candidate = Candidate.coerce(record)
            for key in KEYS[kind].values():
                for value in existing_lookup_values(key, record, ctx):
                    index.add(key.lookup_name, value, candidate)
        return index


@dataclass(frozen=True)
class Decision:
    state: str
    action: str
    candidate_id: object = None
    rule_name: str | None = None
    explanation: str = ''
    candidate_name: str | None = None
    alternatives: tuple = ()
    score: float | None = None

    @property
    def matched(self):
        return self.state == MATCHED


@dataclass(frozen=True)
class Mapped:
    value: object
    rule_name: str


@dataclass(frozen=True)
class Component:
    "A record a document needs: its customer, items, location..."
    role: str
    kind: str
    ref: str
    label: str
    record: object = dc_field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DocumentDecision:
    fully_matched: bool
    summary: str
    unmatched: tuple = ()
    components: tuple = ()


def record_context(record):
    "The names a condition can use: the record's fields."
    if isinstance(record, dict):
        return record
    if hasattr(record, 'model_dump'):
        context = record.model_dump(exclude={'raw'})
        for name in ('shipped', 'paid', 'processing_fee'):
            if hasattr(record, name):
                context[name] = getattr(record, name)
        return context
    return dict(vars(record))


def condition_holds(expression, context):
    evaluator = EvalWithCompoundTypes(names=context, functions=FUNCTIONS)
    try:
        return bool(evaluator.eval(expression))
    except InvalidExpression as exc:
        # A missing field makes the condition false, it is not an error
        logger.debug("condition %r: %s", expression, exc)
        return False


def name_similarity(a, b):
    """0-100 similarity of two names, None when one is missing.

    A name of two words or more contained in the other scores 100 ("Jane
    Doe" and "Jane Doe-Smith"); a shared family name alone does not.
    """
    keys_a, keys_b = normalize.name_keys(a), normalize.name_keys(b)
    if not keys_a or not keys_b:
        return None
    words = sorted(
        (normalize.name_words(a), normalize.name_words(b)), key=len)
    if len(words[0]) >= 2 and words[0] <= words[1]:
        return 100
    return max(fuzz.ratio(x, y) for x in keys_a for y in keys_b)


def _or(labels):
    if len(labels) == 1:
        return labels[0]
    return ', '.join(labels[:-1]) + ' or ' + labels[-1]


def _names(candidates):
    return ', '.join(sorted(c.name or str(c.id) for c in candidates))


class _Trial:
    "What the strategies tried for one record, to explain the outcome."

    def __init__(self):
        self.tried = []
        self.notes = []
        self.ambiguous = None
        self.suggestion = None


class RuleSet:

    def __init__(self, model, source_name='rules'):
        self.model = model
        self.source_name = source_name
        self.context = Context(model.defaults.phone_region)

    @classmethod
    def from_yaml(cls, text, source_name='default.yaml'):
        model, _ = parse(text, source_name)
        return cls(model, source_name)

    @classmethod
    def default(cls):
        return cls.from_yaml(
            DEFAULT_PATH.read_text(encoding='utf-8'), 'default.yaml')

    @classmethod
    def merge(cls, base, override_yaml, source_name='override.yaml'):
        """Base rules with a store's override.

        Strategies and mapping entries are merged by name: an entry of the
        override replaces the base entry of the same name in place, one
        with ``disabled: true`` removes it, and new entries come first.
        """
        override, _ = parse(override_yaml, source_name)
        data = base.model.model_dump()
        new = override.model_dump(exclude_unset=True)
        data['defaults'].update(new.get('defaults', {}))
        for section in ('strategies', 'mappings'):
            for name, entries in new.get(section, {}).items():
                data[section][name] = _merge_entries(
                    data[section].get(name, []),
                    getattr(override, section)[name])
        model = RuleSetModel.model_validate(data)
        return cls(model, f'{base.source_name}+{source_name}')

    def strategies(self, kind):
        if kind not in KEYS:
            raise ValueError(f"unknown kind {kind!r}")
        return [
            s for s in self.model.strategies.get(kind, []) if not s.disabled]

    def _applicable(self, kind, record):
        context = None
        for strategy in self.strategies(kind):
            if strategy.when:
                if context is None:
                    context = record_context(record)
                if not condition_holds(strategy.when, context):
                    continue
            yield strategy, KEYS[kind][strategy.key]

    def keys_needed(self, kind, records):
        "{lookup key: set of normalized values} to look up in batch."
        needed = {}
        for record in records:
            for _, key in self._applicable(kind, record):
                values = lookup_values(key, record, self.context)
                if values:
                    needed.setdefault(key.lookup_name, set()).update(values)
        return needed

    def evaluate(self, kind, record, candidates):
        trial = _Trial()
        for strategy, key in self._applicable(kind, record):
            values = key.staged(record, self.context)
            if not values:
                continue
            trial.tried.append(key.label)
            if key.fuzzy:
                decision = self._fuzzy(kind, strategy, key, record,
                    candidates, trial)
            else:
                decision = self._exact(kind, strategy, key, record, values,
                    candidates, trial)
            if decision:
                return decision
        return self._fallback(kind, trial)

    def _exact(self, kind, strategy, key, record, values, candidates,
            trial):
        found = {}
        for value in sorted(values):
            for candidate in candidates.get(key.lookup_name, value):
                found.setdefault(candidate.id, (candidate, value))
        if trial.ambiguous is not None:
            # Weaker evidence may only choose among the ambiguous ones
            found = {i: f for i, f in found.items() if i in trial.ambiguous}
        if not found:
            return None
        shown = self._shown(key, record, next(iter(found.values()))[1])
        if len(found) > 1:
            self._note_ambiguity(kind, key, shown, found, trial)
            return None
        candidate, value = next(iter(found.values()))
        if strategy.name_check is not None:
            score = name_similarity(display_name(record), candidate.name)
            if score is not None and score < strategy.name_check:
                trial.notes.append(
                    f"{key.label} {shown} equals {TARGETS[kind]} "
                    f"{candidate.name}'s but the names differ")
                trial.suggestion = trial.suggestion or (
                    strategy, candidate, score)
                return None
        state = MATCHED if strategy.action == 'match' else SUGGESTED
        text = self._explain(strategy, key, kind, shown, candidate)
        return self._decision(state, strategy, candidate, text, trial)

    def _note_ambiguity(self, kind, key, shown, found, trial):
        trial.ambiguous = set(found)
        names = _names(c for c, _ in found.values())
        trial.notes.append(
            f"{key.label} {shown} is shared by {len(found)} "
            f"{plural(TARGETS[kind])} ({names})")

    def _fuzzy(self, kind, strategy, key, record, candidates, trial):
        threshold = strategy.threshold or self.model.defaults.fuzzy_threshold
        name = display_name(record)
        pool = self._fuzzy_pool(key, record, candidates, trial)
        choices = {i: normalize.name(c.name) or '' for i, c in pool.items()}
        best = process.extract(
            normalize.name(name), choices, scorer=fuzz.ratio,
            score_cutoff=threshold, limit=4)
        if not best:
            return None
        best.sort(key=lambda b: (-b[1], str(b[2])))
        score, candidate = best[0][1], pool[best[0][2]]
        text = self._explain(strategy, key, kind, name, candidate, score)
        alternatives = tuple(b[2] for b in best[1:])
        if len(best) > 1 and best[1][1] == score:
            text += f"; as close: {_names(pool[b[2]] for b in best[1:])}"
        return self._decision(SUGGESTED, strategy, candidate, text, trial,
            score=round(score, 1), alternatives=alternatives)

    def _fuzzy_pool(self, key, record, candidates, trial):
        "Candidates sharing a word of the name, common words left out."
        limit = self.model.defaults.fuzzy_block_limit
        words = lookup_values(key, record, self.context)
        counts = {w: candidates.count(key.lookup_name, w) for w in words}
        selective = [w for w, n in counts.items() if n <= limit]
        pool = {}
        for word in selective:
            for candidate in candidates.get(key.lookup_name, word):
                if not trial.ambiguous or candidate.id in trial.ambiguous:
                    pool[candidate.id] = candidate
        return pool

    def _shown(self, key, record, value):
        if key.name == 'external_id':
            source, _, external_id = value.partition(':')
            return f"{SOURCES.get(source, source)} id {external_id}"
        if key.name in NAME_KEYS:
            name = display_name(record)
            if key.name == 'name_postal':
                return f"{name}, {value.split('|')[1]}"
            return ' '.join(name.split())
        return value

    def _explain(self, strategy, key, kind, value, candidate, score=None):
        template = strategy.explain or DEFAULT_EXPLAIN.get(
            key.name, DEFAULT_EXPLAIN[None])
        if key.fuzzy and not strategy.explain:
            template = DEFAULT_EXPLAIN['fuzzy']
        return template.format(
            value=value, candidate=candidate.name or candidate.id,
            target=TARGETS[kind], label=key.label, rule=strategy.name,
            score=None if score is None else round(score))

    def _decision(self, state, strategy, candidate, text, trial, **kw):
        if trial.notes:
            text = '; '.join(trial.notes) + '; ' + text
        return Decision(
            state, MATCH if state == MATCHED else ADD_NEW, candidate.id,
            strategy.name, text, candidate.name, **kw)

    def _fallback(self, kind, trial):
        target = TARGETS[kind]
        if trial.suggestion:
            strategy, candidate, score = trial.suggestion
            return Decision(
                SUGGESTED, ADD_NEW, candidate.id, strategy.name,
                '; '.join(trial.notes) + "; check before linking",
                candidate.name, score=score)
        if trial.ambiguous:
            return Decision(
                SUGGESTED, ADD_NEW, None, None,
                '; '.join(trial.notes) + "; not matched automatically",
                alternatives=tuple(sorted(trial.ambiguous, key=str)))
        exact = [label for label in dict.fromkeys(trial.tried)
            if label not in {'external id', 'name'}]
        if not exact:
            return Decision(NOT_MATCHED, ADD_NEW, None, None,
                f"no {target} is linked to it and it has nothing else to "
                "match on")
        return Decision(NOT_MATCHED, ADD_NEW, None, None,
            f"no {target} has the same {_or(exact)}")

    # -- mappings -------------------------------------------------------

    def map(self, mapping_name, record_or_context):
        "The first entry whose condition holds, as Mapped(value, rule)."
        entries = self.model.mappings.get(mapping_name)
        if entries is None:
            raise KeyError(f"unknown mapping {mapping_name!r}")
        context = record_context(record_or_context)
        for entry in entries:
            if entry.disabled:
                continue
            if entry.when is None or condition_holds(entry.when, context):
                return Mapped(entry.value, entry.name)
        return None

    # -- documents ------------------------------------------------------

    def components(self, document):
        return list(dict.fromkeys(document_components(document)))

    def evaluate_document(self, document, decisions):
        "Decision for an order or cash sale from its components' decisions."
        return evaluate_document(document, decisions, self.components(
                document))

    def decide_document(self, document, candidates_by_kind):
        "Evaluate each component against candidates, then the document."
        decisions = {}
        for component in self.components(document):
            candidates = candidates_by_kind.get(component.kind, Candidates())
            decisions[component.kind, component.ref] = self.evaluate(
                component.kind, component.record, candidates)
        return self.evaluate_document(document, decisions)


def _merge_entries(base, override):
    entries = {e['name']: e for e in base}
    new = []
    for entry in override:
        if entry.name in entries:
            entries[entry.name] = entry.model_dump()
        else:
            new.append(entry.model_dump())
    merged = new + list(entries.values())
    return [e for e in merged if not e.get('disabled')]


DEFAULT_EXPLAIN = {
    None: "{label} {value} equals {target} {candidate}'s {label}",
    'external_id': "{value} is already linked to {target} {candidate}",
    'name_postal': "name and postal code {value} equal {target} "
        "{candidate}'s",
    'code': "SKU {value} equals the code of {target} {candidate}",
    'employee_name': "name {value} equals {target} {candidate}'s name",
    'store_name': "store {value} has the name of {target} {candidate}",
    'warehouse_name': "location {value} has the name of warehouse "
        "{candidate}",
    'pos_name': "location {value} has the name of point of sale "
        "{candidate}",
    'fuzzy': "{label} {value} looks like {target} {candidate} "
        "(score {score}); check before linking",
    }


# -- documents --------------------------------------------------------------

def _item_ref(line):
    for prefix, name in (
            ('', 'item_external_id'), ('sku:', 'sku'), ('upc:', 'upc')):
        value = field(line, name)
        if value:
            return prefix + str(value).strip()
    return 'name:' + field(line, 'name', '')


def _line_components(document):
    source = field(document, 'source')
    for line in field(document, 'lines', []):
        if field(line, 'adjustment'):
            continue
        if field(document, 'kind') == 'cash_sale' and not field(
                line, 'item_external_id'):
            # Custom amounts: the custom amount mapping gives the product
            continue
        record = {
            'source': source,
            'external_id': field(line, 'item_external_id'),
            'sku': field(line, 'sku'), 'upc': field(line, 'upc'),
            'name': field(line, 'name'),
            }
        label = field(line, 'sku') or field(line, 'name')
        yield Component('item', 'item', _item_ref(line), label, record)


def _order_customer(document):
    external_id = field(document, 'customer_external_id')
    email = field(document, 'customer_email')
    if not external_id and not email:
        return None
    record = {
        'source': field(document, 'source'), 'external_id': external_id,
        'name': field(document, 'customer_name') or '',
        'email': email, 'address': field(document, 'bill_to'),
        }
    return Component(
        'customer', 'customer', external_id or f'email:{email}',
        field(document, 'customer_name') or email, record)


def _ref(role, kind, document, name, label=None):
    external_id = field(document, name)
    if not external_id:
        return None
    record = {'source': field(document, 'source'),
        'external_id': external_id}
    return Component(role, kind, external_id, label or external_id, record)


def document_components(document):
    kind = field(document, 'kind')
    if kind == 'order':
        heads = [
            _order_customer(document),
            _ref('store', 'location', document, 'store_external_id'),
            _ref('warehouse', 'location', document, 'warehouse_external_id'),
            ]
    elif kind == 'cash_sale':
        heads = [
            _ref('customer', 'customer', document, 'customer_external_id'),
            _ref('location', 'location', document, 'location_external_id'),
            _ref('point of sale', 'point_of_sale', document,
                'location_external_id'),
            _ref('sales person', 'sales_person', document,
                'sales_person_external_id'),
            ]
    else:
        raise ValueError(f"{kind!r} is not a document")
    yield from (c for c in heads if c)
    yield from _line_components(document)


def _plural(count, word):
    return f"{count} {word}{'s' if count != 1 else ''}"


def document_summary(unmatched, has_items):
    items = [c for c in unmatched if c.kind == 'item']
    parts = []
    if items:
        labels = ', '.join(dict.fromkeys(str(c.label) for c in items))
        parts.append(f"{_plural(len(items), 'item')} not matched: {labels}")
    elif has_items:
        parts.append("All items matched!")
    parts += [f"{c.role} {c.label} not matched"
        for c in unmatched if c.kind != 'item']
    return '; '.join(parts) or "All matched!"


def evaluate_document(document, decisions, components=None):
    if components is None:
        components = list(dict.fromkeys(document_components(document)))
    pairs, unmatched = [], []
    for component in components:
        decision = decisions.get((component.kind, component.ref))
        pairs.append((component, decision))
        if decision is None or not decision.matched:
            unmatched.append(component)
    has_items = any(c.kind == 'item' for c in components)
    return DocumentDecision(
        not unmatched, document_summary(unmatched, has_items),
        tuple(unmatched), tuple(pairs))


# -- comparing and grouping ---------------------------------------------------

def preview(old, new, kind, records, candidates):
    "How many decisions an edit of the rules changes, and how."
    changes = Counter()
    for record in records:
        before = old.evaluate(kind, record, candidates)
        after = new.evaluate(kind, record, candidates)
        if before.state != after.state:
            changes[f'{before.state} -> {after.state}'] += 1
        elif before.candidate_id != after.candidate_id:
            changes[f'{before.state}: other candidate'] += 1
        else:
            changes['unchanged'] += 1
    return changes


class _Groups:

    def __init__(self, size):
        self.parent = list(range(size))

    def find(self, i):
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i, j):
        self.parent[self.find(i)] = self.find(j)


def _same_person(records, indexes, threshold):
    names = [display_name(records[i]) for i in indexes]
    for i, name in enumerate(names):
        for other in names[i + 1:]:
            score = name_similarity(name, other)
            if score is not None and score < threshold:
                return False
    return True


def group_duplicates(records, ruleset=None, kind='customer',
        name_threshold=85):
    """Groups (lists of 2 or more) of staged records that are one person.

    Records are joined by the exact keys of the rule set's matching
    strategies, but a key value shared by records whose names disagree
    (a family e-mail) joins nobody.
    """
    ruleset = ruleset or RuleSet.default()
    groups = _Groups(len(records))
    for strategy in ruleset.strategies(kind):
        key = KEYS[kind][strategy.key]
        if key.fuzzy or strategy.action != 'match':
            continue
        by_value = {}
        for i, record in enumerate(records):
            for value in key.staged(record, ruleset.context):
                by_value.setdefault(value, []).append(i)
        for indexes in by_value.values():
            if len(indexes) > 1 and _same_person(
                    records, indexes, name_threshold):
                for i in indexes[1:]:
                    groups.union(indexes[0], i)
    members = {}
    for i in range(len(records)):
        members.setdefault(groups.find(i), []).append(records[i])
    return [m for m in members.values() if len(m) > 1]


__all__ = [
    'ADD_NEW', 'MATCH', 'MATCHED', 'NOT_MATCHED', 'SUGGESTED', 'Candidate',
    'CandidateIndex', 'Candidates', 'Component', 'Decision',
    'DocumentDecision', 'Mapped', 'RuleSet', 'RuleSetError',
    'document_components', 'evaluate_document', 'group_duplicates',
    'preview', 'record_context']
