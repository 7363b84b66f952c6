"""English rules for named dates: months, days of months, years, yearly/monthly recurrences, seasons and holidays."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import holidays, resolvers
from mnemoscope.timeparse.engine import Floating, Rule, rule
from mnemoscope.timeparse.numbers import EN_ORDINAL_WORD, parse_english_ordinal
from mnemoscope.timeparse.resolvers import Relation

_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL = "january|february|march|april|may|june|july|august|september|october|november|december"
_ABBREVIATIONS = r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
MONTH_NAMES = rf"{_FULL}|{_ABBREVIATIONS}"
MONTH = rf"(?:{MONTH_NAMES})\.?"
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
    r"(?:chinese|lunar)\s+new\s+year(?:'?s\s+eve)?|spring\s+festival|mid-autumn(?:\s+festival)?|"
    r"dragon\s+boat\s+festival|lantern\s+festival|qingming(?:\s+festival)?|tomb[-\s]sweeping\s+day|"
    r"qixi(?:\s+festival)?|double\s+(?:ninth|seventh)(?:\s+festival)?|(?<=on\s|at\s)new\s+year\b(?!'))"
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
    "mid-autumn festival": "中秋",
    "dragon boat festival": "端午",
    "chinese new years eve": "除夕",
    "lunar new years eve": "除夕",
    "lantern festival": "元宵",
    "qingming": "清明",
    "qingming festival": "清明",
    "tomb-sweeping day": "清明",
    "tomb sweeping day": "清明",
    "qixi": "七夕",
    "qixi festival": "七夕",
    "double seventh": "七夕",
    "double seventh festival": "七夕",
    "double ninth": "重阳",
    "double ninth festival": "重阳",
    "new year": "new year's day",
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


def _date(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    day = int(match["d"]) if match["d"] else parse_english_ordinal(match["dw"])
    if day is None:
        return None
    month = month_index(match["mon"])
    year = _year(match)
    if year is None:
        return Floating(lambda anchor: resolvers.full_date(now, anchor.year, month, day), "year")
    return resolvers.full_date(now, year, month, day)


def _numeric_date(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.full_date(now, _year(match), int(match["m"]), int(match["d"]))


def _month(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    month, year, named = month_index(match["mon"]), _year(match), relation(match["rel"])
    if year is None and named is None:
        return Floating(lambda anchor: resolvers.month_of(now, anchor.year, month), "year")
    return resolvers.month_of(now, year, month, named)


def _month_with_day(match: re.Match[str], now: datetime) -> TimeRange | None:
    month = resolvers.month_of(now, None, month_index(match["mon"]), relation(match["rel"]))
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


def _holiday(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    words = " ".join(match["h"].lower().replace("'", "").split())
    key = _HOLIDAY_KEYS.get(words) or _HOLIDAY_KEYS.get(words.removesuffix(" day"), "")
    if not key:
        return None
    return holidays.holiday(now, key, relation(match["rel"]), _year(match))


def _day_of_month(match: re.Match[str], now: datetime) -> Floating:
    day = int(match["d"])
    return Floating(lambda anchor: resolvers.full_date(now, anchor.year, anchor.month, day), "month")


def _after(words: str) -> str:
    """A lookbehind for any of the |-separated `words` and one space (or, after early/late/mid, a hyphen): the hit
    is only the date, so a part word before it ("early", "mid-") stays free to refine it."""
    found = []
    for word in words.split("|"):
        found.append(rf"(?<=\b{word}\s)")
        if word in ("early", "late", "mid"):
            found.append(rf"(?<=\b{word}-)")
    return "(?:" + "|".join(found) + ")"


_MONTH_WORDS = "in|of|during|since|until|till|by|before|after|from|through|throughout|between|early|late|mid|around"
_YEAR_WORDS = "in|during|since|until|till|by|before|after|from|of|around|circa|year|early|late|mid|between"
# After "to"/"and", May and March must be capitalised: "to march on", "and may I".
_CAPITAL_MONTH = r"(?-i:May|March|April|June|August|MAY|MARCH|APRIL|JUNE|AUGUST)"
_NO_RELATION = r"(?P<rel>)"
_NO_YEAR = r"(?P<y>)"
RULES: list[Rule] = [
    rule(rf"\b(?P<mon>{MONTH})\s+(?:the\s+)?{_DAY}\b{_OPTIONAL_YEAR}(?P<dw>)", _date),
    rule(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<mon>{_STRICT_MONTH})(?![a-z]){_OPTIONAL_YEAR}(?P<dw>)", _date),
    rule(rf"\b(?:the\s+)?(?P<dw>{EN_ORDINAL_WORD})\s+of\s+(?P<mon>{MONTH})(?![a-z]){_OPTIONAL_YEAR}(?P<d>)", _date),
    rule(r"(?<![\d/])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4})(?![\d/])", _numeric_date),
    rule(rf"\bon\s+(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?![\d/]){_NO_YEAR}", _numeric_date),
    rule(rf"\b(?P<mon>{MONTH})\s*,?\s+{_YEAR}\b{_NO_RELATION}", _month),
    rule(rf"\b{_REL}\s+(?P<mon>{_FULL})\b(?:\s+{_DAY}\b)?{_NO_YEAR}", _month_with_day),
    rule(rf"{_after(_MONTH_WORDS)}(?P<mon>{_FULL})\b{_NO_RELATION}{_NO_YEAR}", _month),
    rule(rf"(?:{_after('to|and')}|(?<=[-–]))(?P<mon>{_CAPITAL_MONTH})\b{_NO_RELATION}{_NO_YEAR}", _month),
    # "May to July": a capitalised May/March/... starts a range of months.
    rule(
        rf"\b(?P<mon>{_CAPITAL_MONTH})(?=\s*(?:-|–|to|until|till|through)\s*(?:{_FULL})\b){_NO_RELATION}{_NO_YEAR}",
        _month,
    ),
    rule(rf"\b(?P<mon>{_UNAMBIGUOUS})\b{_NO_RELATION}{_NO_YEAR}", _month),
    rule(r"\bon\s+the\s+(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b(?!\s+of\b)", _day_of_month),
    rule(
        rf"{_after(_YEAR_WORDS)}{_YEAR}\b(?![-/.:,]?\d|\s*%)",
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
