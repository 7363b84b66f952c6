"""False positives, has_time_reference, language handling, month ends, year boundaries, DST and timezones."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mnemoscope.timeparse import detect_language, has_time_reference, resolve_time
from mnemoscope.timeparse.numbers import parse_chinese_number, parse_english_number, parse_english_ordinal

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

NOT_TIME = [
    "May I ask you something?",
    "I may go to the party",
    "They march on",
    "my second job",
    "I have a date with Anna",
    "We sold 2023 units",
    "I ran 5 miles",
    "I go running in the morning",
    "I run every day",
    "She calls daily",
    "April is my sister",
    "I will be there in a minute",
    "Give me 1/2 cup",
    "the second floor",
    "5 may be enough",
    "we met on the first day",
    "Happy new year",
    "in the summer",
    "",
    "天气很好",
    "天空很蓝",
    "我每天都跑步",
    "每天早上跑步",
    "时间过得真快",
    "我坐3号线上班",
    "然后天气变冷了",
    "一周一次",
    "我有一点累",
    "看一下周报",
    "我喜欢夏天",
    "一天到晚",
    "生日快乐",
    "三个月",
    "他住在5号楼",
    "我有两点建议",
    "我的第二份工作",
    "每周",
]


@pytest.mark.parametrize("text", NOT_TIME)
def test_words_that_only_look_like_time_give_none(text: str) -> None:
    now = datetime(2024, 8, 7, 15, tzinfo=SHANGHAI)
    assert resolve_time(text, now) is None
    assert has_time_reference(text) is False


# Vague time words: no range of their own (resolve_time gives None), but a time reference all the same, so
# retrieval may ask the LLM fallback about them when a model is configured.
VAGUE = [
    "what did I do last time",
    "next time, bring snacks",
    "之前天空很蓝",
    "最近",
    "I moved here recently",
    "back then I lived in Oslo",
    "我小时候住在杭州",
]


@pytest.mark.parametrize("text", VAGUE)
def test_vague_time_words_are_references_without_a_range(text: str) -> None:
    now = datetime(2024, 8, 7, 15, tzinfo=SHANGHAI)
    assert resolve_time(text, now) is None
    assert has_time_reference(text) is True


@pytest.mark.parametrize(
    "text",
    ["yesterday", "last Friday", "every Monday", "2024-05-03", "in March", "Feb 29", "上周五", "每年4月28日", "中午"],
)
def test_has_time_reference_true(text: str) -> None:
    assert has_time_reference(text) is True


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_time("yesterday", datetime(2024, 8, 7, 15))


@pytest.mark.parametrize(
    ("text", "now", "start", "end"),
    [
        # Month-end clamping: a month before March 31 is in February.
        ("a month ago", datetime(2024, 3, 31, 10), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("一个月前", datetime(2024, 3, 31, 10), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("in a month", datetime(2024, 1, 31, 10), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("the past month", datetime(2024, 3, 31, 10), datetime(2024, 2, 29), datetime(2024, 4, 1)),
        # Year boundaries: Monday 2024-12-30 starts a week that ends in 2025.
        ("next week", datetime(2024, 12, 30, 9), datetime(2025, 1, 6), datetime(2025, 1, 13)),
        ("this week", datetime(2024, 12, 30, 9), datetime(2024, 12, 30), datetime(2025, 1, 6)),
        ("last week", datetime(2024, 12, 30, 9), datetime(2024, 12, 23), datetime(2024, 12, 30)),
        ("next month", datetime(2024, 12, 30, 9), datetime(2025, 1, 1), datetime(2025, 2, 1)),
        ("上周", datetime(2025, 1, 2, 9), datetime(2024, 12, 23), datetime(2024, 12, 30)),
        ("last month", datetime(2025, 1, 1, 9), datetime(2024, 12, 1), datetime(2025, 1, 1)),
        ("tomorrow", datetime(2024, 12, 31, 23), datetime(2025, 1, 1), datetime(2025, 1, 2)),
        ("last winter", datetime(2025, 1, 15, 9), datetime(2023, 12, 1), datetime(2024, 3, 1)),
        ("this winter", datetime(2025, 1, 15, 9), datetime(2024, 12, 1), datetime(2025, 3, 1)),
        # Sunday: "this weekend" is the current one, "last Sunday" the previous week's.
        ("this weekend", datetime(2024, 8, 11, 9), datetime(2024, 8, 10), datetime(2024, 8, 12)),
        ("weekend", datetime(2024, 8, 11, 9), datetime(2024, 8, 10), datetime(2024, 8, 12)),
        ("last Sunday", datetime(2024, 8, 11, 9), datetime(2024, 8, 4), datetime(2024, 8, 5)),
        ("去年的今天", datetime(2024, 2, 29, 9), datetime(2023, 2, 28), datetime(2023, 3, 1)),
    ],
)
def test_calendar_boundaries(text: str, now: datetime, start: datetime, end: datetime) -> None:
    found = resolve_time(text, now.replace(tzinfo=SHANGHAI))
    assert found is not None
    assert (found.start, found.end) == (start.replace(tzinfo=SHANGHAI), end.replace(tzinfo=SHANGHAI))


@pytest.mark.parametrize(
    ("text", "now", "start", "end", "recurrence"),
    [
        ("every month on the 31st", datetime(2024, 4, 15), datetime(2024, 5, 31), datetime(2024, 6, 1), "monthly"),
        ("every year on Feb 29", datetime(2024, 8, 7), datetime(2028, 2, 29), datetime(2028, 3, 1), "yearly"),
        ("每年4月28日", datetime(2025, 4, 28, 20), datetime(2025, 4, 28), datetime(2025, 4, 29), "yearly"),
    ],
)
def test_recurrence_occurrence(text: str, now: datetime, start: datetime, end: datetime, recurrence: str) -> None:
    found = resolve_time(text, now.replace(tzinfo=SHANGHAI))
    assert found is not None
    assert (found.start, found.end, found.recurrence) == (
        start.replace(tzinfo=SHANGHAI),
        end.replace(tzinfo=SHANGHAI),
        recurrence,
    )


def test_dst_start_day_in_new_york_is_23_hours() -> None:
    # Given noon on 2024-03-10, the day clocks spring forward in New York
    now = datetime(2024, 3, 10, 12, tzinfo=NEW_YORK)
    # When "today" is resolved
    found = resolve_time("today", now)
    # Then it runs midnight EST to midnight EDT: 23 real hours
    assert found is not None
    assert found.start == datetime(2024, 3, 10, tzinfo=NEW_YORK)
    assert found.start.utcoffset() == timedelta(hours=-5)
    assert found.end.utcoffset() == timedelta(hours=-4)
    assert found.end.astimezone(UTC) - found.start.astimezone(UTC) == timedelta(hours=23)


def test_dst_end_day_in_new_york_is_25_hours() -> None:
    now = datetime(2024, 11, 4, 9, tzinfo=NEW_YORK)
    found = resolve_time("yesterday", now)
    assert found is not None
    assert found.end.astimezone(UTC) - found.start.astimezone(UTC) == timedelta(hours=25)


def test_results_follow_nows_timezone() -> None:
    # Given the same instant seen from New York (Tuesday evening) and Shanghai (Wednesday morning)
    instant = datetime(2024, 8, 6, 23, tzinfo=UTC)
    in_new_york, in_shanghai = instant.astimezone(NEW_YORK), instant.astimezone(SHANGHAI)
    # When "yesterday" is resolved in each
    ny, sh = resolve_time("yesterday", in_new_york), resolve_time("yesterday", in_shanghai)
    # Then each is the local calendar day before, in its own timezone
    assert ny is not None and sh is not None
    assert ny.start == datetime(2024, 8, 5, tzinfo=NEW_YORK) and ny.start.tzinfo is NEW_YORK
    assert sh.start == datetime(2024, 8, 6, tzinfo=SHANGHAI) and sh.start.tzinfo is SHANGHAI


def test_fixed_offset_timezone_is_kept() -> None:
    now = datetime(2024, 8, 7, 15, tzinfo=UTC)
    found = resolve_time("last Friday", now)
    assert found is not None
    assert found.start == datetime(2024, 8, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "lang", "expected_start"),
    [
        ("5月3日", "zh", datetime(2024, 5, 3)),
        ("5月3日", "zh-CN", datetime(2024, 5, 3)),
        ("5月3日", "cn", datetime(2024, 5, 3)),
        ("5月3日", "en", None),
        ("yesterday", "en-US", datetime(2024, 8, 6)),
        ("yesterday", "fr", datetime(2024, 8, 6)),
        ("2024-05-03", "zh", datetime(2024, 5, 3)),
    ],
)
def test_lang_parameter(text: str, lang: str, expected_start: datetime | None) -> None:
    found = resolve_time(text, datetime(2024, 8, 7, 15, tzinfo=SHANGHAI), lang=lang)
    expected = None if expected_start is None else expected_start.replace(tzinfo=SHANGHAI)
    assert (found.start if found else None) == expected


@pytest.mark.parametrize(
    ("text", "lang"), [("hello", "en"), ("你好", "zh"), ("I went to 北京", "zh"), ("", "en"), ("〇", "zh")]
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("十", 10), ("十五", 15), ("二十三", 23), ("两", 2), ("一百零五", 105), ("二〇二四", 2024), ("几", 3)],
)
def test_parse_chinese_number(text: str, value: int) -> None:
    assert parse_chinese_number(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("three", 3), ("twenty-three", 23), ("twenty", 20), ("a couple of", 2), ("a few", 3), ("an", 1)],
)
def test_parse_english_number(text: str, value: int) -> None:
    assert parse_english_number(text) == value


@pytest.mark.parametrize(("text", "value"), [("5th", 5), ("21st", 21), ("fifth", 5), ("twenty-first", 21)])
def test_parse_english_ordinal(text: str, value: int) -> None:
    assert parse_english_ordinal(text) == value


@pytest.mark.parametrize("text", ["foo", "thirty-foo"])
def test_parse_numbers_reject_words(text: str) -> None:
    assert parse_english_number("foo") is None
    assert parse_english_ordinal(text) is None
    assert parse_chinese_number("三x") is None
