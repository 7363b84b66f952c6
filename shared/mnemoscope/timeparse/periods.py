"""Pure calendar helpers: local days, Monday-based weeks, months, years, seasons and clamped month arithmetic.

All ranges use wall-clock arithmetic in the caller's timezone, so a day is always midnight to midnight, even on a
daylight-saving change.
"""

from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from mnemoscope.domain.time_range import Recurrence, TimeRange

Unit = Literal["minute", "hour", "day", "week", "month", "year"]

SEASON_FIRST_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}


def at(day: date, tz: tzinfo, hour: int = 0) -> datetime:
    """The wall-clock `hour` of `day` in `tz`; hours past 23 roll over into the following days."""
    extra_days, hour = divmod(hour, 24)
    moment = day + timedelta(days=extra_days)
    return datetime(moment.year, moment.month, moment.day, hour, tzinfo=tz)


def days(first: date, count: int, tz: tzinfo, recurrence: Recurrence | None = None) -> TimeRange:
    """`count` whole days starting at `first`."""
    return TimeRange(start=at(first, tz), end=at(first + timedelta(days=count), tz), recurrence=recurrence)


def day(moment: date, tz: tzinfo, recurrence: Recurrence | None = None) -> TimeRange:
    """The whole calendar day."""
    return days(moment, 1, tz, recurrence)


def hours(moment: date, start_hour: int, end_hour: int, tz: tzinfo, recurrence: Recurrence | None = None) -> TimeRange:
    """Hours [start_hour, end_hour) of a day; end_hour 24 is the next midnight."""
    return TimeRange(start=at(moment, tz, start_hour), end=at(moment, tz, end_hour), recurrence=recurrence)


def week_start(moment: date) -> date:
    """The Monday of the week containing `moment`."""
    return moment - timedelta(days=moment.weekday())


def week(moment: date, tz: tzinfo) -> TimeRange:
    """The Monday-to-Monday week containing `moment`."""
    return days(week_start(moment), 7, tz)


def month(year: int, month_number: int, tz: tzinfo) -> TimeRange:
    """The calendar month."""
    first = date(year, month_number, 1)
    return TimeRange(start=at(first, tz), end=at(add_months(first, 1), tz))


def year(year_number: int, tz: tzinfo) -> TimeRange:
    """The calendar year."""
    return TimeRange(start=at(date(year_number, 1, 1), tz), end=at(date(year_number + 1, 1, 1), tz))


def season(name: str, year_number: int, tz: tzinfo) -> TimeRange:
    """A meteorological (northern-hemisphere) season; the winter of Y runs from December Y to March Y+1."""
    first = date(year_number, SEASON_FIRST_MONTH[name], 1)
    return TimeRange(start=at(first, tz), end=at(add_months(first, 3), tz))


def season_year(moment: date) -> tuple[str, int]:
    """The season containing `moment` and the year it is named after."""
    for name, first_month in SEASON_FIRST_MONTH.items():
        if first_month <= moment.month < first_month + 3:
            return name, moment.year
    return "winter", moment.year if moment.month == 12 else moment.year - 1


def add_months(moment: date, count: int) -> date:
    """Shift by whole months, clamping the day to the target month's length (Mar 31 - 1 month = Feb 29)."""
    index = moment.month - 1 + count
    target_year, target_month = moment.year + index // 12, index % 12 + 1
    for day_number in range(moment.day, 27, -1):
        clamped = safe_date(target_year, target_month, day_number)
        if clamped is not None:
            return clamped
    return date(target_year, target_month, moment.day)


def shift(moment: date, unit: Unit, count: int) -> date:
    """Move a date by `count` days, weeks, months or years (minutes and hours count as days here)."""
    if unit == "week":
        return moment + timedelta(weeks=count)
    if unit == "month":
        return add_months(moment, count)
    if unit == "year":
        return add_months(moment, 12 * count)
    return moment + timedelta(days=count)


def containing(moment: date, unit: Unit, tz: tzinfo) -> TimeRange:
    """The calendar unit (day, Monday week, month or year) that contains `moment`."""
    if unit == "week":
        return week(moment, tz)
    if unit == "month":
        return month(moment.year, moment.month, tz)
    if unit == "year":
        return year(moment.year, tz)
    return day(moment, tz)


def safe_date(year_number: int, month_number: int, day_number: int) -> date | None:
    """The date, or None when it does not exist (February 30, month 13)."""
    try:
        return date(year_number, month_number, day_number)
    except ValueError:
        return None
