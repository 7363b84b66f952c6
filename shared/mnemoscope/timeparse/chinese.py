"""Chinese rules for relative references: 今天/昨晚, 上周五, 下个月, 三天前, 过去三天, 周末, 中午, 下午3点."""

import re
from collections.abc import Mapping
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import chinese_dates, chinese_extra, numeric, resolvers
from mnemoscope.timeparse.engine import DayPart, Grammar, Handler, Rule, Value, Void, WeekdayRef, rule
from mnemoscope.timeparse.numbers import ZH_NUMBER, parse_chinese_number
from mnemoscope.timeparse.periods import Unit

WEEKDAY = r"(?P<wd>[一二三四五六日1-6]|天(?![气空]))"
_WEEK = r"(?:周|星期|礼拜)"
# 看一下周报 ("have a look at the weekly report") is not 下周.
_RELATION = r"(?<!一)(?P<rel>上上|下下|上|下|这|本|今)(?:个|一)?"
_OFFSETS = {"上上": -2, "上": -1, "这": 0, "本": 0, "今": 0, "下": 1, "下下": 2}
_YEARS = {"今年": 0, "本年": 0, "去年": -1, "上一年": -1, "前年": -2, "大前年": -3}
_YEARS |= {"明年": 1, "来年": 1, "下一年": 1, "后年": 2, "大后年": 3}
_DAYS = {"今天": 0, "今日": 0, "今儿": 0, "今儿个": 0, "昨天": -1, "昨日": -1, "昨儿": -1, "昨儿个": -1, "前天": -2}
_DAYS |= {"前日": -2, "大前天": -3, "明天": 1, "明日": 1, "明儿": 1, "明儿个": 1, "后天": 2, "大后天": 3}
_NIGHTS = {"今晚": (0, 18, 24), "今夜": (0, 18, 24), "昨晚": (-1, 18, 24), "昨夜": (-1, 18, 24), "明晚": (1, 18, 24)}
_NIGHTS |= {"前晚": (-2, 18, 24), "今早": (0, 6, 12), "今晨": (0, 6, 12), "明早": (1, 6, 12), "明晨": (1, 6, 12)}
PARTS = {"凌晨": (0, 6), "早上": (6, 12), "早晨": (6, 12), "清晨": (6, 12), "上午": (6, 12), "中午": (11, 14)}
PARTS |= {"午间": (11, 14), "下午": (12, 18), "午后": (12, 18), "傍晚": (17, 20), "黄昏": (17, 20)}
PARTS |= {"晚上": (18, 24), "晚间": (18, 24), "夜里": (18, 24), "夜晚": (18, 24), "夜间": (18, 24)}
_UNITS: dict[str, Unit] = {
    "分钟": "minute",
    "小时": "hour",
    "钟头": "hour",
    "天": "day",
    "日": "day",
    "星期": "week",
    "礼拜": "week",
}
_UNITS |= {"周": "week", "月": "month", "年": "year"}
_HALVES: dict[str, tuple[int, Unit]] = {"年": (6, "month"), "月": (2, "week"), "小时": (30, "minute")}
_HALVES |= {"钟头": (30, "minute")}
# Words in which 前天/后天 are not days: 之前天气 (weather), 然后天 (then).
_NOT_BEFORE = r"(?<![之以然最随背落先提])"


def weekday_index(char: str) -> int:
    """Monday = 0 for 一..六, 日/天 and the digits 1..6."""
    return 6 if char in "日天" else "一二三四五六".index(char) if char in "一二三四五六" else int(char) - 1


def _amount(match: re.Match[str]) -> tuple[int, Unit] | None:
    """The count and unit of 三天, 两个月, 半年; months need 个 so that 3月前 stays "before March"."""
    unit = match["unit"]
    if match["n"] == "半":
        return _HALVES.get(unit)
    count = parse_chinese_number(match["n"])
    if count is None or count >= 1000 or (unit == "月" and not match["ge"]) or (unit == "日" and match["n"].isdigit()):
        return None
    return count, _UNITS[unit]


def _offset(match: re.Match[str], now: datetime) -> TimeRange | None:
    amount = _amount(match)
    if amount is None:
        return None
    return resolvers.relative(now, amount[0] if match["dir"] == "后" else -amount[0], amount[1])


def _span(match: re.Match[str], now: datetime) -> TimeRange | None:
    amount = _amount(match)
    if amount is None or amount[1] in ("minute", "hour"):
        return None
    future = match["rel"] in ("未来", "接下来", "今后", "之后", "往后")
    return resolvers.next_span(now, *amount) if future else resolvers.past_span(now, *amount)


def _clock(match: re.Match[str], _now: datetime) -> DayPart | None:
    hour = parse_chinese_number(match["h"])
    # 一点/两点 alone usually mean "a little"/"two points": Chinese numerals need 下午, 钟 or minutes.
    if hour is None or not (match["h"].isdigit() or match["p"] or match["z"] or match["mm"]):
        return None
    part = match["p"] or ""
    # Without 上午/凌晨, 3点 in conversation is 15:00 rather than a time in the small hours.
    if (
        (part in ("下午", "傍晚", "晚上") and hour < 12)
        or (part == "中午" and hour < 11)
        or (not part and 0 < hour < 7)
    ):
        hour += 12
    elif part == "凌晨" and hour == 12:
        hour = 0
    return DayPart(hour, hour + 1, default_today=True) if hour < 24 else None


def _same_day_other_year(match: re.Match[str], now: datetime) -> TimeRange:
    """去年的今天: today's date in another year."""
    return resolvers.same_day_years_away(now, _YEARS[match["year"]])


def _fixed(value: Value) -> Handler:
    return lambda _match, _now: value


def _lookup(table: dict[str, int]) -> Handler:
    return lambda match, now: resolvers.day_offset(now, table[match[0]])


def _year_word(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.year_of(now, now.year + _YEARS[match[0]])


def _night(match: re.Match[str], now: datetime) -> TimeRange:
    return resolvers.part_of_day(now, *_NIGHTS[match[0]])


def _part(match: re.Match[str], _now: datetime) -> DayPart:
    return DayPart(*PARTS[match[0]], default_today=True)


def _unit(match: re.Match[str], now: datetime) -> TimeRange:
    return resolvers.calendar_unit(now, "month" if match["unit"] == "月" else "week", _OFFSETS[match["rel"]])


def _weekday_in_week(match: re.Match[str], now: datetime) -> TimeRange:
    return resolvers.weekday_in_week(now, weekday_index(match["wd"]), _OFFSETS[match["rel"]])


def _keys(table: Mapping[str, object]) -> str:
    return "|".join(sorted(table, key=len, reverse=True))


_COUNT = rf"(?P<n>{ZH_NUMBER}|几|半)(?P<ge>个)?"
_UNIT = r"(?P<unit>分钟|小时|钟头|天|日|星期|礼拜|周|月|年)"
_CLOCK = rf"(?P<p>{_keys(PARTS)})?(?P<h>\d{{1,2}}|[零一二两三四五六七八九十]{{1,3}})[点时](?P<z>钟)?"
_MINUTES = r"(?P<mm>半|一刻|三刻|\d{1,2}分?|[零一二三四五六七八九十]{1,3}分)?"

RULES: list[Rule] = [
    # Daily and bare repetitions have no single range; they also stop 早上 in 每天早上 from meaning today.
    rule(r"每(?:天|日|晚|夜|早)|天天|每个?(?:周|星期|礼拜|月|年)", _fixed(Void.VOID)),
    rule(r"大前天|大后天|今儿个|昨儿个|明儿个|今天|今日|今儿|昨天|昨日|昨儿|明天|明日|明儿|前日", _lookup(_DAYS)),
    rule(rf"{_NOT_BEFORE}(?:前天|后天)(?![气空])", _lookup(_DAYS)),
    rule(rf"(?P<year>{_keys(_YEARS)})的?(?:今天|今日|这一天|这个时候)", _same_day_other_year),
    rule(_keys(_NIGHTS), _night),
    rule(_keys(PARTS), _part),
    rule(rf"(?<![\d.]){_CLOCK}{_MINUTES}", _clock),
    rule(rf"大前年|大后年|今年|本年|去年|上一年|明年|来年|下一年|{_NOT_BEFORE}(?:前年|后年)", _year_word),
    rule(rf"{_RELATION}{_WEEK}{WEEKDAY}", _weekday_in_week),
    rule(
        rf"(?<![一二两三四五六七八九十几每个\d]){_WEEK}{WEEKDAY}",
        lambda match, _now: WeekdayRef(weekday_index(match["wd"])),
    ),
    rule(rf"{_RELATION}(?P<unit>周|星期|礼拜|月)", _unit),
    rule(rf"{_RELATION}周末", lambda match, now: resolvers.weekend(now, _OFFSETS[match["rel"]])),
    rule(r"(?<![每个])周末", lambda _match, now: resolvers.recent_weekend(now)),
    rule(r"每(?:个|逢)?周末", lambda _match, now: resolvers.weekly_weekend(now)),
    rule(
        rf"每(?:个|逢)?{_WEEK}{WEEKDAY}",
        lambda match, now: resolvers.weekly(now, weekday_index(match["wd"])),
    ),
    rule(rf"(?<![\d零〇一二两三四五六七八九十百千]){_COUNT}{_UNIT}(?:之|以)?(?P<dir>前|后)", _offset),
    rule(r"前几天|几天前", lambda _match, now: resolvers.day_offset(now, -3)),
    rule(r"过几天|几天后", lambda _match, now: resolvers.day_offset(now, 3)),
    rule(r"这几天|最近几天|近几天", lambda _match, now: resolvers.past_span(now, 3, "day")),
    rule(rf"(?P<rel>过去|最近|近|这|未来|接下来|今后|之后|往后)的?{_COUNT}{_UNIT}", _span),
]

GRAMMAR = Grammar(
    rules=[*RULES, *chinese_dates.RULES, *chinese_extra.RULES, *numeric.RULES],
    since_before=re.compile(r"(?:自从|自打|自)$"),
    since_lead=re.compile(r"(?:自从|自打)"),
    since_after=re.compile(r"(?:以来|至今|到现在|到今天)"),
    lang="zh",
)
