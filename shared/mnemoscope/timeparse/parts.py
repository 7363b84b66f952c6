"""Parts of a period: beginning/early/mid/late/end, halves and first/last weeks of a week, month, quarter or season,
year, decade or century. Every part lies inside its period, so "mid-October" is always inside "October".

| part (kind)               | week      | month       | quarter, season | year      | decade    | century     |
|---------------------------|-----------|-------------|-----------------|-----------|-----------|-------------|
| beginning (begin), 初     | Mon-Tue   | days 1-10   | 1st month       | Jan-Feb   | years 0-1 | years 0-9   |
| early, 上旬               | Mon-Tue   | days 1-10   | 1st month       | Jan-Apr   | years 0-3 | years 0-32  |
| mid, middle, 中旬, 中     | Wed-Thu   | days 11-20  | 2nd month       | May-Aug   | years 3-6 | years 33-65 |
| late, 下旬                | Fri-Sun   | days 21-end | 3rd month       | Sep-Dec   | years 7-9 | years 66-99 |
| end, 底, 末                | Fri-Sun   | days 21-end | 3rd month       | Nov-Dec   | years 8-9 | years 90-99 |
| first/second half, 上/下半 | -         | 1-15/16-end | -               | Jan-Jun/Jul-Dec | 0-4/5-9 | 0-49/50-99 |
| first/last week           | -         | first/last 7 days | -         | first/last 7 days | - | -         |
| second/third/fourth week  | -         | days 8-14/15-21/22-28 | -       | -         | -         | -           |
"""

from datetime import date, timedelta

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import periods
from mnemoscope.timeparse.engine import tz_of

# (sub-unit, {kind: (first, end)}) per period; offsets count sub-units from the start, end None = the period's end.
Span = tuple[int, int | None]
_WEEK: dict[str, Span] = {"begin": (0, 2), "early": (0, 2), "mid": (2, 4), "late": (4, 7), "end": (4, 7)}
_MONTH: dict[str, Span] = {"begin": (0, 10), "early": (0, 10), "mid": (10, 20), "late": (20, None), "end": (20, None)}
_MONTH |= {"half1": (0, 15), "half2": (15, None), "week1": (0, 7), "weeklast": (-7, None)}
_MONTH |= {"week2": (7, 14), "week3": (14, 21), "week4": (21, 28)}
_QUARTER: dict[str, Span] = {"begin": (0, 1), "early": (0, 1), "mid": (1, 2), "late": (2, 3), "end": (2, 3)}
_YEAR: dict[str, Span] = {"begin": (0, 2), "early": (0, 4), "mid": (4, 8), "late": (8, 12), "end": (10, 12)}
_YEAR |= {"half1": (0, 6), "half2": (6, 12)}
_DECADE: dict[str, Span] = {"begin": (0, 2), "early": (0, 4), "mid": (3, 7), "late": (7, 10), "end": (8, 10)}
_DECADE |= {"half1": (0, 5), "half2": (5, 10)}
_CENTURY: dict[str, Span] = {"begin": (0, 10), "early": (0, 33), "mid": (33, 66), "late": (66, 100)}
_CENTURY |= {"end": (90, 100), "half1": (0, 50), "half2": (50, 100)}
_DAY_KINDS = {"week1": (0, 7), "weeklast": (-7, None)}  # first/last week of a year, in days

WEAK_UNITS = ("month", "quarter", "year", "decade", "century")


def unit_of(found: TimeRange) -> str | None:
    """The calendar period a range spans: week, month, quarter (or season), year, decade or century."""
    start, end = found.start.date(), found.end.date()
    length = (end - start).days
    if length == 7 and start.weekday() == 0:
        return "week"
    if start.day != 1 or end.day != 1:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    return {1: "month", 3: "quarter", 12: "year", 120: "decade", 1200: "century"}.get(months)


def part_of(found: TimeRange, kind: str, *, weak: bool = False) -> TimeRange | None:
    """The `kind` part of a whole period; None when the range is no such period or the part makes no sense."""
    unit = unit_of(found)
    if unit is None or found.recurrence is not None or (weak and unit not in WEAK_UNITS):
        return None
    start, end = found.start.date(), found.end.date()
    if unit in ("week", "month") or (unit == "year" and kind in _DAY_KINDS):
        table = _DAY_KINDS if unit == "year" else _WEEK if unit == "week" else _MONTH
        span = table.get(kind)
        return None if span is None else _days(found, start, end, span)
    table = {"quarter": _QUARTER, "year": _YEAR, "decade": _DECADE, "century": _CENTURY}[unit]
    span = table.get(kind)
    if span is None:
        return None
    factor = 1 if unit in ("quarter", "year") else 12
    first = periods.add_months(start, span[0] * factor)
    last = end if span[1] is None else periods.add_months(start, span[1] * factor)
    return TimeRange(start=periods.at(first, tz_of(found.start)), end=periods.at(last, tz_of(found.start)))


def _days(found: TimeRange, start: date, end: date, span: Span) -> TimeRange | None:
    first = end + timedelta(days=span[0]) if span[0] < 0 else start + timedelta(days=span[0])
    last = end if span[1] is None else min(end, start + timedelta(days=span[1]))
    if last <= first:
        return None
    tz = tz_of(found.start)
    return TimeRange(start=periods.at(first, tz), end=periods.at(last, tz))
