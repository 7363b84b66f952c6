"""The Chinese lunisolar calendar for 1900-2100 from the standard month-length table, and the 清明 solar term.

Each year is one 17-bit number (the table used by most Chinese calendar software, with the Hong Kong
Observatory corrections for 2057, 2089 and 2097): bits 15..4 say whether lunar
months 1..12 have 30 days (else 29), bits 3..0 name the leap month (0 = none) and bit 16 says whether that leap
month has 30 days. Lunar new year 1900 fell on 1900-01-31; every later date is counted from there.
"""

from datetime import date, timedelta

FIRST_YEAR, LAST_YEAR = 1900, 2100
_EPOCH = date(1900, 1, 31)
_TABLE = (
    "04bd8 04ae0 0a570 054d5 0d260 0d950 16554 056a0 09ad0 055d2 04ae0 0a5b6 0a4d0 0d250 1d255 0b540 0d6a0 0ada2 "
    "095b0 14977 04970 0a4b0 0b4b5 06a50 06d40 1ab54 02b60 09570 052f2 04970 06566 0d4a0 0ea50 16a95 05ad0 02b60 "
    "186e3 092e0 1c8d7 0c950 0d4a0 1d8a6 0b550 056a0 1a5b4 025d0 092d0 0d2b2 0a950 0b557 06ca0 0b550 15355 04da0 "
    "0a5b0 14573 052b0 0a9a8 0e950 06aa0 0aea6 0ab50 04b60 0aae4 0a570 05260 0f263 0d950 05b57 056a0 096d0 04dd5 "
    "04ad0 0a4d0 0d4d4 0d250 0d558 0b540 0b6a0 195a6 095b0 049b0 0a974 0a4b0 0b27a 06a50 06d40 0af46 0ab60 09570 "
    "04af5 04970 064b0 074a3 0ea50 06b58 05ac0 0ab60 096d5 092e0 0c960 0d954 0d4a0 0da50 07552 056a0 0abb7 025d0 "
    "092d0 0cab5 0a950 0b4a0 0baa4 0ad50 055d9 04ba0 0a5b0 15176 052b0 0a930 07954 06aa0 0ad50 05b52 04b60 0a6e6 "
    "0a4e0 0d260 0ea65 0d530 05aa0 076a3 096d0 04afb 04ad0 0a4d0 1d0b6 0d250 0d520 0dd45 0b5a0 056d0 055b2 049b0 "
    "0a577 0a4b0 0aa50 1b255 06d20 0ada0 14b63 09370 049f8 04970 064b0 168a6 0ea50 06b20 1a6c4 0aae0 092e0 0d2e3 "
    "0c960 0d557 0d4a0 0da50 05d55 056a0 0a6d0 055d4 052d0 0a9b8 0a950 0b4a0 0b6a6 0ad50 055a0 0aba4 0a5b0 052b0 "
    "0b273 06930 07337 06aa0 0ad50 14b55 04b60 0a570 054e4 0d260 0e968 0d520 0daa0 16aa6 056d0 04ae0 0a9d4 0a4d0 "
    "0d150 0f252 0d520"
)
_INFO = [int(word, 16) for word in _TABLE.split()]


def _leap_month(info: int) -> int:
    return info & 0xF


def _month_days(info: int, month: int) -> int:
    return 30 if info & (0x10000 >> month) else 29


def _leap_days(info: int) -> int:
    return (30 if info & 0x10000 else 29) if _leap_month(info) else 0


def _year_days(info: int) -> int:
    return sum(_month_days(info, month) for month in range(1, 13)) + _leap_days(info)


def _new_years() -> list[date]:
    found, day = [], _EPOCH
    for info in _INFO:
        found.append(day)
        day += timedelta(days=_year_days(info))
    return found


_NEW_YEARS = _new_years()


def to_solar(year: int, month: int, day: int) -> date | None:
    """The Gregorian date of lunar `year`/`month`/`day` (the ordinary, not the leap, month); None outside the table."""
    if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= month <= 12:
        return None
    info = _INFO[year - FIRST_YEAR]
    if day > _month_days(info, month):
        return None
    offset = sum(_month_days(info, earlier) for earlier in range(1, month))
    if 0 < _leap_month(info) < month:
        offset += _leap_days(info)
    return _NEW_YEARS[year - FIRST_YEAR] + timedelta(days=offset + day - 1)


def qingming(year: int) -> date | None:
    """清明, the fifth solar term (April 4-6), by the usual century-constant formula; None outside 1900-2099."""
    if not FIRST_YEAR <= year < LAST_YEAR:
        return None
    short_year = year % 100
    constant = 5.59 if year < 2000 else 4.81
    return date(year, 4, int(short_year * 0.2422 + constant) - short_year // 4)
