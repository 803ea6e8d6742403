"""Keys: how a staged record and an existing record give comparable values.

A key has two extractors, one for the staged record (a canonical record
of ``connectors.records`` or a dict with the same field names) and one
for an existing record (a candidate dict from the host).  The host looks
candidates up by ``lookup`` key name, in one batch per key.
"""
from dataclasses import dataclass
from typing import Callable

from . import normalize


def field(obj, name, default=None):
    "A field of a pydantic record, a plain object or a dict."
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    return default if value is None else value


def values(obj, *names):
    "Every non-empty value of the fields, lists flattened."
    result = []
    for name in names:
        value = field(obj, name)
        if isinstance(value, (list, tuple, set, frozenset)):
            result.extend(v for v in value if v)
        elif value:
            result.append(value)
    return result


def _set(*items):
    return {i for i in items if i}


@dataclass(frozen=True)
class Context:
    phone_region: str = 'US'


@dataclass(frozen=True)
class Key:
    name: str
    label: str
    staged: Callable
    existing: Callable
    lookup: str = ''
    fuzzy: bool = False

    @property
    def lookup_name(self):
        return self.lookup or self.name


# -- staged records -----------------------------------------------------

def staged_external_id(record, ctx):
    source, external_id = field(record, 'source'), field(
        record, 'external_id')
    if not source or not external_id:
        return set()
    return {f'{source}:{external_id}'}


def country_of(record):
    address = field(record, 'address')
    return field(address, 'country') or field(record, 'country')


def staged_email(record, ctx):
    return _set(*(normalize.email(v) for v in values(record, 'email')))


def staged_phone(record, ctx):
    region = country_of(record) or ctx.phone_region
    raw = values(record, 'phone') + values(field(record, 'address'), 'phone')
    return _set(*(normalize.phone_e164(v, region) for v in raw))


def staged_name_postal(record, ctx):
    address = field(record, 'address')
    postal = normalize.postal_code(
        field(address, 'postal_code') or field(record, 'postal_code'),
        country_of(record))
    names = normalize.name_keys(field(record, 'name'))
    if not postal:
        return set()
    return {f'{name}|{postal}' for name in names}


def display_name(record):
    name = field(record, 'name') or ''
    variant = field(record, 'variant_name')
    if variant and variant.casefold() not in name.casefold():
        name = f'{name} {variant}'
    return name


def staged_name(record, ctx):
    return normalize.name_keys(display_name(record))


def staged_name_words(record, ctx):
    return normalize.name_words(display_name(record))


def staged_sku(record, ctx):
    return _set(*(normalize.sku(v) for v in values(record, 'sku')))


def staged_gtin(record, ctx):
    return _set(*(normalize.gtin14(v) for v in values(record, 'upc', 'gtin')))


def location_name(*types):
    def extract(record, ctx):
        if field(record, 'location_type') not in types:
            return set()
        return _set(normalize.name(field(record, 'name')))
    return extract


# -- existing records (candidates) --------------------------------------

def existing_external_id(cand, ctx):
    return set(values(cand, 'external_ids', 'external_id'))


def existing_email(cand, ctx):
    return _set(*(normalize.email(v) for v in values(cand, 'email', 'emails')))


def existing_phone(cand, ctx):
    region = field(cand, 'country') or ctx.phone_region
    return _set(*(normalize.phone_e164(v, region)
            for v in values(cand, 'phone', 'phones', 'mobile')))


def existing_name_postal(cand, ctx):
    names = normalize.name_keys(field(cand, 'name'))
    if not names:
        return set()
    postals = [
        normalize.postal_code(field(a, 'postal_code'), field(a, 'country'))
        for a in values(cand, 'addresses')]
    postals += [
        normalize.postal_code(p, field(cand, 'country'))
        for p in values(cand, 'postal_code', 'postal_codes')]
    return {f'{n}|{p}' for n in names for p in postals if p}


def existing_sku(cand, ctx):
    return _set(*(normalize.sku(v) for v in values(cand, 'sku', 'skus')))


def existing_code(cand, ctx):
    return _set(*(normalize.sku(v) for v in values(cand, 'code')))


def existing_gtin(cand, ctx):
    return _set(*(normalize.gtin14(v)
            for v in values(cand, 'upc', 'ean', 'gtin', 'gtins')))


def typed_name(*types):
    def extract(cand, ctx):
        if field(cand, 'type') not in types:
            return set()
        return _set(normalize.name(field(cand, 'name')))
    return extract


def _key(name, label, staged, existing=None, **kw):
    return Key(name, label, staged, existing or staged, **kw)


EXTERNAL_ID = _key(
    'external_id', "external id", staged_external_id, existing_external_id)
EMAIL = _key('email', "email", staged_email, existing_email)
PHONE = _key('phone_e164', "phone", staged_phone, existing_phone)
SIMILAR_NAME = _key(
    'similar_name', "name", staged_name, lookup='name_word', fuzzy=True)

KEYS = {
    'customer': [
        EXTERNAL_ID, EMAIL, PHONE,
        _key('name_postal', "name and postal code", staged_name_postal,
            existing_name_postal),
        SIMILAR_NAME,
        ],
    'item': [
        EXTERNAL_ID,
        _key('sku', "SKU", staged_sku, existing_sku),
        _key('code', "SKU", staged_sku, existing_code),
        _key('gtin', "UPC/EAN", staged_gtin, existing_gtin),
        SIMILAR_NAME,
        ],
    'location': [
        EXTERNAL_ID,
        _key('store_name', "store name", location_name('marketplace'),
            typed_name('store')),
        _key('warehouse_name', "warehouse name",
            location_name('warehouse', 'pos'), typed_name('warehouse')),
        SIMILAR_NAME,
        ],
    'point_of_sale': [
        EXTERNAL_ID,
        _key('pos_name', "point of sale name", location_name('pos'),
            typed_name('pos')),
        ],
    'sales_person': [
        EXTERNAL_ID, EMAIL, PHONE,
        _key('employee_name', "name", staged_name),
        SIMILAR_NAME,
        ],
    }
KEYS = {kind: {k.name: k for k in keys} for kind, keys in KEYS.items()}

# What the host searches and in which model, per kind
TARGETS = {
    'customer': "party",
    'item': "product",
    'location': "location",
    'point_of_sale': "point of sale",
    'sales_person': "employee",
    }
PLURALS = {'party': "parties"}


def plural(target):
    return PLURALS.get(target, target + 's')


def lookup_values(key, record, ctx):
    "The values the host must look up for the key of a staged record."
    if key.fuzzy:
        return staged_name_words(record, ctx)
    return key.staged(record, ctx)


def existing_lookup_values(key, cand, ctx):
    if key.fuzzy:
        return normalize.name_words(field(cand, 'name'))
    return key.existing(cand, ctx)
