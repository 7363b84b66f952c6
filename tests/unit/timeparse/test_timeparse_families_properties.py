"""Hypothesis properties of the issue-13 families, for any aware `now`: ranges are non-empty, parts nest inside
their period, "N units ago" moves back as N grows, and the English and Chinese forms of one expression agree."""

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import resolve_time

AWARE_NOW = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.timezones())

PHRASES = [
    "from May to July",
    "between March 3 and 10",
    "from last Monday to yesterday",
    "until next Friday",
    "early next year",
    "at the end of last month",
    "in mid-October",
    "the first week of October",
    "the first half of 2025",
    "by the end of the year",
    "the late 1990s",
    "the nineties",
    "the 20th century",
    "Q3",
    "last quarter",
    "two Fridays ago",
    "the weekend before last",
    "the summer before last",
    "45 minutes ago",
    "the 15th of March last year",
    "Thanksgiving",
    "What did I do on Halloween?",
    "2024年3月到5月",
    "从五月到七月",
    "下个月初",
    "上个月底",
    "十月中旬",
    "年底",
    "2025年上半年",
    "上世纪八十年代",
    "第三季度",
    "上个季度",
    "上上周末",
    "前年夏天",
    "昨晚",
    "凌晨",
    "45分钟前",
    "半小时后",
    "去年3月15号",
    "春节",
    "端午节",
    "七夕",
    "中秋节",
    "重阳节",
    "除夕",
    "清明节",
    "元宵节",
]


def _range(text: str, now: datetime) -> TimeRange:
    found = resolve_time(text, now)
    assert found is not None, text
    return found


@settings(max_examples=400, deadline=None)
@given(phrase=st.sampled_from(PHRASES), now=AWARE_NOW)
def test_every_family_gives_a_non_empty_range(phrase: str, now: datetime) -> None:
    found = _range(phrase, now)
    assert found.start < found.end
    assert found.start.tzinfo is now.tzinfo


NESTED = [
    ("mid-October 2023", "October 2023"),
    ("in mid-October", "in October"),
    ("the end of October", "in October"),
    ("early next year", "next year"),
    ("the first week of next month", "next month"),
    ("the last week of next month", "next month"),
    ("the end of last week", "last week"),
    ("the second half of last year", "last year"),
    ("the late 1990s", "the 1990s"),
    ("the early twenties", "the twenties"),
    ("下个月初", "下个月"),
    ("上个月底", "上个月"),
    ("十月中旬", "十月"),
    ("2025年上半年", "2025年"),
    ("去年年底", "去年"),
    ("八十年代初", "八十年代"),
    ("上世纪末", "上世纪"),
    ("上个季度", "今年"),
]


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(NESTED), now=AWARE_NOW)
def test_a_part_lies_inside_its_period(pair: tuple[str, str], now: datetime) -> None:
    part, whole = _range(pair[0], now), _range(pair[1], now)
    if pair == ("上个季度", "今年") and now.month <= 3:
        return  # last quarter is last year's in the first quarter: not a nesting pair then
    assert whole.start <= part.start < part.end <= whole.end
    assert (part.start, part.end) != (whole.start, whole.end)


AGO = [
    "{} minutes ago",
    "{} hours ago",
    "{} days ago",
    "{} weeks ago",
    "{} months ago",
    "{} years ago",
    "{} Fridays ago",
    "{} weekends ago",
    "{}分钟前",
    "{}小时前",
    "{}天前",
    "{}周前",
    "{}个月前",
    "{}年前",
]


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(AGO),
    counts=st.lists(st.integers(min_value=1, max_value=40), min_size=2, max_size=2, unique=True),
    now=AWARE_NOW,
)
def test_n_units_ago_moves_back_as_n_grows(template: str, counts: list[int], now: datetime) -> None:
    fewer, more = sorted(counts)
    near, far = _range(template.format(fewer), now), _range(template.format(more), now)
    assert far.start < near.start
    assert far.end <= near.end
    later = _range(template.format(fewer).replace("ago", "from now").replace("前", "后"), now)
    assert near.start < later.start


SAME = [
    ("the first half of 2025", "2025年上半年"),
    ("mid-October", "十月中旬"),
    ("early October", "十月上旬"),
    ("late October", "十月下旬"),
    ("at the end of last month", "上个月底"),
    ("the beginning of next month", "下个月初"),
    ("the beginning of next year", "明年年初"),
    ("the end of last year", "去年年底"),
    ("Q3", "第三季度"),
    ("last quarter", "上个季度"),
    ("the nineties", "九十年代"),
    ("the 1990s", "1990年代"),
    ("the 20th century", "二十世纪"),
    ("last century", "上个世纪"),
    ("45 minutes ago", "45分钟前"),
    ("in 3 hours", "3小时后"),
    ("half an hour ago", "半小时前"),
    ("the weekend before last", "上上周末"),
    ("the 15th of March last year", "去年3月15号"),
    ("Christmas last year", "去年圣诞节"),
    ("Chinese New Year 2025", "2025年春节"),
    ("the Mid-Autumn Festival in 2030", "2030年中秋节"),
    ("from May to July", "从五月到七月"),
    ("between March 3 and 10", "3月3日到10日"),
    ("this morning", "今天早上"),
    ("last night", "昨晚"),
    ("tonight", "今晚"),
    ("this afternoon", "今天下午"),
    ("Christmas", "圣诞节"),
    ("Qixi", "七夕"),
    ("Qingming", "清明节"),
    ("the Double Ninth Festival", "重阳节"),
    ("Lantern Festival", "元宵节"),
    ("What did I do in October?", "十月我做了什么？"),
    ("until next Friday", "截至下周五"),
]


@settings(max_examples=400, deadline=None)
@given(pair=st.sampled_from(SAME), now=AWARE_NOW)
def test_english_and_chinese_forms_agree(pair: tuple[str, str], now: datetime) -> None:
    english, chinese = _range(pair[0], now), _range(pair[1], now)
    assert (english.start, english.end) == (chinese.start, chinese.end)
