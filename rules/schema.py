"""The YAML rule set's schema, and errors that name file, line and key."""
import string
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from simpleeval import EvalWithCompoundTypes

from .keys import KEYS

Kind = Literal[tuple(KEYS)]
EXPLAIN_FIELDS = {'value', 'candidate', 'target', 'label', 'rule', 'score'}


class RuleSetError(ValueError):
    "A rule set that cannot be loaded; ``errors`` lists (line, path, msg)."

    def __init__(self, source_name, errors):
        self.source_name = source_name
        self.errors = errors
        super().__init__('\n'.join(
            f'{source_name}:{line}: {path}: {msg}'
            for line, path, msg in errors))


class _Model(BaseModel):
    model_config = ConfigDict(extra='forbid', frozen=True)


class Defaults(_Model):
    phone_region: str = Field('US', pattern=r'^[A-Z]{2}$')
    fuzzy_threshold: int = Field(88, ge=50, le=100)
    # Fuzzy look-ups skip words shared by more candidates than this
    # ("product", "john"): they would compare the record with everyone.
    fuzzy_block_limit: int = Field(200, ge=1)


class Strategy(_Model):
    name: str = Field(min_length=1)
    key: str
    action: Literal['match', 'suggest'] = 'match'
    when: str | None = None
    # Minimum name similarity (0-100) with the candidate; below it a match
    # is only suggested.
    name_check: int | None = Field(None, ge=0, le=100)
    threshold: int | None = Field(None, ge=50, le=100)
    explain: str | None = None
    disabled: bool = False


class MappingEntry(_Model):
    name: str = Field(min_length=1)
    when: str | None = None
    value: Any = None
    disabled: bool = False


class RuleSetModel(_Model):
    version: Literal[1] = 1
    defaults: Defaults = Defaults()
    strategies: dict[Kind, list[Strategy]] = Field(default_factory=dict)
    mappings: dict[str, list[MappingEntry]] = Field(default_factory=dict)


def check_expression(expression):
    "The parse error of a condition or None."
    try:
        EvalWithCompoundTypes().parse(expression)
    except SyntaxError as exc:
        return f"invalid condition {expression!r}: {exc.msg}"
    return None


def check_template(template):
    try:
        names = {
            f for _, f, _, _ in string.Formatter().parse(template) if f}
    except ValueError as exc:
        return f"invalid explanation: {exc}"
    unknown = names - EXPLAIN_FIELDS
    if unknown:
        return (f"unknown field(s) {', '.join(sorted(unknown))} in "
            f"explanation (allowed: {', '.join(sorted(EXPLAIN_FIELDS))})")
    return None


def _unique_names(path, entries):
    seen = set()
    for i, entry in enumerate(entries):
        if entry.name in seen:
            yield ((*path, i, 'name'), f"duplicate name {entry.name!r}")
        seen.add(entry.name)


def _strategy_errors(kind, i, strategy):
    path = ('strategies', kind, i)
    keys = KEYS[kind]
    key = keys.get(strategy.key)
    if key is None:
        yield ((*path, 'key'), f"unknown key {strategy.key!r} for {kind} "
            f"(expected one of: {', '.join(keys)})")
    elif key.fuzzy and strategy.action == 'match':
        yield ((*path, 'action'),
            "a fuzzy key only suggests; set action: suggest")
    if strategy.when and (msg := check_expression(strategy.when)):
        yield ((*path, 'when'), msg)
    if strategy.explain and (msg := check_template(strategy.explain)):
        yield ((*path, 'explain'), msg)


def semantic_errors(model):
    "Errors pydantic cannot see: keys per kind, conditions, duplicates."
    for kind, strategies in model.strategies.items():
        yield from _unique_names(('strategies', kind), strategies)
        for i, strategy in enumerate(strategies):
            yield from _strategy_errors(kind, i, strategy)
    for name, entries in model.mappings.items():
        yield from _unique_names(('mappings', name), entries)
        for i, entry in enumerate(entries):
            if entry.when and (msg := check_expression(entry.when)):
                yield (('mappings', name, i, 'when'), msg)


# -- from error locations to YAML lines ---------------------------------

def _child(node, part):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                return value_node, key_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part], node.value[part]
    return None, None


def line_of(root, path):
    "1-based line of the deepest node that the path reaches."
    node, line = root, 1
    if root is not None:
        line = root.start_mark.line + 1
    for part in path:
        if part == '[key]':
            break
        value_node, key_node = _child(node, part)
        if value_node is None:
            break
        node = value_node
        line = key_node.start_mark.line + 1
    return line


def format_path(path):
    text = ''
    for part in path:
        if isinstance(part, int):
            text += f'[{part}]'
        elif part != '[key]':
            text += f'.{part}' if text else str(part)
    return text or '(root)'


def _pydantic_errors(exc):
    for error in exc.errors():
        path = tuple(error['loc'])
        yield path, error['msg']


def parse(text, source_name):
    "The validated model of a YAML text, or RuleSetError."
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        line = mark.line + 1 if mark else 1
        raise RuleSetError(source_name, [(line, '(yaml)', str(exc))])
    if not isinstance(data, dict):
        raise RuleSetError(
            source_name, [(1, '(root)', "a rule set is a mapping")])
    try:
        model = RuleSetModel.model_validate(data)
    except ValidationError as exc:
        errors = list(_pydantic_errors(exc))
    else:
        errors = list(semantic_errors(model))
    if errors:
        raise RuleSetError(source_name, [
            (line_of(root, path), format_path(path), msg)
            for path, msg in errors])
    return model, data
