"""Holidays as one-day ranges: fixed Gregorian dates, US Thanksgiving, 清明 and lunar festivals (1900-2100)."""

from datetime import date, datetime, timedelta

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import lunar, periods
from mnemoscope.timeparse.engine import Floating, tz_of
from mnemoscope.timeparse.resolvers import Relation

FIXED = {
    "christmas": (12, 25),
    "christmas eve": (12, 24),
    "new year's day": (1, 1),
    "new year's eve": (12, 31),
    "halloween": (10, 31),
    "valentine's day": (2, 14),
    "independence day": (7, 4),
    "元旦": (1, 1),
    "圣诞": (12, 25),
    "平安夜": (12, 24),
    "情人节": (2, 14),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "儿童节": (6, 1),
    "国庆": (10, 1),
    "万圣节": (10, 31),
}

# Lunar festivals: (lunar month, day), converted for any year 1900-2100 by `lunar`.
LUNAR = {"春节": (1, 1), "元宵": (1, 15), "端午": (5, 5), "七夕": (7, 7), "中秋": (8, 15), "重阳": (9, 9)}


def holiday_date(name: str, year: int) -> date | None:
    """The date of a holiday (lower-case English or Chinese key) in a given Gregorian year."""
    if name in FIXED:
        return periods.safe_date(year, *FIXED[name])
    if name == "thanksgiving":
        first = date(year, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)  # fourth Thursday of November
    if name == "清明":
        return lunar.qingming(year)
    if name == "除夕":  # the eve of this Gregorian year's Spring Festival
        festival = lunar.to_solar(year, 1, 1)
        return None if festival is None else festival - timedelta(days=1)
    if name in LUNAR:
        return lunar.to_solar(year, *LUNAR[name])
    return None


def holiday(
    now: datetime, name: str, relation: Relation | None, year: int | None = None
) -> TimeRange | Floating | None:
    """A holiday of `year`, of this year ("this"), the latest one before today ("last"), the next one after today
    ("next"), or (none of these) an occurrence the rest of the text decides."""
    today = now.date()
    if year is None and relation in ("last", "next"):
        step = -1 if relation == "last" else 1
        for label in (today.year, today.year + step):
            found = holiday_date(name, label)
            if found is not None and (found < today if step < 0 else found > today):
                return periods.day(found, tz_of(now))
        return None
    if year is None and relation is None:
        return Floating(lambda anchor: _day(now, name, anchor.year), "year")
    return _day(now, name, year if year is not None else today.year)


def _day(now: datetime, name: str, year: int) -> TimeRange | None:
    found = holiday_date(name, year)
    return None if found is None else periods.day(found, tz_of(now))
