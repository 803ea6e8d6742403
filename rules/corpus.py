"""Score a rule set against a labelled corpus (tests and bench share it).

A corpus is ``{'existing': {kind: [candidate dicts]}, 'cases': [{'id',
'kind', 'note', 'expect': candidate id or 'ADD NEW', 'record': {...}}]}``.
"""
from collections import Counter
from dataclasses import dataclass, field

from .engine import ADD_NEW, CandidateIndex


@dataclass
class Figures:
    cases: int = 0
    true_matches: int = 0
    found: int = 0
    false_matches: list = field(default_factory=list)
    missed: list = field(default_factory=list)
    suggested_right: int = 0
    by_kind: Counter = field(default_factory=Counter)
    lookups: int = 0

    @property
    def recall(self):
        return self.found / self.true_matches if self.true_matches else 1.0

    def lines(self):
        kinds = ', '.join(
            f'{k} {n}' for k, n in sorted(self.by_kind.items()))
        yield f"cases: {self.cases} ({kinds})"
        yield (f"expected MATCH: {self.true_matches}, expected ADD NEW: "
            f"{self.cases - self.true_matches}")
        yield f"false MATCHes: {len(self.false_matches)}"
        yield (f"recall of true matches: {self.found}/{self.true_matches}"
            f" = {self.recall:.1%}")
        yield (f"missed true matches suggested with the right candidate: "
            f"{self.suggested_right}/{len(self.missed)}")
        yield f"batched look-ups (one per kind and key): {self.lookups}"
        for case, decision in self.false_matches:
            yield (f"  FALSE MATCH {case['id']} {case['note']}: "
                f"{decision.explanation}")
        for case, decision in self.missed:
            yield (f"  missed {case['id']} {case['note']}: "
                f"{decision.state} {decision.explanation}")


def evaluate_corpus(data, ruleset, make_record=lambda kind, data: data):
    "Figures of a rule set on a corpus, with the host's batched look-ups."
    figures = Figures()
    by_kind = {}
    for case in data['cases']:
        by_kind.setdefault(case['kind'], []).append(case)
    for kind, cases in by_kind.items():
        index = CandidateIndex.from_records(
            kind, data['existing'].get(kind, []),
            ruleset.model.defaults.phone_region)
        records = [make_record(kind, c['record']) for c in cases]
        needed = ruleset.keys_needed(kind, records)
        figures.lookups += len(needed)
        candidates = index.lookup(needed)
        for case, record in zip(cases, records):
            decision = ruleset.evaluate(kind, record, candidates)
            _score(figures, case, decision)
    return figures


def _score(figures, case, decision):
    figures.cases += 1
    figures.by_kind[case['kind']] += 1
    expect = case['expect']
    if decision.matched and decision.candidate_id != expect:
        figures.false_matches.append((case, decision))
    if expect == ADD_NEW:
        return
    figures.true_matches += 1
    if decision.matched and decision.candidate_id == expect:
        figures.found += 1
    else:
        figures.missed.append((case, decision))
        if decision.candidate_id == expect:
            figures.suggested_right += 1
