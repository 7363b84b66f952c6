"""Chinese rules for named dates: 2024年5月3日, 5月3号, 去年5月, 上个月5号, 每年4月28日, 每月5号, 去年夏天, 春节."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import holidays, resolvers
from mnemoscope.timeparse.engine import Floating, Rule, rule
from mnemoscope.timeparse.numbers import ZH_NUMBER, parse_chinese_number

_YEAR_OFFSETS = {"大前": -3, "前": -2, "去": -1, "今": 0, "本": 0, "明": 1, "后": 2, "大后": 3}
_MONTH_OFFSETS = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "下下": 2}
YEAR = _YEAR = r"(?:(?P<y>\d{4}|[〇零一二三四五六七八九]{4})年|(?P<ry>大前|大后|今|去|前|明|后|本)年)"
_NUMBER_BEFORE = r"(?<![\d零〇一二两三四五六七八九十百千])"
_SEASONS = {"春": "spring", "夏": "summer", "秋": "autumn", "冬": "winter"}
_HOLIDAY = (
    r"(?P<h>春节|除夕|大年三十|年三十|大年初一|元旦|圣诞节?|平安夜|情人节|国庆节?|劳动节|五一|儿童节|中秋节?|端午节?|"
    r"元宵节?|万圣节|清明节?|七夕节?|重阳节?)"
)
_HOLIDAY_KEYS = {"圣诞节": "圣诞", "国庆节": "国庆", "中秋节": "中秋", "端午节": "端午", "元宵节": "元宵"}
_HOLIDAY_KEYS |= {"清明节": "清明", "七夕节": "七夕", "重阳节": "重阳", "大年三十": "除夕", "年三十": "除夕"}
_HOLIDAY_KEYS |= {"大年初一": "春节"}


def _number(text: str | None) -> int | None:
    return None if not text else parse_chinese_number(text)


def year_of(match: re.Match[str], now: datetime) -> int | None:
    """The year written as 2024年 / 二〇二四年, or relative to now as 去年 / 明年; None when absent."""
    if match["y"]:
        return parse_chinese_number(match["y"])
    return now.year + _YEAR_OFFSETS[match["ry"]] if match["ry"] else None


def _date(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    month, day, year = _number(match["m"]), _number(match["d"]), year_of(match, now)
    if month is None:
        return None
    if year is None:
        return Floating(lambda anchor: _month_or_day(now, anchor.year, month, day), "year")
    return _month_or_day(now, year, month, day)


def _month_or_day(now: datetime, year: int, month: int, day: int | None) -> TimeRange | None:
    return resolvers.month_of(now, year, month) if day is None else resolvers.full_date(now, year, month, day)


def _year(match: re.Match[str], now: datetime) -> TimeRange | None:
    year = year_of(match, now)
    return None if year is None else resolvers.year_of(now, year)


def _day_of_month(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    day = _number(match["d"])
    if day is None:
        return None
    if not match["rel"]:
        return Floating(lambda anchor: resolvers.full_date(now, anchor.year, anchor.month, day), "month")
    return resolvers.day_of_month(now, _MONTH_OFFSETS[match["rel"]], day)


def _yearly(match: re.Match[str], now: datetime) -> TimeRange | None:
    month, day = _number(match["m"]), _number(match["d"])
    if month is None:
        return None
    return resolvers.yearly_month(now, month) if day is None else resolvers.yearly(now, month, day)


def _monthly(match: re.Match[str], now: datetime) -> TimeRange | None:
    day = _number(match["d"])
    return resolvers.monthly(now, day) if day is not None and 1 <= day <= 31 else None


def _season(match: re.Match[str], now: datetime) -> TimeRange:
    year = year_of(match, now)
    return resolvers.season_of(now, _SEASONS[match["s"]], None if year is not None else "this", year)


def _holiday(match: re.Match[str], now: datetime) -> TimeRange | Floating | None:
    return holidays.holiday(now, _HOLIDAY_KEYS.get(match["h"], match["h"]), None, year_of(match, now))


_DAY_SUFFIX = r"(?:日|号)"
# 3号线 (metro line 3), 5号楼 (building 5): a bare 号 followed by these nouns is not a date.
_NOT_A_DAY_AFTER = r"(?![线楼房门床位球车厅院馆桌台机口窗码站选])"

RULES: list[Rule] = [
    rule(rf"{_NUMBER_BEFORE}{_YEAR}?的?(?P<m>{ZH_NUMBER})月份?(?:(?P<d>{ZH_NUMBER}){_DAY_SUFFIX})?", _date),
    rule(rf"{_NUMBER_BEFORE}{_YEAR}(?!代|级|龄|纪)", _year),
    rule(rf"(?P<rel>上上|下下|上|下|这|本)个?月的?(?P<d>{ZH_NUMBER}){_DAY_SUFFIX}", _day_of_month),
    rule(
        rf"(?<![\d月零〇一二两三四五六七八九十第])(?P<d>\d{{1,2}}){_DAY_SUFFIX}{_NOT_A_DAY_AFTER}(?P<rel>)",
        _day_of_month,
    ),
    rule(
        rf"(?<![\d月零〇一二两三四五六七八九十第])(?P<d>[一二三四五六七八九十]{{1,3}})号{_NOT_A_DAY_AFTER}(?P<rel>)",
        _day_of_month,
    ),
    rule(rf"每年的?(?P<m>{ZH_NUMBER})月份?(?:(?P<d>{ZH_NUMBER}){_DAY_SUFFIX})?", _yearly),
    rule(rf"每个?月的?(?P<d>{ZH_NUMBER}){_DAY_SUFFIX}", _monthly),
    rule(rf"{_YEAR}的?(?P<s>[春夏秋冬])(?:天|季)", _season),
    rule(r"(?:这个|今)(?P<s>[春夏秋冬])(?:天|季)?(?P<y>)(?P<ry>)", _season),
    rule(rf"{_YEAR}?的?{_HOLIDAY}", _holiday),
]
