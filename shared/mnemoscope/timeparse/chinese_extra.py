"""Chinese rules for parts of periods (月初, 中旬, 上半年), decades (九十年代), centuries and quarters (第三季度)."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import eras, parts, resolvers
from mnemoscope.timeparse.chinese_dates import YEAR, year_of
from mnemoscope.timeparse.engine import Floating, PartOf, Rule, rule
from mnemoscope.timeparse.numbers import parse_chinese_number
from mnemoscope.timeparse.periods import Unit

_KINDS = {"初": "begin", "底": "end", "末": "end", "中": "mid", "上旬": "early", "中旬": "mid", "下旬": "late"}
_KINDS |= {"上半": "half1", "下半": "half2", "前期": "early", "早期": "early", "中期": "mid", "后期": "late"}
_KINDS |= {"晚期": "late"}
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_RELATIONS = {"上上": -2, "上": -1, "这": 0, "本": 0, "今": 0, "下": 1, "下下": 2}


def _unit_part(match: re.Match[str], now: datetime) -> PartOf | None:
    """月初, 年底, 上半年, 中旬: refine the period just before, else this month or year."""
    unit: Unit = "month" if match["unit"] in ("月", "") else "year"
    kind = _KINDS.get(match["part"])
    if kind is None:
        return None
    default = parts.part_of(resolvers.calendar_unit(now, unit, 0), kind)
    return PartOf(kind, follows=False, default=default)


def _bare_part(match: re.Match[str], _now: datetime) -> PartOf:
    """初, 底, 末 right after a period (下个月初, 明年底): no period, no meaning."""
    return PartOf(_KINDS[match["part"]], follows=False)


def _century_start(match: re.Match[str], now: datetime) -> int | None:
    """The first year of the century a decade or century expression names; None for none named."""
    current = now.year - now.year % 100
    if match["rel"]:
        return current + 100 * _RELATIONS[match["rel"]]
    if match["cn"]:
        number = parse_chinese_number(match["cn"])
        return None if number is None or not 1 <= number <= 30 else 100 * (number - 1)
    return None


def _decade(match: re.Match[str], now: datetime) -> TimeRange | None:
    digits = match["d"]
    value = parse_chinese_number(digits)
    if value is None:
        return None
    if value >= 1000:
        found = eras.decade(now, value)
    else:
        start = _century_start(match, now)
        if (match["rel"] or match["cn"]) and start is None:
            return None
        found = eras.decade_of_century(now, value // 10 if value >= 10 else value, start)
    kind = _KINDS.get(match["part"] or "")
    return found if found is None or kind is None else parts.part_of(found, kind)


def _century(match: re.Match[str], now: datetime) -> TimeRange | None:
    start = _century_start(match, now)
    return None if start is None else eras.century(now, start // 100 + 1)


def _quarter(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    number = _QUARTERS[match["q"]]
    year = year_of(match, now)
    return eras.bare_quarter(now, number) if year is None else eras.quarter(now, year, number)


_CENTURY = r"(?:(?P<rel>上上|上|本|这|下)个?|(?P<cn>\d{1,2}|[一二]?十[一二三四五六七八九]?|[一二三四五六七八九]))世纪"
_DECADE = r"(?P<d>[12]\d{3}|\d0|[一二三四五六七八九]十|[零〇一二三四五六七八九][零〇])年代"
_DECADE_PART = r"(?P<part>初|末|中期|早期|前期|后期|晚期)?"

RULES: list[Rule] = [
    rule(r"(?<![一两几每半多个这那])(?P<unit>[年月])(?P<part>初|底|末|中)(?![国心学文央午间旬]|无休)", _unit_part),
    rule(r"(?P<part>上旬|中旬|下旬)(?P<unit>)", _unit_part),
    rule(r"(?P<part>上半|下半)个?(?P<unit>年|月)", _unit_part),
    rule(r"(?P<part>初|底|末)", _bare_part),
    rule(rf"(?:{_CENTURY}的?)?{_DECADE}{_DECADE_PART}", _decade),
    rule(rf"{_CENTURY}(?!的?(?:[12]\d{{3}}|\d0|[一二三四五六七八九]十|[零〇一二三四五六七八九][零〇])年代)", _century),
    rule(
        r"(?P<rel>上上|上|这|本|下|下下)个?季度",
        lambda match, now: eras.quarter_offset(now, _RELATIONS[match["rel"]]),
    ),
    rule(rf"(?:{YEAR}的?)?第?(?P<q>[一二三四1-4])季度", _quarter),
    rule(rf"(?:{YEAR}的?)?[Qq](?P<q>[1-4])(?![\d])", _quarter),
]
