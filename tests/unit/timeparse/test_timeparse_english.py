"""English expressions resolved against Wednesday 2024-08-07 15:00 Asia/Shanghai (expected ranges by hand)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mnemoscope.timeparse import resolve_time

TZ = ZoneInfo("Asia/Shanghai")


def d(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TZ)


CASES: list[tuple[str, datetime, datetime, str | None]] = [
    # Days and parts of days
    ("today", d(2024, 8, 7), d(2024, 8, 8), None),
    ("yesterday", d(2024, 8, 6), d(2024, 8, 7), None),
    ("tomorrow", d(2024, 8, 8), d(2024, 8, 9), None),
    ("the day before yesterday", d(2024, 8, 5), d(2024, 8, 6), None),
    ("the day after tomorrow", d(2024, 8, 9), d(2024, 8, 10), None),
    ("tonight", d(2024, 8, 7, 18), d(2024, 8, 8), None),
    ("this morning", d(2024, 8, 7, 6), d(2024, 8, 7, 12), None),
    ("this afternoon", d(2024, 8, 7, 12), d(2024, 8, 7, 18), None),
    ("this evening", d(2024, 8, 7, 18), d(2024, 8, 8), None),
    ("last night", d(2024, 8, 6, 18), d(2024, 8, 7), None),
    ("yesterday evening", d(2024, 8, 6, 18), d(2024, 8, 7), None),
    ("tomorrow morning", d(2024, 8, 8, 6), d(2024, 8, 8, 12), None),
    ("yesterday at noon", d(2024, 8, 6, 11), d(2024, 8, 6, 14), None),
    ("tomorrow night", d(2024, 8, 8, 18), d(2024, 8, 9), None),
    ("yesterday at 3pm", d(2024, 8, 6, 15), d(2024, 8, 6, 16), None),
    ("tomorrow at 9:30 a.m.", d(2024, 8, 8, 9), d(2024, 8, 8, 10), None),
    ("Yesterday afternoon", d(2024, 8, 6, 12), d(2024, 8, 6, 18), None),
    # Calendar units
    ("last week", d(2024, 7, 29), d(2024, 8, 5), None),
    ("this week", d(2024, 8, 5), d(2024, 8, 12), None),
    ("next week", d(2024, 8, 12), d(2024, 8, 19), None),
    ("the week after next", d(2024, 8, 19), d(2024, 8, 26), None),
    ("last month", d(2024, 7, 1), d(2024, 8, 1), None),
    ("this month", d(2024, 8, 1), d(2024, 9, 1), None),
    ("next month", d(2024, 9, 1), d(2024, 10, 1), None),
    ("last year", d(2023, 1, 1), d(2024, 1, 1), None),
    ("this year", d(2024, 1, 1), d(2025, 1, 1), None),
    ("next year", d(2025, 1, 1), d(2026, 1, 1), None),
    ("the year before last", d(2022, 1, 1), d(2023, 1, 1), None),
    # Weekends
    ("this weekend", d(2024, 8, 10), d(2024, 8, 12), None),
    ("last weekend", d(2024, 8, 3), d(2024, 8, 5), None),
    ("next weekend", d(2024, 8, 17), d(2024, 8, 19), None),
    ("over the weekend", d(2024, 8, 3), d(2024, 8, 5), None),
    # Weekdays
    ("last Friday", d(2024, 8, 2), d(2024, 8, 3), None),
    ("next Monday", d(2024, 8, 12), d(2024, 8, 13), None),
    ("this Wednesday", d(2024, 8, 7), d(2024, 8, 8), None),
    ("this Sunday", d(2024, 8, 11), d(2024, 8, 12), None),
    ("on Friday", d(2024, 8, 2), d(2024, 8, 3), None),
    ("on Wednesday", d(2024, 8, 7), d(2024, 8, 8), None),
    ("Thursday", d(2024, 8, 1), d(2024, 8, 2), None),
    ("last Friday evening", d(2024, 8, 2, 18), d(2024, 8, 3), None),
    ("Friday night", d(2024, 8, 2, 18), d(2024, 8, 3), None),
    ("this past Monday", d(2024, 8, 5), d(2024, 8, 6), None),
    ("this coming Friday", d(2024, 8, 9), d(2024, 8, 10), None),
    ("Friday last week", d(2024, 8, 2), d(2024, 8, 3), None),
    ("last week on Tuesday", d(2024, 7, 30), d(2024, 7, 31), None),
    # Offsets
    ("3 days ago", d(2024, 8, 4), d(2024, 8, 5), None),
    ("three days ago", d(2024, 8, 4), d(2024, 8, 5), None),
    ("a couple of days ago", d(2024, 8, 5), d(2024, 8, 6), None),
    ("a few days ago", d(2024, 8, 4), d(2024, 8, 5), None),
    ("twenty-one days ago", d(2024, 7, 17), d(2024, 7, 18), None),
    ("a week ago", d(2024, 7, 29), d(2024, 8, 5), None),
    ("2 weeks ago", d(2024, 7, 22), d(2024, 7, 29), None),
    ("a fortnight ago", d(2024, 7, 22), d(2024, 7, 29), None),
    ("two months ago", d(2024, 6, 1), d(2024, 7, 1), None),
    ("3 years ago", d(2021, 1, 1), d(2022, 1, 1), None),
    ("half a year ago", d(2024, 2, 1), d(2024, 3, 1), None),
    ("in 3 days", d(2024, 8, 10), d(2024, 8, 11), None),
    ("in 2 weeks", d(2024, 8, 19), d(2024, 8, 26), None),
    ("in a month", d(2024, 9, 1), d(2024, 10, 1), None),
    ("5 days later", d(2024, 8, 12), d(2024, 8, 13), None),
    ("two years from now", d(2026, 1, 1), d(2027, 1, 1), None),
    ("3 hours ago", d(2024, 8, 7, 12), d(2024, 8, 7, 13), None),
    ("in 2 hours", d(2024, 8, 7, 17), d(2024, 8, 7, 18), None),
    # Spans
    ("the past 3 days", d(2024, 8, 4), d(2024, 8, 8), None),
    ("the last two weeks", d(2024, 7, 24), d(2024, 8, 8), None),
    ("in the past week", d(2024, 7, 31), d(2024, 8, 8), None),
    ("over the past month", d(2024, 7, 7), d(2024, 8, 8), None),
    ("the next 3 days", d(2024, 8, 7), d(2024, 8, 11), None),
    # Explicit dates
    ("2024-05-03", d(2024, 5, 3), d(2024, 5, 4), None),
    ("2024/05/03", d(2024, 5, 3), d(2024, 5, 4), None),
    ("2024.5.3", d(2024, 5, 3), d(2024, 5, 4), None),
    ("2024-05", d(2024, 5, 1), d(2024, 6, 1), None),
    ("5/3/2024", d(2024, 5, 3), d(2024, 5, 4), None),
    ("May 3rd 2024", d(2024, 5, 3), d(2024, 5, 4), None),
    ("May 3, 2024", d(2024, 5, 3), d(2024, 5, 4), None),
    ("3 May 2024", d(2024, 5, 3), d(2024, 5, 4), None),
    ("3rd of May 2024", d(2024, 5, 3), d(2024, 5, 4), None),
    ("the third of May", d(2024, 5, 3), d(2024, 5, 4), None),
    ("May 3", d(2024, 5, 3), d(2024, 5, 4), None),
    ("Dec 25, 2023", d(2023, 12, 25), d(2023, 12, 26), None),
    ("Sept. 9", d(2024, 9, 9), d(2024, 9, 10), None),
    ("on 4/28", d(2024, 4, 28), d(2024, 4, 29), None),
    ("March 2025", d(2025, 3, 1), d(2025, 4, 1), None),
    ("in March", d(2024, 3, 1), d(2024, 4, 1), None),
    ("in may", d(2024, 5, 1), d(2024, 6, 1), None),
    ("early June", d(2024, 6, 1), d(2024, 6, 11), None),  # issue 13: a part of a month, not all of it
    ("last March", d(2024, 3, 1), d(2024, 4, 1), None),
    ("next March", d(2025, 3, 1), d(2025, 4, 1), None),
    ("last December", d(2023, 12, 1), d(2024, 1, 1), None),
    ("this December", d(2024, 12, 1), d(2025, 1, 1), None),
    ("September", d(2024, 9, 1), d(2024, 10, 1), None),
    ("on the 15th", d(2024, 8, 15), d(2024, 8, 16), None),
    ("in 2023", d(2023, 1, 1), d(2024, 1, 1), None),
    ("back in 2019", d(2019, 1, 1), d(2020, 1, 1), None),
    ("since 2019", d(2019, 1, 1), d(2024, 8, 8), None),
    ("ever since last Friday", d(2024, 8, 2), d(2024, 8, 8), None),
    # Recurrences: the current or next occurrence
    ("every year on April 28", d(2025, 4, 28), d(2025, 4, 29), "yearly"),
    ("every April 28", d(2025, 4, 28), d(2025, 4, 29), "yearly"),
    ("each year on 4/28", d(2025, 4, 28), d(2025, 4, 29), "yearly"),
    ("on October 3rd every year", d(2024, 10, 3), d(2024, 10, 4), "yearly"),
    ("every year in May", d(2025, 5, 1), d(2025, 6, 1), "yearly"),
    ("every Monday", d(2024, 8, 12), d(2024, 8, 13), "weekly"),
    ("every Wednesday", d(2024, 8, 7), d(2024, 8, 8), "weekly"),
    ("on Mondays", d(2024, 8, 12), d(2024, 8, 13), "weekly"),
    ("every week on Friday", d(2024, 8, 9), d(2024, 8, 10), "weekly"),
    ("every Monday morning", d(2024, 8, 12, 6), d(2024, 8, 12, 12), "weekly"),
    ("every weekend", d(2024, 8, 10), d(2024, 8, 12), "weekly"),
    ("every month on the 5th", d(2024, 9, 5), d(2024, 9, 6), "monthly"),
    ("on the 1st of every month", d(2024, 9, 1), d(2024, 9, 2), "monthly"),
    ("every month on the 7th", d(2024, 8, 7), d(2024, 8, 8), "monthly"),
    # Seasons and holidays
    ("last summer", d(2023, 6, 1), d(2023, 9, 1), None),
    ("this summer", d(2024, 6, 1), d(2024, 9, 1), None),
    ("last winter", d(2023, 12, 1), d(2024, 3, 1), None),
    ("next spring", d(2025, 3, 1), d(2025, 6, 1), None),
    ("last fall", d(2023, 9, 1), d(2023, 12, 1), None),
    ("the summer of 2022", d(2022, 6, 1), d(2022, 9, 1), None),
    ("Christmas", d(2024, 12, 25), d(2024, 12, 26), None),
    ("last Christmas", d(2023, 12, 25), d(2023, 12, 26), None),
    ("Christmas 2022", d(2022, 12, 25), d(2022, 12, 26), None),
    ("Thanksgiving", d(2024, 11, 28), d(2024, 11, 29), None),
    ("Chinese New Year", d(2024, 2, 10), d(2024, 2, 11), None),
    # Whole sentences
    ("I went hiking with Tom last Friday evening.", d(2024, 8, 2, 18), d(2024, 8, 3), None),
    ("We moved to Berlin in 2019, and three weeks ago I changed jobs", d(2024, 7, 15), d(2024, 7, 22), None),
    ("My birthday is on April 28", d(2024, 4, 28), d(2024, 4, 29), None),
    ("What did I eat yesterday?", d(2024, 8, 6), d(2024, 8, 7), None),
]


@pytest.mark.parametrize(("text", "start", "end", "recurrence"), CASES, ids=[case[0] for case in CASES])
def test_english_expression(now: datetime, text: str, start: datetime, end: datetime, recurrence: str | None) -> None:
    # Given a pinned Wednesday afternoon, When the text is resolved
    found = resolve_time(text, now)
    # Then the range matches the hand-computed one, in now's timezone
    assert found is not None
    assert (found.start, found.end, found.recurrence) == (start, end, recurrence)
    assert found.start.tzinfo is now.tzinfo
