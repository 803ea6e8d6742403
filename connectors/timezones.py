"""US Pacific wall-clock times, as ShipStation V1 sends and expects them.

ShipStation writes local Pacific time with no offset and 0 to 7
fractional digits (``2015-06-29T08:46:27.0000000``, ``...14.78``, or a
bare date).  In the November fall-back hour a wall time happens twice:
we read it as the **first** occurrence (``fold=0``, PDT), the earlier
instant, so a ``modifyDate`` cursor errs towards reading again rather than
skipping.  A wall time inside the March spring-forward gap never happened:
it raises ``ValidationError``.
"""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from .errors import ValidationError

PACIFIC = ZoneInfo('America/Los_Angeles')
UTC = dt.timezone.utc

_PATTERN = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})'
    r'(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?'
    r'(Z|[+-]\d{2}:?\d{2})?$')
WALL_FORMAT = '%Y-%m-%d %H:%M:%S'


def _invalid(value, field, reason):
    return ValidationError(f"{reason}: {value!r}", field=field)


def _parse_naive(value, field):
    if not isinstance(value, str):
        raise _invalid(value, field, "not a date-time string")
    match = _PATTERN.match(value.strip())
    if not match:
        raise _invalid(value, field, "not a date-time")
    year, month, day, hour, minute, second, fraction, offset = (
        match.groups())
    micro = int((fraction or '0')[:6].ljust(6, '0'))
    try:
        naive = dt.datetime(
            int(year), int(month), int(day), int(hour or 0),
            int(minute or 0), int(second or 0), micro)
    except ValueError as exception:
        raise _invalid(value, field, str(exception)) from exception
    return naive, offset


def _fixed_offset(offset):
    if offset == 'Z':
        return UTC
    sign = -1 if offset[0] == '-' else 1
    digits = offset[1:].replace(':', '')
    return dt.timezone(sign * dt.timedelta(
            hours=int(digits[:2]), minutes=int(digits[2:])))


def exists(naive, zone=PACIFIC):
    "Tell whether the wall time happened (False inside a DST gap)."
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == naive


def is_ambiguous(naive, zone=PACIFIC):
    "Tell whether the wall time happened twice (the fall-back hour)."
    if not exists(naive, zone):
        return False
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def localize(naive, zone=PACIFIC, field=None):
    "Attach the zone; first occurrence when ambiguous, error in a gap."
    if not exists(naive, zone):
        raise _invalid(
            naive.isoformat(sep=' '), field,
            "time does not exist in America/Los_Angeles (DST gap)")
    return naive.replace(tzinfo=zone, fold=0)


def parse_pacific(value, field=None):
    """Return the aware datetime of a ShipStation date-time.

    An explicit offset (``Z``, ``-07:00``) is honoured if ever present.
    """
    naive, offset = _parse_naive(value, field)
    if offset:
        return naive.replace(tzinfo=_fixed_offset(offset))
    return localize(naive, PACIFIC, field)


def parse_date(value, field=None):
    "Return the date of a ShipStation date (or date-time, its local date)."
    naive, offset = _parse_naive(value, field)
    return naive.date()


def to_pacific_wall(moment):
    "Return the naive Pacific wall time of an aware datetime."
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(PACIFIC).replace(tzinfo=None)


def format_wall(naive):
    "Render a naive wall time as ShipStation's ``yyyy-mm-dd hh:mm:ss``."
    return naive.strftime(WALL_FORMAT)


def format_pacific(moment):
    "Render an aware datetime as a ShipStation filter value."
    return format_wall(to_pacific_wall(moment))


def safe_lower_bound(naive):
    """The latest wall time not after ``naive`` that is not ambiguous.

    The server may read an ambiguous filter value as either occurrence;
    stepping back before the fall-back hour makes an inclusive lower bound
    safe whichever it picks.
    """
    while is_ambiguous(naive):
        naive = naive.replace(minute=0, second=0, microsecond=0) - (
            dt.timedelta(seconds=1))
    return naive


def safe_upper_bound(naive):
    """The earliest whole-second wall time not before ``naive`` that is not
    ambiguous (filters have no fraction: truncating would leave out what
    changed in the last second)."""
    if naive.microsecond:
        naive = naive.replace(microsecond=0) + dt.timedelta(seconds=1)
    while is_ambiguous(naive):
        naive = naive.replace(minute=0, second=0, microsecond=0) + (
            dt.timedelta(hours=1))
    return naive
