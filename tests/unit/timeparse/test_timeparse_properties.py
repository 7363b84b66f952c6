"""Hypothesis properties: for any aware `now`, supported phrases give a non-empty range in now's timezone."""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.timeparse import resolve_time

PHRASES = [
    "today",
    "yesterday evening",
    "last Friday",
    "next Monday",
    "this weekend",
    "last week",
    "next month",
    "3 days ago",
    "two months ago",
    "in 2 weeks",
    "the past 3 days",
    "May 3rd 2024",
    "every year on April 28",
    "every Monday",
    "every month on the 31st",
    "last summer",
    "3 hours ago",
    "昨晚",
    "上周五",
    "下个月",
    "二十三天前",
    "每月5号",
    "去年夏天",
    "明天下午3点",
]

AWARE_NOW = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.timezones())


@settings(max_examples=300, deadline=None)
@given(phrase=st.sampled_from(PHRASES), now=AWARE_NOW)
def test_supported_phrases_give_a_range_in_nows_timezone(phrase: str, now: datetime) -> None:
    found = resolve_time(phrase, now)
    assert found is not None
    assert found.start < found.end
    assert found.start.tzinfo is now.tzinfo
    assert found.end.tzinfo is now.tzinfo


@settings(deadline=None)
@given(days=st.integers(min_value=1, max_value=3000), now=AWARE_NOW)
def test_n_days_ago_is_that_calendar_day(days: int, now: datetime) -> None:
    found = resolve_time(f"{days} days ago", now)
    assert found is not None
    assert found.start.date() == now.date() - timedelta(days=days)
    assert (found.start.hour, found.end.date()) == (0, found.start.date() + timedelta(days=1))


@settings(deadline=None)
@given(weeks=st.integers(min_value=1, max_value=300), now=AWARE_NOW)
def test_n_weeks_ago_is_a_monday_week_containing_that_date(weeks: int, now: datetime) -> None:
    found = resolve_time(f"{weeks} weeks ago", now)
    target = now.date() - timedelta(weeks=weeks)
    assert found is not None
    assert found.start.weekday() == 0
    assert found.start.date() <= target < found.end.date()
    assert found.end.date() - found.start.date() == timedelta(days=7)


@settings(deadline=None)
@given(now=AWARE_NOW)
def test_today_contains_now(now: datetime) -> None:
    found = resolve_time("today", now)
    assert found is not None
    # Same tzinfo: comparisons use wall-clock time, which is what a calendar day means.
    assert found.start <= now < found.end


WORDS = [
    "last",
    "next",
    "this",
    "every",
    "on",
    "the",
    "in",
    "since",
    "ago",
    "9999",
    "0",
    "31st",
    "years",
    "days",
    "weeks",
    "month",
    "May",
    "Friday",
    "weekend",
    "2024",
    "13/45/2024",
    "2024-02-30",
    "morning",
    "3pm",
    "of",
    "a",
    "few",
    "上",
    "下",
    "周",
    "月",
    "年",
    "每",
    "天",
    "前",
    "后",
    "三",
    "号",
    "日",
    "晚上",
    "点",
    "几",
    "个",
    "去",
    "9999",
]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), max_size=8), now=AWARE_NOW)
def test_any_word_salad_resolves_or_returns_none(words: list[str], now: datetime) -> None:
    # Never raises; whatever comes back is a valid range in now's timezone.
    found = resolve_time(" ".join(words), now)
    assert found is None or (found.start < found.end and found.start.tzinfo is now.tzinfo)
    found_zh = resolve_time("".join(words), now)
    assert found_zh is None or (found_zh.start < found_zh.end and found_zh.start.tzinfo is now.tzinfo)
