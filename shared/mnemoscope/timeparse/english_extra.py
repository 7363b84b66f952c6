"""English rules for parts of periods, decades, centuries, quarters and counted weekdays, weekends and seasons."""

import re
from datetime import datetime, timedelta

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import eras, parts, periods, resolvers
from mnemoscope.timeparse.engine import Floating, PartOf, Rule, rule, tz_of
from mnemoscope.timeparse.numbers import EN_NUMBER, EN_ORDINAL_WORD, parse_english_number, parse_english_ordinal
from mnemoscope.timeparse.periods import Unit

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_SEASON = r"(?P<s>spring|summer|fall|autumn|winter)"
_COUNT = rf"(?P<n>{EN_NUMBER})"
_PAST = r"(?P<dir>ago|back|before|earlier|from\s+now|later|hence)"
_PARTS = {"beginning": "begin", "start": "begin", "end": "end", "middle": "mid", "first half": "half1"}
_PARTS |= {"second half": "half2", "latter half": "half2", "last half": "half2", "first week": "week1"}
_PARTS |= {"second week": "week2", "third week": "week3", "fourth week": "week4"}
_PARTS |= {"last week": "weeklast", "final week": "weeklast", "early": "early", "mid": "mid", "late": "late"}
_DECADE_WORDS = ("twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties", "nineties")
_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_CALENDAR_UNITS: dict[str, Unit] = {"week": "week", "month": "month", "year": "year"}
_OFFSETS = {"last": -1, "previous": -1, "past": -1, "this": 0, "current": 0, "next": 1, "coming": 1}


def _offset(words: str) -> int:
    return _OFFSETS[words.lower().split()[-1]]


def _part_kind(words: str) -> str:
    return _PARTS[" ".join(words.lower().split())]


def _part(match: re.Match[str], now: datetime) -> TimeRange | PartOf | None:
    """ "the end of" waits for its period; "the end of the year" is this year's."""
    kind = _part_kind(match["part"])
    unit = (match["unit"] or "").lower()
    if not unit:
        return PartOf(kind, follows=True)
    if unit == "decade":
        whole = eras.decade(now, now.year)
    elif unit == "century":
        whole = eras.century_offset(now, 0)
    else:
        whole = resolvers.calendar_unit(now, _CALENDAR_UNITS[unit], 0)
    return None if whole is None else parts.part_of(whole, kind)


def _weak_part(match: re.Match[str], _now: datetime) -> PartOf:
    return PartOf(_part_kind(match["part"]), follows=True, weak=True)


def _with_part(found: TimeRange | None, part: str | None) -> TimeRange | None:
    return found if found is None or not part else parts.part_of(found, _part_kind(part), weak=True)


def _decade_digits(match: re.Match[str], now: datetime) -> TimeRange | None:
    return _with_part(eras.decade_of_century(now, int(match["t"])), match["part"])


def _decade_words(match: re.Match[str], now: datetime) -> TimeRange | None:
    return _with_part(eras.decade_of_century(now, _DECADE_WORDS.index(match["w"].lower()) + 2), match["part"])


def _century(match: re.Match[str], now: datetime) -> TimeRange | None:
    number = parse_english_ordinal(match["n"])
    return None if number is None else eras.century(now, number)


def _quarter(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    number = int(match["q"]) if match["q"].isdigit() else _QUARTERS.get(match["q"].lower())
    # "in the 4th quarter" is mostly a game's; a year makes it the calendar's ("the 4th quarter of 2023").
    if number is None or (match["q"][0].isdigit() and len(match["q"]) > 1 and not match["y"]):
        return None
    return eras.quarter(now, int(match["y"]), number) if match["y"] else eras.bare_quarter(now, number)


def _counted_weekday(match: re.Match[str], now: datetime) -> TimeRange | None:
    count = _count(match)
    if count is None:
        return None
    weekday, today = _WEEKDAYS.index(match["wd"].lower()[:3]), now.date()
    if _is_past(match):
        first = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
        return periods.day(first - timedelta(weeks=count - 1), tz_of(now))
    first = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return periods.day(first + timedelta(weeks=count - 1), tz_of(now))


def _counted_weekend(match: re.Match[str], now: datetime) -> TimeRange | None:
    count = _count(match)
    return None if count is None else resolvers.weekend(now, -count if _is_past(match) else count)


def _counted_season(match: re.Match[str], now: datetime) -> TimeRange | None:
    count = _count(match)
    if count is None:
        return None
    name = "autumn" if match["s"].lower() == "fall" else match["s"].lower()
    past = _is_past(match)
    nearest = resolvers.season_of(now, name, "last" if past else "next")
    return periods.season(name, nearest.start.year + (1 - count if past else count - 1), tz_of(now))


def _count(match: re.Match[str]) -> int | None:
    if not match["n"]:
        return 2  # "the Friday before last", "the summer after next"
    count = parse_english_number(match["n"])
    return count if count is not None and 1 <= count <= 520 else None


def _is_past(match: re.Match[str]) -> bool:
    words = (match["dir"] or "").lower()
    return words.startswith(("ago", "back", "before", "earlier")) or words == "last"


_PART_WORDS = r"beginning|start|end|middle|first\s+half|second\s+half|latter\s+half|last\s+half|first\s+week|"
_PART_WORDS += r"second\s+week|third\s+week|fourth\s+week|last\s+week|final\s+week"
_UNIT_WORDS = r"week|month|year|decade|century"
_NO_COUNT = r"(?P<n>)"

RULES: list[Rule] = [
    rule(
        rf"\b(?:(?:at|in|by|around|towards?|during|near|from)\s+)?(?:the\s+)?(?:very\s+)?(?P<part>{_PART_WORDS})\s+of\b"
        rf"(?:\s+(?:the|this)\s+(?P<unit>{_UNIT_WORDS})\b)?",
        _part,
    ),
    rule(r"\b(?P<part>early|late|mid)(?=-|\s)", _weak_part),
    rule(r"\b(?:the\s+)?(?P<y>(?:1[0-9]|20)\d0)'?s\b", lambda match, now: eras.hundreds(now, int(match["y"]))),
    rule(r"\bthe\s+(?:(?P<part>early|late|mid)[\s-]+)?'?(?P<t>\d)0'?s\b", _decade_digits),
    rule(rf"\bthe\s+(?:(?P<part>early|late|mid)[\s-]+)?(?P<w>{'|'.join(_DECADE_WORDS)})\b", _decade_words),
    rule(rf"\b(?:the\s+)?(?P<n>\d{{1,2}}(?:st|nd|rd|th)|{EN_ORDINAL_WORD})\s+century\b", _century),
    rule(
        r"\b(?:the\s+)?(?P<rel>last|this|next|previous|current|past)\s+century\b",
        lambda match, now: eras.century_offset(now, _offset(match["rel"])),
    ),
    rule(
        r"\b(?:the\s+)?(?P<rel>last|this|next|previous|current|coming|past)\s+quarter\b",
        lambda match, now: eras.quarter_offset(now, _offset(match["rel"])),
    ),
    rule(
        r"\b(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b"
        r"(?:\s+of\s+(?P<y>(?:19|20)\d\d)\b|(?!\s+of\s+(?:the|a|an|this|that|his|her|their|my|our)\s+(?!year\b)))",
        _quarter,
    ),
    rule(r"\bQ(?P<q>[1-4])\b(?:\s*,?\s*(?:of\s+)?(?P<y>(?:19|20)\d\d)\b)?", _quarter),
    rule(r"\b(?P<y>(?:19|20)\d\d)\s*-?\s*Q(?P<q>[1-4])\b", _quarter),
    rule(rf"\b{_COUNT}\s+{_WEEKDAY}s?\s+{_PAST}\b", _counted_weekday),
    rule(rf"\bthe\s+{_WEEKDAY}\s+(?P<dir>before|after)\s+(?:last|next){_NO_COUNT}", _counted_weekday),
    rule(rf"\b{_COUNT}\s+weekends?\s+{_PAST}\b", _counted_weekend),
    rule(r"\bthe\s+weekend\s+(?P<dir>after)\s+next\b(?P<n>)", _counted_weekend),
    rule(rf"\b{_COUNT}\s+{_SEASON}s?\s+{_PAST}\b", _counted_season),
    rule(rf"\bthe\s+{_SEASON}\s+(?P<dir>before|after)\s+(?:last|next){_NO_COUNT}", _counted_season),
]
