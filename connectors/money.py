"""Money in minor units (Square) to and from ``Decimal`` in major units.

The number of decimals comes from ISO 4217.  Only the currencies whose
exponent is not 2 are listed; every other code uses 2.
"""
from decimal import Decimal

# ISO 4217 minor unit exponents that differ from 2.
_EXPONENTS = {
    # zero-decimal currencies
    'BIF': 0, 'CLP': 0, 'DJF': 0, 'GNF': 0, 'ISK': 0, 'JPY': 0, 'KMF': 0,
    'KRW': 0, 'PYG': 0, 'RWF': 0, 'UGX': 0, 'UYI': 0, 'VND': 0, 'VUV': 0,
    'XAF': 0, 'XOF': 0, 'XPF': 0,
    # three-decimal currencies
    'BHD': 3, 'IQD': 3, 'JOD': 3, 'KWD': 3, 'LYD': 3, 'OMR': 3, 'TND': 3,
    # four-decimal units of account
    'CLF': 4, 'UYW': 4,
    }


def exponent(currency):
    "Return the number of decimals of the ISO 4217 currency code."
    if not currency or len(currency) != 3:
        raise ValueError(f"invalid currency code: {currency!r}")
    return _EXPONENTS.get(currency.upper(), 2)


def from_minor(amount, currency):
    "Return the Decimal in major units for an integer amount in minor units."
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"minor-unit amount must be an integer: {amount!r}")
    return Decimal(amount).scaleb(-exponent(currency))


def to_minor(value, currency):
    "Return the integer amount in minor units for a Decimal in major units."
    scaled = Decimal(value).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"{value} has more decimals than {currency} allows")
    return int(scaled)


def quantize(value, currency):
    "Round (half even) a Decimal to the currency's number of decimals."
    return Decimal(value).quantize(Decimal(1).scaleb(-exponent(currency)))
