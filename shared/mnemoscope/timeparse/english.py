"""English rules for relative references: days, parts of a day, weekdays, weeks/months/years, offsets and spans."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import english_dates, english_extra, numeric, resolvers
from mnemoscope.timeparse.engine import DayPart, Grammar, Handler, Rule, Value, Void, WeekdayRef, rule
from mnemoscope.timeparse.numbers import EN_NUMBER, parse_english_number
from mnemoscope.timeparse.periods import Unit

WEEKDAY = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thurs)"
_WEEKDAY_PREFIXES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNIT = r"(?P<unit>minute|min|hour|day|week|fortnight|month|year)s?"
_COUNT = rf"(?P<n>{EN_NUMBER}|(?:a\s+)?few|half\s+an?)"
_PARTS = {"morning": (6, 12), "noon": (11, 14), "midday": (11, 14), "lunchtime": (11, 14), "afternoon": (12, 18)}
_PARTS |= {"evening": (18, 24), "night": (18, 24)}
UNITS: dict[str, tuple[int, Unit]] = {
    "minute": (1, "minute"),
    "min": (1, "minute"),
    "hour": (1, "hour"),
    "day": (1, "day"),
    "week": (1, "week"),
    "fortnight": (2, "week"),
    "month": (1, "month"),
    "year": (1, "year"),
}
_HALVES: dict[str, tuple[int, Unit]] = {"year": (6, "month"), "month": (2, "week"), "hour": (30, "minute")}
_LAST = ("last", "previous", "past")
_NEXT = ("next", "following", "coming")


def weekday_index(word: str) -> int:
    """Monday = 0 for a weekday name or abbreviation."""
    return _WEEKDAY_PREFIXES.index(word.lower()[:3])


def relation_offset(words: str) -> int:
    """-1 for last/previous/past, +1 for next/following/coming, 0 for this/current."""
    last = words.lower().split()[-1]
    return -1 if last in _LAST else 1 if last in _NEXT else 0


def _amount(match: re.Match[str]) -> tuple[int, Unit] | None:
    """The count and unit of "3 days", "a fortnight", "half a year"; None for what has no calendar unit."""
    unit, words = match["unit"].lower(), " ".join(match["n"].lower().split())
    if words.startswith("half"):
        return _HALVES.get(unit)
    count = parse_english_number(words)
    if count is None:
        return None
    factor, calendar_unit = UNITS[unit]
    return factor * count, calendar_unit


def _offset(match: re.Match[str], now: datetime) -> TimeRange | None:
    amount = _amount(match)
    # "in a minute" is a manner of speaking, "in 5 minutes" a time.
    if amount is None or (amount[1] == "minute" and not match["dir"] and match["n"].lower() in ("a", "an")):
        return None
    future = not match["dir"] or match["dir"].lower().split()[0] in ("later", "after", "afterwards", "from", "hence")
    return resolvers.relative(now, amount[0] if future else -amount[0], amount[1])


def _span(match: re.Match[str], now: datetime) -> TimeRange | None:
    amount = _amount(match) if match["n"] else UNITS[match["unit"].lower()]
    if amount is None or amount[1] in ("minute", "hour"):
        return None
    if relation_offset(match["rel"]) > 0:
        return resolvers.next_span(now, *amount)
    return resolvers.past_span(now, *amount)


def _weekday_with_relation(match: re.Match[str], now: datetime) -> TimeRange:
    weekday, relation = weekday_index(match["wd"]), " ".join(match["rel"].lower().split())
    if relation in ("this past", "past"):
        return resolvers.weekday_around(now, weekday, -1)
    if relation in ("this coming", "coming"):
        return resolvers.weekday_around(now, weekday, 1)
    return resolvers.weekday_in_week(now, weekday, relation_offset(relation))


def _clock(match: re.Match[str], _now: datetime) -> DayPart | None:
    hour = int(match["h"])
    meridiem = (match["ap"] or "").lower()[:1]
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    return DayPart(hour, hour + 1, default_today=False) if hour < 24 else None


def _part(match: re.Match[str], _now: datetime) -> DayPart:
    return DayPart(*_PARTS[match["p"].lower()], default_today=False)


def _fixed(value: Value) -> Handler:
    return lambda _match, _now: value


def _days(offset: int) -> Handler:
    return lambda _match, now: resolvers.day_offset(now, offset)


def _hours(offset: int, start: int, end: int) -> Handler:
    return lambda _match, now: resolvers.part_of_day(now, offset, start, end)


def _unit_of(match: re.Match[str]) -> Unit:
    return UNITS[match["unit"].lower()][1]


def _weekly(match: re.Match[str], now: datetime) -> TimeRange:
    return resolvers.weekly(now, weekday_index(match["wd"]))


_REL = (
    r"(?P<rel>last|next|this|previous|following|coming|current|this\s+past|this\s+coming|"
    r"the\s+(?:previous|following|coming|current))"
)
_DIRECTION = r"(?P<dir>ago|back|before|earlier|previously|later|after|afterwards?|from\s+now|hence)"

RULES: list[Rule] = [
    # Daily and bare repetitions have no single range; matching them keeps "every morning" from meaning today.
    rule(
        r"\b(?:every|each)\s+(?:single\s+)?(?:day|morning|afternoon|evening|night|week|month|year|weekday)\b",
        _fixed(Void.VOID),
    ),
    rule(r"\b(?:everyday|daily|nightly|weekly|monthly|yearly|annually)\b", _fixed(Void.VOID)),
    rule(r"\b(?:today|this\s+day)\b", _days(0)),
    rule(r"\b(?:yesterday)\b", _days(-1)),
    rule(r"\b(?:tomorrow|tmrw?)\b", _days(1)),
    rule(r"\bthe\s+day\s+before\s+yesterday\b", _days(-2)),
    rule(r"\bthe\s+day\s+after\s+tomorrow\b", _days(2)),
    rule(
        r"\b(?:this\s+(?:day|time)|today)\s+(?P<rel>last|next)\s+year\b|\ba\s+year\s+(?P<ago>ago)\s+today\b",
        lambda match, now: resolvers.same_day_years_away(now, -1 if match["ago"] else relation_offset(match["rel"])),
    ),
    rule(r"\btonight\b", _hours(0, 18, 24)),
    rule(r"\blast\s+night\b", _hours(-1, 18, 24)),
    rule(r"\bthe\s+night\s+before\s+last\b", _hours(-2, 18, 24)),
    rule(r"\bthis\s+morning\b", _hours(0, 6, 12)),
    rule(r"\bthis\s+(?:noon|midday|lunchtime)\b", _hours(0, 11, 14)),
    rule(r"\bthis\s+afternoon\b", _hours(0, 12, 18)),
    rule(r"\bthis\s+evening\b", _hours(0, 18, 24)),
    rule(r"\b(?:in\s+the\s+|at\s+|around\s+)?(?P<p>morning|noon|midday|lunchtime|afternoon|evening|night)\b", _part),
    rule(r"\b(?:at\s+|around\s+)?(?P<h>1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?P<ap>[ap]\.?m\b\.?)", _clock),
    rule(r"\b(?:at|around)\s+(?P<h>[01]?\d|2[0-3]):[0-5]\d\b(?P<ap>)", _clock),
    rule(rf"\b{_REL}\s+{WEEKDAY}\b", _weekday_with_relation),
    rule(rf"\b{WEEKDAY}\s+(?:of\s+)?{_REL}\s+week\b", _weekday_with_relation),
    rule(rf"\b(?:on\s+)?{WEEKDAY}\b", lambda match, _now: WeekdayRef(weekday_index(match["wd"]))),
    rule(
        rf"\b{_REL}\s+(?P<unit>week|month|year)\b",
        lambda match, now: resolvers.calendar_unit(now, _unit_of(match), relation_offset(match["rel"])),
    ),
    rule(
        r"\bthe\s+(?P<unit>week|month|year)\s+(?P<rel>before\s+last|after\s+next)\b",
        lambda match, now: resolvers.calendar_unit(now, _unit_of(match), 2 * relation_offset(match["rel"])),
    ),
    rule(rf"\b{_REL}\s+weekend\b", lambda match, now: resolvers.weekend(now, relation_offset(match["rel"]))),
    rule(r"\bthe\s+weekend\s+before\s+last\b", lambda _match, now: resolvers.weekend(now, -2)),
    rule(r"\bweekend\b", lambda _match, now: resolvers.recent_weekend(now)),
    rule(r"\b(?:every|each)\s+weekend\b|\b(?:on\s+|at\s+)?weekends\b", lambda _m, now: resolvers.weekly_weekend(now)),
    rule(rf"\b(?:(?:every|each)\s+(?:week\s+on\s+)?|weekly\s+on\s+){WEEKDAY}s?\b", _weekly),
    rule(rf"\b(?:on\s+)?{WEEKDAY}s\b", _weekly),
    rule(rf"\b{_COUNT}\s+{_UNIT}\s+{_DIRECTION}\b", _offset),
    rule(rf"\bin\s+{_COUNT}\s+{_UNIT}(?P<dir>)(?:'?s?\s+time)?\b", _offset),
    rule(
        rf"\b(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?P<rel>past|last|previous|next|coming|following)\s+{_COUNT}\s+{_UNIT}\b",
        _span,
    ),
    rule(r"\b(?:(?:in|over|during|within)\s+)?the\s+(?P<rel>past)\s+(?P<n>)(?P<unit>week|month|year)\b", _span),
]

GRAMMAR = Grammar(
    rules=[*RULES, *english_dates.RULES, *english_extra.RULES, *numeric.RULES],
    since_before=re.compile(r"\bsince\s+(?:the\s+)?$", re.IGNORECASE),
    since_lead=re.compile(r"(?:ever\s+)?since\b", re.IGNORECASE),
    since_after=re.compile(r"\s+(?:onwards?|until\s+now|till\s+now|up\s+to\s+now)\b", re.IGNORECASE),
)
