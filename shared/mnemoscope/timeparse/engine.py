"""The language-independent core: run ordered regex rules over a text and pick the most specific time reference."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import Enum
from typing import Literal

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import periods


@dataclass(frozen=True)
class DayPart:
    """A part of a day or a clock hour, placed on a day found elsewhere in the text ("Friday" + "evening")."""

    start_hour: int
    end_hour: int
    default_today: bool  # Chinese bare 晚上 means this evening; English bare "in the evening" is too vague.


@dataclass(frozen=True)
class WeekdayRef:
    """A bare weekday ("on Friday", 周五): that day of a week named in the text, else the most recent one."""

    weekday: int


@dataclass(frozen=True)
class Floating:
    """A date named without its year or month ("October", "Christmas", 15号): `build` gives the occurrence in the
    year (step "year") or month (step "month") of an anchor date. Which anchor is used is decided once the whole
    text is known (a year named next to it, a range, a question about the past); see `compose`."""

    build: Callable[[date], "TimeRange | None"]
    step: Literal["year", "month"]


@dataclass(frozen=True)
class PartOf:
    """A part of a period ("early", "the end of", 中旬, 上半年) waiting for the period it refines: the hit after it
    (English) or before it (Chinese). `default` is used when no period is next to it (月底 alone: this month)."""

    kind: str
    follows: bool
    default: "TimeRange | None" = None
    weak: bool = False  # early/late/mid refine only months, quarters, years, decades and centuries


class Void(Enum):
    """A recognised expression that has no single range (every day): it hides its words from other rules."""

    VOID = "void"


Value = TimeRange | DayPart | WeekdayRef | Floating | PartOf | Literal[Void.VOID]
Handler = Callable[[re.Match[str], datetime], Value | None]


@dataclass(frozen=True)
class Rule:
    """A regex and the function turning one of its matches into a value."""

    pattern: re.Pattern[str]
    handler: Handler


def rule(regex: str, handler: Handler) -> Rule:
    """Compile a case-insensitive rule."""
    return Rule(re.compile(regex, re.IGNORECASE), handler)


@dataclass(frozen=True)
class Grammar:
    """The rules of one language, plus the words that turn a reference into "since then" (since 2019, 自2019年以来)."""

    rules: Sequence[Rule]
    since_before: re.Pattern[str]  # searched in the text before a hit, so it should end with `$`
    since_lead: re.Pattern[str]  # matched at the start of a hit that swallowed its preposition ("since 2019")
    since_after: re.Pattern[str]  # matched right after a hit (以来)
    lang: Literal["en", "zh"] = "en"


@dataclass(frozen=True)
class Hit:
    """A value found at text[start:end]."""

    start: int
    end: int
    value: Value
    since: bool = False


def scan(text: str, now: datetime, grammar: Grammar) -> list[Hit]:
    """All non-overlapping hits in text order; longer matches win, then earlier ones, then earlier rules."""
    found: list[tuple[int, int, int, Value]] = []
    for index, each in enumerate(grammar.rules):
        for match in each.pattern.finditer(text):
            value = _apply(each.handler, match, now)
            if value is not None:
                found.append((match.start(), match.end(), index, value))
    found.sort(key=lambda item: (item[0] - item[1], item[0], item[2]))
    taken: list[Hit] = []
    for start, end, _, value in found:
        if all(end <= hit.start or start >= hit.end for hit in taken):
            taken.append(Hit(start, end, value, _is_since(text, start, end, grammar)))
    return sorted(taken, key=lambda hit: hit.start)


def _apply(handler: Handler, match: re.Match[str], now: datetime) -> Value | None:
    try:
        return handler(match, now)
    except (ValueError, OverflowError):  # "9999 years ago": dates outside datetime's range are not references
        return None


def _is_since(text: str, start: int, end: int, grammar: Grammar) -> bool:
    before = text[max(0, start - 16) : start]
    return bool(
        grammar.since_before.search(before)
        or grammar.since_lead.match(text, start, end)
        or grammar.since_after.match(text, end)
    )


def choose(hits: Sequence[Hit], now: datetime) -> TimeRange | None:
    """Combine weekdays and parts of a day with the days they refine, then return the shortest range."""
    ranges = [(hit.value, hit.since) for hit in hits if isinstance(hit.value, TimeRange)]
    ranges = _place_weekdays(ranges, [hit.value for hit in hits if isinstance(hit.value, WeekdayRef)], now)
    parts = [hit.value for hit in hits if isinstance(hit.value, DayPart)]
    if parts:
        # 每天早上: a daily repetition means the bare part of the day is not about today.
        repeats = any(hit.value is Void.VOID for hit in hits)
        ranges = _place_part(ranges, parts[0], now, allow_today=not repeats)
    if not ranges:
        return None
    best, since = min(ranges, key=lambda item: item[0].end - item[0].start)
    return _since(best, now) if since else best


def _place_weekdays(
    ranges: list[tuple[TimeRange, bool]], weekdays: list[WeekdayRef], now: datetime
) -> list[tuple[TimeRange, bool]]:
    result = list(ranges)
    for ref in weekdays:
        weeks = [index for index, (found, _) in enumerate(result) if _is_week(found)]
        if weeks:
            found, since = result[weeks[0]]
            result[weeks[0]] = (periods.day(found.start.date() + timedelta(days=ref.weekday), tz_of(now)), since)
        else:
            result.append((most_recent_weekday(now, ref.weekday), False))
    return result


def _place_part(
    ranges: list[tuple[TimeRange, bool]], part: DayPart, now: datetime, *, allow_today: bool
) -> list[tuple[TimeRange, bool]]:
    for index, (found, since) in enumerate(ranges):
        if _is_day(found):
            placed = periods.hours(found.start.date(), part.start_hour, part.end_hour, tz_of(now), found.recurrence)
            return [*ranges[:index], (placed, since), *ranges[index + 1 :]]
    if part.default_today and allow_today:
        return [*ranges, (periods.hours(now.date(), part.start_hour, part.end_hour, tz_of(now)), False)]
    return ranges


def _is_day(found: TimeRange) -> bool:
    start = found.start
    return start.hour == 0 and start.minute == 0 and found.end == periods.at(start.date(), tz_of(start), 24)


def _is_week(found: TimeRange) -> bool:
    start = found.start
    monday_midnight = start.weekday() == 0 and start.hour == 0 and start.minute == 0
    return found.recurrence is None and monday_midnight and found.end == periods.at(start.date(), tz_of(start), 24 * 7)


def _since(found: TimeRange, now: datetime) -> TimeRange:
    """From the start of the reference up to the end of today ("since 2019")."""
    end_of_today = periods.at(now.date(), tz_of(now), 24)
    if found.recurrence is not None or found.start >= now:
        return found
    return TimeRange(start=found.start, end=max(found.end, end_of_today))


def most_recent_weekday(now: datetime, weekday: int) -> TimeRange:
    """The latest day with this weekday, today included."""
    today = now.date()
    return periods.day(today - timedelta(days=(today.weekday() - weekday) % 7), tz_of(now))


def tz_of(moment: datetime) -> tzinfo:
    assert moment.tzinfo is not None  # resolve_time rejects naive datetimes
    return moment.tzinfo
