"""Normalizers: turn raw strings into the values rules compare.

Every function returns ``None`` when the input cannot give a usable key,
so a blank or malformed value never matches anything.
"""
import re
import unicodedata
from functools import lru_cache

import phonenumbers

_SPACES = re.compile(r'\s+')
_NOT_WORD = re.compile(r'[\W_]+')
_US_ZIP = re.compile(r'^(\d{5})(?:\d{4})?$')


def text(value):
    "NFKC, case-folded, trimmed, inner spaces collapsed."
    if not value:
        return None
    value = unicodedata.normalize('NFKC', str(value))
    value = _SPACES.sub(' ', value).strip().casefold()
    return value or None


@lru_cache(maxsize=65536)
def email(value):
    """Lower-cased, NFKC, trimmed e-mail or None.

    Gmail dot-folding and "+tag" stripping are not applied: they are
    provider specific and would merge addresses that belong to different
    people at other providers.
    """
    value = text(value)
    if not value or value.count('@') != 1:
        return None
    local, domain = value.split('@')
    if not local or '.' not in domain or ' ' in value:
        return None
    return value


@lru_cache(maxsize=65536)
def phone_e164(value, region='US'):
    "E.164 form of a phone number or None when it is not a valid number."
    if not value:
        return None
    value = unicodedata.normalize('NFKC', str(value)).strip()
    if value.startswith('00'):
        # International call prefix used in most of the world
        value = '+' + value[2:]
    try:
        number = phonenumbers.parse(value, (region or 'US').upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164)


def strip_accents(value):
    decomposed = unicodedata.normalize('NFKD', value)
    return ''.join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def name(value):
    """Case, accents, punctuation and word order insensitive name key.

    Letters of every script are kept, so Cyrillic, Greek or CJK names
    compare as they are written (no transliteration).
    """
    value = text(value)
    if not value:
        return None
    value = strip_accents(value)
    words = [w for w in _NOT_WORD.split(value) if w]
    return ' '.join(sorted(words)) or None


@lru_cache(maxsize=65536)
def name_keys(value):
    """Exact-match keys of a name: its words sorted ("Doe, Jane" equals
    "Jane Doe") and its words joined without spaces ("山田 太郎" equals
    "山田太郎")."""
    value = text(value)
    if not value:
        return frozenset()
    words = [w for w in _NOT_WORD.split(strip_accents(value)) if w]
    if not words:
        return frozenset()
    return frozenset((' '.join(sorted(words)), ''.join(words)))


@lru_cache(maxsize=65536)
def name_words(value):
    "The words of a name key (used to block fuzzy look-ups)."
    key = name(value)
    return frozenset(key.split()) if key else frozenset()


def postal_code(value, country=None):
    "Upper-cased postal code without spaces or dashes; US ZIP+4 cut to 5."
    if not value:
        return None
    value = unicodedata.normalize('NFKC', str(value)).upper()
    value = re.sub(r'[\s\-]+', '', value)
    if not value:
        return None
    if (country or 'US').upper() == 'US':
        match = _US_ZIP.match(value)
        if match:
            return match.group(1)
    return value


def sku(value):
    "SKU without case or surrounding spaces; inner characters are kept."
    if value is None:
        return None
    value = unicodedata.normalize('NFKC', str(value)).strip().casefold()
    return value or None


def gtin_check_digit(body):
    "GS1 check digit of the digits before it."
    total = sum(
        int(d) * (3 if i % 2 == 0 else 1)
        for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@lru_cache(maxsize=65536)
def gtin14(value):
    """GTIN-14 of an UPC-A, EAN-13, EAN-8 or GTIN-14 with a valid check digit.

    UPC-A 012345678905 and EAN-13 0012345678905 give the same GTIN-14.
    """
    if not value:
        return None
    digits = re.sub(r'[\s\-]+', '', str(value))
    if not digits.isdigit() or len(digits) not in {8, 12, 13, 14}:
        return None
    digits = digits.zfill(14)
    if gtin_check_digit(digits[:-1]) != digits[-1]:
        return None
    if set(digits) == {'0'}:
        return None
    return digits
