"""Resolvers shared by the English and Chinese rules: each turns parsed fields plus `now` into a TimeRange."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import periods
from mnemoscope.timeparse.engine import tz_of
from mnemoscope.timeparse.periods import Unit

Relation = Literal["last", "this", "next"]


def day_offset(now: datetime, offset: int) -> TimeRange:
    """Today shifted by whole days (yesterday = -1)."""
    return periods.day(now.date() + timedelta(days=offset), tz_of(now))


def part_of_day(now: datetime, offset: int, start_hour: int, end_hour: int) -> TimeRange:
    """Hours of today shifted by `offset` days (last night = -1, 18..24)."""
    return periods.hours(now.date() + timedelta(days=offset), start_hour, end_hour, tz_of(now))


def relative(now: datetime, count: int, unit: Unit) -> TimeRange:
    """The calendar unit containing the moment `count` units away (negative = ago); hours give that clock hour and
    minutes that clock minute."""
    if unit == "minute":
        moment = (now + timedelta(minutes=count)).replace(second=0, microsecond=0)
        return TimeRange(start=moment, end=moment + timedelta(minutes=1))
    if unit == "hour":
        moment = (now + timedelta(hours=count)).replace(minute=0, second=0, microsecond=0)
        return TimeRange(start=moment, end=moment + timedelta(hours=1))
    return periods.containing(periods.shift(now.date(), unit, count), unit, tz_of(now))


def same_day_years_away(now: datetime, years: int) -> TimeRange:
    """Today's date `years` years away ("this day last year"); Feb 29 falls back to Feb 28."""
    return periods.day(periods.add_months(now.date(), 12 * years), tz_of(now))


def calendar_unit(now: datetime, unit: Unit, offset: int) -> TimeRange:
    """This (0), last (-1) or next (+1) calendar week, month or year."""
    return relative(now, offset, unit)


def past_span(now: datetime, count: int, unit: Unit) -> TimeRange:
    """From the start of the day `count` units ago to the end of today ("the past 3 days")."""
    today = now.date()
    first = periods.shift(today, unit, -count)
    return TimeRange(start=periods.at(first, tz_of(now)), end=periods.at(today, tz_of(now), 24))


def next_span(now: datetime, count: int, unit: Unit) -> TimeRange:
    """From the start of today to the end of the day `count` units ahead ("the next 3 days")."""
    today = now.date()
    last = periods.shift(today, unit, count)
    return TimeRange(start=periods.at(today, tz_of(now)), end=periods.at(last, tz_of(now), 24))


def weekday_in_week(now: datetime, weekday: int, week_offset: int) -> TimeRange:
    """The weekday (Monday = 0) of the calendar week `week_offset` weeks from this one."""
    monday = periods.week_start(now.date()) + timedelta(weeks=week_offset)
    return periods.day(monday + timedelta(days=weekday), tz_of(now))


def weekday_around(now: datetime, weekday: int, direction: int) -> TimeRange:
    """The nearest such weekday strictly after (direction 1) or strictly before (-1) today."""
    today = now.date()
    gap = (weekday - today.weekday()) % 7 or 7
    return periods.day(today + timedelta(days=gap if direction > 0 else gap - 7), tz_of(now))


def weekend(now: datetime, week_offset: int) -> TimeRange:
    """Saturday 00:00 to Monday 00:00 of a calendar week (0 = this week)."""
    saturday = periods.week_start(now.date()) + timedelta(weeks=week_offset, days=5)
    return periods.days(saturday, 2, tz_of(now))


def recent_weekend(now: datetime) -> TimeRange:
    """A bare "weekend": the current one on Saturday or Sunday, else the one just past."""
    return weekend(now, 0 if now.date().weekday() >= 5 else -1)


def full_date(now: datetime, year: int | None, month: int, day: int) -> TimeRange | None:
    """A calendar day; the year defaults to now's year; None when the date does not exist."""
    found = periods.safe_date(year if year is not None else now.year, month, day)
    return None if found is None else periods.day(found, tz_of(now))


def month_of(now: datetime, year: int | None, month: int, relation: Relation | None = None) -> TimeRange | None:
    """A month: of `year`, or this year's, or the latest one before / the first after the current month."""
    if not 1 <= month <= 12:
        return None
    if year is None:
        year = now.year
        if relation == "last" and month >= now.month:
            year -= 1
        elif relation == "next" and month <= now.month:
            year += 1
    return periods.month(year, month, tz_of(now))


def year_of(now: datetime, year: int) -> TimeRange | None:
    """A calendar year between 1000 and 2999."""
    return periods.year(year, tz_of(now)) if 1000 <= year <= 2999 else None


def day_of_month(now: datetime, month_offset: int, day: int) -> TimeRange | None:
    """Day `day` of this month (offset 0), last month (-1) or next month (+1)."""
    first = periods.add_months(now.date().replace(day=1), month_offset)
    return full_date(now, first.year, first.month, day)


def upcoming(now: datetime, candidates: Callable[[int], date | None], limit: int = 12) -> date | None:
    """The first candidate date on or after today, trying candidates(0), candidates(1), ..."""
    today = now.date()
    for step in range(limit):
        found = candidates(step)
        if found is not None and found >= today:
            return found
    return None


def yearly(now: datetime, month: int, day: int) -> TimeRange | None:
    """The current or next occurrence of a yearly date (Feb 29 waits for a leap year)."""
    found = upcoming(now, lambda step: periods.safe_date(now.year + step, month, day), limit=9)
    return None if found is None else periods.day(found, tz_of(now), "yearly")


def yearly_month(now: datetime, month: int) -> TimeRange | None:
    """The current or next occurrence of a month every year (每年五月)."""
    if not 1 <= month <= 12:
        return None
    found = periods.month(now.year + (month < now.month), month, tz_of(now))
    return TimeRange(start=found.start, end=found.end, recurrence="yearly")


def monthly(now: datetime, day: int) -> TimeRange | None:
    """The current or next occurrence of a day of the month (the 31st skips shorter months)."""
    first = now.date().replace(day=1)

    def candidate(step: int) -> date | None:
        month_start = periods.add_months(first, step)
        return periods.safe_date(month_start.year, month_start.month, day)

    found = upcoming(now, candidate)
    return None if found is None else periods.day(found, tz_of(now), "monthly")


def weekly(now: datetime, weekday: int) -> TimeRange:
    """The current or next occurrence of a weekday (today counts)."""
    today = now.date()
    return periods.day(today + timedelta(days=(weekday - today.weekday()) % 7), tz_of(now), "weekly")


def weekly_weekend(now: datetime) -> TimeRange:
    """This week's weekend (current or next), repeating weekly."""
    found = weekend(now, 0)
    return TimeRange(start=found.start, end=found.end, recurrence="weekly")


def season_of(now: datetime, name: str, relation: Relation | None, year: int | None = None) -> TimeRange:
    """A season of `year`; else this year's, the latest one fully past ("last"), or the next not yet started."""
    tz = tz_of(now)
    if year is not None:
        return periods.season(name, year, tz)
    current_name, current_year = periods.season_year(now.date())
    if relation == "last":
        today_start = periods.at(now.date(), tz)
        label = next(y for y in range(now.year, now.year - 3, -1) if periods.season(name, y, tz).end <= today_start)
        return periods.season(name, label, tz)
    if relation == "next":
        label = next(y for y in range(now.year, now.year + 3) if periods.season(name, y, tz).start > now)
        return periods.season(name, label, tz)
    return periods.season(name, current_year if name == current_name else now.year, tz)
