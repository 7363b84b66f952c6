"""Turning the hits of one text into one range: years attached to dates, parts of periods, ranges between two
references, open ranges ("until X"), and the occurrence a date without a year refers to."""

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import context, parts, periods
from mnemoscope.timeparse.engine import (
    DayPart,
    Floating,
    Grammar,
    Hit,
    PartOf,
    Value,
    WeekdayRef,
    choose,
    most_recent_weekday,
    scan,
    tz_of,
)
from mnemoscope.timeparse.english_dates import MONTH_NAMES, month_index

# What may stand between a date and the year it belongs to ("March 15 of last year", 去年的3月).
_YEAR_GAP = {"en": re.compile(r"[\s,]*(?:(?:of|in|on)\s+)?(?:the\s+)?", re.I), "zh": re.compile(r"的?")}
# What may stand between a part and its period ("the end of | last month", 十月 | 中旬).
_PART_GAP = {"en": re.compile(r"[\s-]*(?:(?:of|in)\s+)?(?:the\s+)?", re.I), "zh": re.compile(r"的?")}
_RANGE_GAP = {
    "en": re.compile(r"\s*(?:-|–|—|to|until|till|through|thru|and)\s*(?:the\s+)?", re.I),
    "zh": re.compile(r"\s*(?:到|至|~|-|—|－)\s*"),
}
_BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?$", re.I)
_BARE_END = re.compile(
    rf"\s*(?:-|–|to|until|till|through|thru|and)\s*(?:the\s+)?(?:(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?|"
    rf"(?P<mon>{MONTH_NAMES})|(?P<y>(?:19|20)\d\d))\b(?!\s*(?:[ap]\.?m\b|:|%|/|\d))",
    re.I,
)
_UNTIL_BEFORE = {
    "en": re.compile(r"\b(?:until|till|til|up\s+(?:to|until))\s+(?:the\s+)?$", re.I),
    "zh": re.compile(r"(?:截至|截止到?|直到)$"),
}
_UNTIL_AFTER = {"en": re.compile(r"(?!)"), "zh": re.compile(r"为止")}


def resolve(text: str, now: datetime, grammar: Grammar) -> TimeRange | None:
    """The most specific range in `text` after combining its references."""
    text = context.mask_titles(text)
    lang, mode = grammar.lang, context.mode(text, grammar.lang)
    hits = scan(text, now, grammar)
    hits = _attach_years(text, hits, lang)
    hits = _apply_parts(text, hits, lang)
    hits = _join_ranges(text, hits, now, lang, mode)
    settled = [_settle_hit(hit, now, mode) for hit in hits]
    return choose(_until(text, [hit for hit in settled if hit is not None], now, lang), now)


def _merge(hits: list[Hit], first: int, last: int, value: Value | None) -> list[Hit]:
    """Replace hits[first..last] by one hit carrying `value` (or by nothing when value is None)."""
    merged = [] if value is None else [Hit(hits[first].start, hits[last].end, value, hits[first].since)]
    return [*hits[:first], *merged, *hits[last + 1 :]]


def _attach_years(text: str, hits: list[Hit], lang: str) -> list[Hit]:
    """A date without a year next to a year ("the 15th of March last year"), or a day without a month next to a
    month ("the 15th of last month"), is that occurrence."""
    index = 0
    while index < len(hits) - 1:
        pair = (hits[index], hits[index + 1])
        gap = text[pair[0].end : pair[1].start]
        floating = next((n for n, hit in enumerate(pair) if isinstance(hit.value, Floating)), None)
        if floating is not None and _YEAR_GAP[lang].fullmatch(gap):
            value, other = pair[floating].value, pair[1 - floating].value
            assert isinstance(value, Floating)
            if isinstance(other, TimeRange) and other.recurrence is None and parts.unit_of(other) == value.step:
                hits = _merge(hits, index, index + 1, value.build(other.start.date()))
                continue
        index += 1
    return hits


def _apply_parts(text: str, hits: list[Hit], lang: str) -> list[Hit]:
    """Apply each PartOf to the period it touches, or to its default period when it touches none."""
    index = 0
    while index < len(hits):
        part = hits[index].value
        if not isinstance(part, PartOf):
            index += 1
            continue
        target = index + 1 if part.follows else index - 1
        if 0 <= target < len(hits) and _PART_GAP[lang].fullmatch(_gap(text, hits[index], hits[target])):
            refined = _refine(hits[target].value, part)
            if refined is not None:
                first, last = sorted((index, target))
                hits = _merge(hits, first, last, refined)
                index = first + 1
                continue
        hits = _merge(hits, index, index, part.default)
        index += part.default is not None
    return hits


def _gap(text: str, one: Hit, other: Hit) -> str:
    first, second = sorted((one, other), key=lambda hit: hit.start)
    return text[first.end : second.start]


def _refine(value: object, part: PartOf) -> TimeRange | Floating | None:
    if isinstance(value, TimeRange):
        return parts.part_of(value, part.kind, weak=part.weak)
    if isinstance(value, Floating):
        build = value.build
        if part.weak and value.step == "month":
            return None

        def refined(anchor: date) -> TimeRange | None:
            whole = build(anchor)
            return None if whole is None else parts.part_of(whole, part.kind, weak=part.weak)

        return Floating(refined, value.step)
    return None


def _join_ranges(text: str, hits: list[Hit], now: datetime, lang: str, mode: context.Mode) -> list[Hit]:
    """ "from May to July", "between March 3 and 10", 2024年3月到5月: one range from the first to the second."""
    index = 0
    while index < len(hits):
        alike = _join_alike(text, hits, index, now, lang)
        if alike is not None:
            hits = _merge(hits, index, index + 1, alike)
            index += 1
            continue
        left = _settle(hits[index].value, now, mode)
        if left is None or left.recurrence is not None:
            index += 1
            continue
        if index + 1 < len(hits) and _is_connector(text, hits[index], hits[index + 1], lang):
            right = _after(hits[index + 1].value, left)
            if right is not None and right.end > left.start:
                hits = _merge(hits, index, index + 1, TimeRange(start=left.start, end=right.end))
                index += 1
                continue
        bare = _BARE_END.match(text, hits[index].end) if lang == "en" else None
        found = _bare_end(bare, left, now) if bare else None
        if bare and found is not None and found.end > left.start and _between_ok(text, hits[index], bare[0]):
            joined = Hit(hits[index].start, bare.end(), TimeRange(start=left.start, end=found.end), hits[index].since)
            hits = [*hits[:index], joined, *[hit for hit in hits[index + 1 :] if hit.start >= bare.end()]]
        index += 1
    return hits


def _join_alike(text: str, hits: list[Hit], index: int, now: datetime, lang: str) -> DayPart | TimeRange | None:
    """ "from 9am to 5pm", 下午到晚上 (parts of one day; a clock hour ends the range when it starts);
    "from Monday to Wednesday", 从周一到周三 (days of one week)."""
    if index + 1 >= len(hits) or not _is_connector(text, hits[index], hits[index + 1], lang):
        return None
    left, right = hits[index].value, hits[index + 1].value
    if isinstance(left, DayPart) and isinstance(right, DayPart):
        end = right.start_hour if right.end_hour - right.start_hour == 1 else right.end_hour
        return DayPart(left.start_hour, end, left.default_today) if end > left.start_hour else None
    if isinstance(left, WeekdayRef) and isinstance(right, WeekdayRef):
        first = most_recent_weekday(now, left.weekday).start.date()
        return periods.days(first, (right.weekday - left.weekday) % 7 + 1, tz_of(now))
    return None


def _is_connector(text: str, left: Hit, right: Hit, lang: str) -> bool:
    gap = text[left.end : right.start]
    if not _RANGE_GAP[lang].fullmatch(gap):
        return False
    return _between_ok(text, left, gap)


def _between_ok(text: str, left: Hit, gap: str) -> bool:
    """ "Monday and Friday" are two days; only "between Monday and Friday" is a range."""
    if not re.match(r"\s*and\b", gap, re.I):
        return True
    return bool(_BETWEEN.search(text[max(0, left.start - 12) : left.start]))


def _after(value: object, left: TimeRange) -> TimeRange | None:
    """The end of a range: as named, or (a date without a year) its first occurrence ending after `left` starts."""
    if isinstance(value, TimeRange):
        return value if value.recurrence is None else None
    if isinstance(value, Floating):
        anchor = left.start.date()
        for step in (0, 1):
            found = value.build(periods.shift(anchor, value.step, step))
            if found is not None and found.end > left.start:
                return found
    return None


def _bare_end(match: re.Match[str], left: TimeRange, now: datetime) -> TimeRange | None:
    """ "March 3-10", "May to june", "2019 to 2021": an end point that is only a number or a month name."""
    unit, start = parts.unit_of(left), left.start.date()
    tz = tz_of(now)
    if match["d"] and left.end - left.start == timedelta(days=1):
        found = periods.safe_date(start.year, start.month, int(match["d"]))
        return None if found is None else periods.day(found, tz)
    if match["mon"] and unit == "month":
        month = month_index(match["mon"])
        return periods.month(start.year + (month < start.month), month, tz)
    if match["y"] and unit == "year":
        return periods.year(int(match["y"]), tz)
    return None


def _settle(value: object, now: datetime, mode: context.Mode) -> TimeRange | None:
    """A TimeRange as is; a Floating date in the current year (month), or the one before in a question about the
    past when the current one has not begun, or the next one in a sentence about the future when it is over."""
    if isinstance(value, TimeRange):
        return value
    if not isinstance(value, Floating):
        return None
    today = now.date()
    found = value.build(today)
    if found is not None and mode == "past" and found.start > now:
        return value.build(periods.shift(today, value.step, -1)) or found
    if found is not None and mode == "future" and found.end <= now:
        return value.build(periods.shift(today, value.step, 1)) or found
    return found


def _settle_hit(hit: Hit, now: datetime, mode: context.Mode) -> Hit | None:
    if not isinstance(hit.value, Floating):
        return hit
    found = _settle(hit.value, now, mode)
    return None if found is None else replace(hit, value=found)


def _until(text: str, hits: Sequence[Hit], now: datetime, lang: str) -> list[Hit]:
    """ "until next Friday", 到月底为止: from today to the end of a future reference."""
    today = periods.at(now.date(), tz_of(now))
    result: list[Hit] = []
    for hit in hits:
        value = hit.value
        before = text[max(0, hit.start - 16) : hit.start]
        marked = _UNTIL_BEFORE[lang].search(before) or _UNTIL_AFTER[lang].match(text, hit.end)
        if marked and isinstance(value, TimeRange) and value.recurrence is None and value.start > today:
            value = TimeRange(start=today, end=value.end)
        result.append(replace(hit, value=value))
    return result
