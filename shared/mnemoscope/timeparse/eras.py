"""Decades, centuries and quarters.

A decade written with two digits or in words ("the nineties", 九十年代, "the 20s") is the latest such decade that
has begun by `now`; "the 1990s" names its century. "the 1800s" and "the 1900s" are centuries (years 1800-1899),
"the 2000s" the decade 2000-2009. A century is popular usage: the 20th century is 1900-1999. Quarters are calendar
quarters (Q1 = January-March).
"""

from datetime import date, datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import periods
from mnemoscope.timeparse.engine import Floating, tz_of


def _years(now: datetime, first: int, count: int) -> TimeRange | None:
    if not 1 <= first <= 9999 - count:
        return None
    tz = tz_of(now)
    return TimeRange(start=periods.at(date(first, 1, 1), tz), end=periods.at(date(first + count, 1, 1), tz))


def decade(now: datetime, year: int) -> TimeRange | None:
    """The decade starting in `year` (a multiple of ten)."""
    return _years(now, year - year % 10, 10)


def decade_of_century(now: datetime, tens: int, century_start: int | None = None) -> TimeRange | None:
    """The decade 10*tens years into a century: the given one, else the latest such decade already begun."""
    if not 0 <= tens <= 9:
        return None
    if century_start is None:
        century_start = now.year - now.year % 100
        if century_start + 10 * tens > now.year:
            century_start -= 100
    return decade(now, century_start + 10 * tens)


def hundreds(now: datetime, year: int) -> TimeRange | None:
    """ "The 1990s" (a decade), "the 1900s" (a century before 2000), "the 2000s" (the decade 2000-2009)."""
    if year % 100 == 0 and year < 2000:
        return _years(now, year, 100)
    return decade(now, year)


def century(now: datetime, number: int) -> TimeRange | None:
    """The `number`th century in popular usage: the 20th is 1900-1999."""
    return _years(now, 100 * (number - 1), 100) if 1 <= number <= 30 else None


def century_offset(now: datetime, offset: int) -> TimeRange | None:
    """This (0), last (-1) or next (+1) century."""
    return century(now, now.year // 100 + 1 + offset)


def quarter(now: datetime, year: int, number: int) -> TimeRange | None:
    """Quarter 1-4 of a year."""
    if not 1 <= number <= 4 or not 1 <= year <= 9998:
        return None
    first = date(year, 3 * number - 2, 1)
    tz = tz_of(now)
    return TimeRange(start=periods.at(first, tz), end=periods.at(periods.add_months(first, 3), tz))


def quarter_offset(now: datetime, offset: int) -> TimeRange | None:
    """This (0), last (-1) or next (+1) calendar quarter."""
    index = now.year * 4 + (now.month - 1) // 3 + offset
    return quarter(now, index // 4, index % 4 + 1)


def bare_quarter(now: datetime, number: int) -> Floating | None:
    """ "Q3", 第三季度: a quarter whose year the rest of the text decides."""
    if not 1 <= number <= 4:
        return None
    return Floating(lambda anchor: quarter(now, anchor.year, number), "year")
