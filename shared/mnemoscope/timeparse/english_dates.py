"""English rules for named dates: months, days of months, years, yearly/monthly recurrences, seasons and holidays."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import holidays, resolvers
from mnemoscope.timeparse.engine import Rule, rule
from mnemoscope.timeparse.numbers import EN_ORDINAL_WORD, parse_english_ordinal
from mnemoscope.timeparse.resolvers import Relation

_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL = "january|february|march|april|may|june|july|august|september|october|november|december"
_ABBREVIATIONS = r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
MONTH = rf"(?:{_FULL}|{_ABBREVIATIONS})\.?"
# "5 may be" and "3 march on" are verbs: after a number, May/March/Mar must be capitalised.
_STRICT_MONTH = (
    r"(?:(?-i:May|March|Mar|MAY|MARCH)|january|february|april|june|july|august|september|october|november|december|"
    r"jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_UNAMBIGUOUS = "january|february|july|september|october|november|december"
_DAY = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:1[89]|20)\d\d)"
_OPTIONAL_YEAR = rf"(?:\s*,?\s*{_YEAR}\b)?"
_ORDINAL = rf"(?P<d>\d{{1,2}}(?:st|nd|rd|th)?|{EN_ORDINAL_WORD})"
_MONTH_DAY = (
    rf"(?:{MONTH}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?|(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?|{EN_ORDINAL_WORD})"
    rf"\s+(?:of\s+)?{MONTH}|\d{{1,2}}/\d{{1,2}})"
)
_SEASON = r"(?P<s>spring|summer|fall|autumn|winter)"
_HOLIDAY = (
    r"(?P<h>christmas\s+eve|christmas(?:\s+day)?|xmas|new\s+year'?s\s+eve|new\s+year'?s(?:\s+day)?|halloween|"
    r"valentine'?s(?:\s+day)?|thanksgiving(?:\s+day)?|independence\s+day|the\s+fourth\s+of\s+july|"
    r"(?:chinese|lunar)\s+new\s+year|spring\s+festival|mid-autumn(?:\s+festival)?|dragon\s+boat\s+festival)"
)
_HOLIDAY_KEYS = {
    "christmas eve": "christmas eve",
    "christmas": "christmas",
    "xmas": "christmas",
    "new years eve": "new year's eve",
    "new years": "new year's day",
    "halloween": "halloween",
    "valentines": "valentine's day",
    "thanksgiving": "thanksgiving",
    "independence day": "independence day",
    "the fourth of july": "independence day",
    "chinese new year": "春节",
    "lunar new year": "春节",
    "spring festival": "春节",
    "mid-autumn": "中秋",
    "dragon boat festival": "端午",
}
_REL = r"(?P<rel>last|next|this|previous|coming|this\s+past|this\s+coming|the\s+coming|the\s+past|past)"


def month_index(word: str) -> int:
    """1 for "January" or "Jan.", ..., 12 for "Dec"."""
    return _MONTH_PREFIXES.index(word.lower()[:3]) + 1


def relation(words: str | None) -> Relation | None:
    """Normalise last/past/previous to "last", next/coming to "next", this to "this"."""
    if not words:
        return None
    last_word = words.lower().split()[-1]
    return (
        "last" if last_word in ("last", "past", "previous") else "next" if last_word in ("next", "coming") else "this"
    )


def _year(match: re.Match[str]) -> int | None:
    return int(match["y"]) if match["y"] else None


def _date(match: re.Match[str], now: datetime) -> TimeRange | None:
    day = int(match["d"]) if match["d"] else parse_english_ordinal(match["dw"])
    return None if day is None else resolvers.full_date(now, _year(match), month_index(match["mon"]), day)


def _numeric_date(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.full_date(now, _year(match), int(match["m"]), int(match["d"]))


def _month(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.month_of(now, _year(match), month_index(match["mon"]), relation(match["rel"]))


def _month_with_day(match: re.Match[str], now: datetime) -> TimeRange | None:
    month = _month(match, now)
    if month is None or not match["d"]:
        return month
    return resolvers.full_date(now, month.start.year, month.start.month, int(match["d"]))


def month_day(text: str) -> tuple[int, int] | None:
    """Month and day of "April 28", "28th of April", "the third of May" or "4/28"."""
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if numeric:
        return int(numeric[1]), int(numeric[2])
    words = re.sub(r"\b(?:the|of)\b|\.", " ", text.lower()).split()
    day = parse_english_ordinal(words[-1]) if len(words) == 2 else None
    if day is not None:
        return month_index(words[0]), day
    first_day = parse_english_ordinal(" ".join(words[:-1]))
    return None if first_day is None else (month_index(words[-1]), first_day)


def _yearly(match: re.Match[str], now: datetime) -> TimeRange | None:
    found = month_day(match["md"])
    return None if found is None else resolvers.yearly(now, *found)


def _monthly(match: re.Match[str], now: datetime) -> TimeRange | None:
    day = parse_english_ordinal(match["d"])
    return resolvers.monthly(now, day) if day is not None and 1 <= day <= 31 else None


def _season(match: re.Match[str], now: datetime) -> TimeRange:
    name = "autumn" if match["s"].lower() == "fall" else match["s"].lower()
    return resolvers.season_of(now, name, relation(match["rel"]), _year(match))


def _holiday(match: re.Match[str], now: datetime) -> TimeRange | None:
    words = " ".join(match["h"].lower().replace("'", "").split())
    key = _HOLIDAY_KEYS.get(words) or _HOLIDAY_KEYS.get(words.removesuffix(" day"), "")
    return holidays.holiday(now, key, relation(match["rel"]), _year(match)) if key else None


_NO_RELATION = r"(?P<rel>)"
_NO_YEAR = r"(?P<y>)"
RULES: list[Rule] = [
    rule(rf"\b(?P<mon>{MONTH})\s+(?:the\s+)?{_DAY}\b{_OPTIONAL_YEAR}(?P<dw>)", _date),
    rule(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<mon>{_STRICT_MONTH})(?![a-z]){_OPTIONAL_YEAR}(?P<dw>)", _date),
    rule(rf"\b(?:the\s+)?(?P<dw>{EN_ORDINAL_WORD})\s+of\s+(?P<mon>{MONTH})(?![a-z]){_OPTIONAL_YEAR}(?P<d>)", _date),
    rule(r"(?<![\d/])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4})(?![\d/])", _numeric_date),
    rule(rf"\bon\s+(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?![\d/]){_NO_YEAR}", _numeric_date),
    rule(rf"\b(?:(?:in|of|during)\s+)?(?P<mon>{MONTH})\s*,?\s+{_YEAR}\b{_NO_RELATION}", _month),
    rule(rf"\b{_REL}\s+(?P<mon>{_FULL})\b(?:\s+{_DAY}\b)?{_NO_YEAR}", _month_with_day),
    rule(
        r"\b(?:in|of|during|since|until|till|by|before|after|from|through(?:out)?|(?:the\s+)?(?:end|beginning|start|middle)"
        rf"\s+of|early|late|mid)(?:\s+|-)(?P<mon>{_FULL})\b{_NO_RELATION}{_NO_YEAR}",
        _month,
    ),
    rule(rf"\b(?P<mon>{_UNAMBIGUOUS})\b{_NO_RELATION}{_NO_YEAR}", _month),
    rule(
        r"\bon\s+the\s+(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b(?!\s+of\b)",
        lambda match, now: resolvers.day_of_month(now, 0, int(match["d"])),
    ),
    rule(
        r"\b(?:(?:in|during|since|until|till|by|before|after|from|of|around|circa|year|back\s+in|early|late|"
        rf"the\s+year)\s+|mid-){_YEAR}\b(?![-/.:,]?\d|\s*%)",
        lambda match, now: resolvers.year_of(now, int(match["y"])),
    ),
    rule(rf"\b(?:every|each)\s+year\s+(?:on\s+)?(?P<md>{_MONTH_DAY})\b", _yearly),
    rule(rf"\b(?:every|each|annually\s+on|yearly\s+on)\s+(?P<md>{_MONTH_DAY})\b", _yearly),
    rule(rf"\b(?:on\s+)?(?P<md>{_MONTH_DAY})\s+(?:every|each)\s+year\b", _yearly),
    rule(
        rf"\b(?:every|each)\s+(?:year\s+in\s+)?(?P<mon>{_FULL})\b",
        lambda match, now: resolvers.yearly_month(now, month_index(match["mon"])),
    ),
    rule(rf"\b(?:(?:every|each)\s+month\s+on|monthly\s+on)\s+the\s+{_ORDINAL}\b", _monthly),
    rule(rf"\b(?:on\s+)?the\s+{_ORDINAL}\s+(?:day\s+)?(?:of\s+)?(?:every|each)\s+month\b", _monthly),
    rule(rf"\b(?:every|each)\s+{_ORDINAL}\s+(?:day\s+)?of\s+the\s+month\b", _monthly),
    rule(rf"\b{_REL}\s+{_SEASON}\b{_NO_YEAR}", _season),
    rule(rf"\b(?:the\s+)?{_SEASON}\s+(?:of\s+)?{_YEAR}\b{_NO_RELATION}", _season),
    rule(rf"\b(?:{_REL}\s+)?{_HOLIDAY}(?:\s*,?\s*{_YEAR})?\b", _holiday),
]
