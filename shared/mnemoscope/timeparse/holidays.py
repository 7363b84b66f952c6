"""Holidays as one-day ranges: fixed Gregorian dates, US Thanksgiving, and table-driven lunar festivals."""

from datetime import date, datetime, timedelta

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import periods
from mnemoscope.timeparse.engine import tz_of
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

# Lunar festivals have no closed form; outside these years they resolve to None.
_SPRING_FESTIVAL = (
    "2000-02-05 2001-01-24 2002-02-12 2003-02-01 2004-01-22 2005-02-09 2006-01-29 2007-02-18 2008-02-07 2009-01-26 "
    "2010-02-14 2011-02-03 2012-01-23 2013-02-10 2014-01-31 2015-02-19 2016-02-08 2017-01-28 2018-02-16 2019-02-05 "
    "2020-01-25 2021-02-12 2022-02-01 2023-01-22 2024-02-10 2025-01-29 2026-02-17 2027-02-06 2028-01-26 2029-02-13 "
    "2030-02-03 2031-01-23 2032-02-11 2033-01-31 2034-02-19 2035-02-08"
)
_MID_AUTUMN = (
    "2015-09-27 2016-09-15 2017-10-04 2018-09-24 2019-09-13 2020-10-01 2021-09-21 2022-09-10 2023-09-29 2024-09-17 "
    "2025-10-06 2026-09-25 2027-09-15 2028-10-03 2029-09-22 2030-09-12"
)
_DRAGON_BOAT = (
    "2015-06-20 2016-06-09 2017-05-30 2018-06-18 2019-06-07 2020-06-25 2021-06-14 2022-06-03 2023-06-22 2024-06-10 "
    "2025-05-31 2026-06-19 2027-06-09 2028-05-28 2029-06-16 2030-06-05"
)


def _table(text: str) -> dict[int, date]:
    return {found.year: found for found in map(date.fromisoformat, text.split())}


LUNAR = {"春节": _table(_SPRING_FESTIVAL), "中秋": _table(_MID_AUTUMN), "端午": _table(_DRAGON_BOAT)}
# Days relative to the Spring Festival: New Year's Eve and the Lantern Festival.
SPRING_RELATIVE = {"除夕": -1, "元宵": 14}


def holiday_date(name: str, year: int) -> date | None:
    """The date of a holiday (lower-case English or Chinese key) in a given year."""
    if name in FIXED:
        return periods.safe_date(year, *FIXED[name])
    if name == "thanksgiving":
        first = date(year, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)  # fourth Thursday of November
    if name in SPRING_RELATIVE:
        festival = LUNAR["春节"].get(year)
        return None if festival is None else festival + timedelta(days=SPRING_RELATIVE[name])
    return LUNAR.get(name, {}).get(year)


def holiday(now: datetime, name: str, relation: Relation | None, year: int | None = None) -> TimeRange | None:
    """A holiday of `year`, of this year, the latest one before today ("last"), or the next one after today."""
    today = now.date()
    if year is None and relation in ("last", "next"):
        step = -1 if relation == "last" else 1
        for label in (today.year, today.year + step):
            found = holiday_date(name, label)
            if found is not None and (found < today if step < 0 else found > today):
                return periods.day(found, tz_of(now))
        return None
    found = holiday_date(name, year if year is not None else today.year)
    return None if found is None else periods.day(found, tz_of(now))
