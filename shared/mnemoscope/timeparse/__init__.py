"""Deterministic resolution of English and Chinese time expressions into `TimeRange`s (no LLM).

Semantics (all ranges are half-open, in `now`'s timezone, computed with wall-clock arithmetic):

* Weeks start on Monday. "last/this/next week|month|year", 上周/本周/下周, 上个月/这个月/下个月, 去年/今年/明年,
  前年/后年 (and 上上周, 下下个月, 大前年...) are whole calendar units.
* Weekends: "this weekend"/这个周末 is Saturday 00:00 to Monday 00:00 of the current week; "last"/"next" shift
  by one week. A bare "weekend"/周末 is the current weekend on Saturday or Sunday, otherwise the one just past.
* Weekdays: "last Friday"/上周五 is Friday of the previous calendar week, "next Monday"/下周一 Monday of the next
  one, "this Wednesday"/这周三 that day of the current week. A bare weekday ("on Friday", 周五, 星期天) is the most
  recent such day, today included (memories mostly talk about the past). "this past Friday" is the latest Friday
  before today, "this coming Friday" the first after today. A bare weekday next to a week ("last week on Friday")
  is that day of that week.
* Days and parts of days: today/yesterday/tomorrow/(the day before yesterday)/前天/大前天/后天/大后天.
  Parts: morning 06-12, noon 11-14, afternoon 12-18, evening and night 18-24, 凌晨 00-06, 傍晚 17-20; clock
  hours ("3pm", 下午3点) give one hour. "tonight"/今晚 is today 18-24, "last night"/昨晚 yesterday 18-24. A part
  joins the first day-long reference in the text ("last Friday evening", 昨天晚上). With no day, a Chinese part
  (中午, 下午3点) means today; an English one ("in the morning") is too vague and yields nothing.
* Offsets: "N days ago"/"in N days"/三天前/三天后 give that calendar day; weeks, months and years give the calendar
  unit containing the date N units away (months are clamped: a month before March 31 is in February). Hours give
  that clock hour. "a couple of" = 2, "a few"/几 = 3, "half a year"/半年 = 6 months, half a month = 2 weeks.
* Spans: "the past/last N days", 过去三天, 最近一周 run from the start of the day N units ago to the end of today;
  "the next N days"/未来三天 from the start of today to the end of the day N units ahead.
* Explicit dates: ISO and slash dates (2024-05-03, 2024/05/03), US numeric 5/3/2024 (month first), "on 4/28",
  "May 3rd 2024", "3 May 2024", "the 3rd of May", "May 3", "March 2025", 2024年5月3日, 5月3号, 去年5月, 上个月5号,
  a bare 15号. "last March" is the latest March before the current month, "next March" the first after it. Years
  count only after a preposition ("in 2023", "since 2019") or with 年. "May"/"March" need a day, a year or a
  preposition (after "to"/"and" a capital letter).
* Ambiguity, one rule for both languages: a date without its year (a month, a month and day, a holiday, a
  quarter: "in October", 十月, "Christmas", 中秋节, "Q3") or without its month (15号, "on the 15th") is this
  year's (month's) occurrence, except that in a question about the past ("What did I do in October?",
  中秋节我们去了哪里？) it is the latest one already begun, and in a sentence about the future ("will", 打算) the
  next one not yet over. A year or month named next to it wins: "the 15th of March last year", "Christmas 2030",
  "on the 15th last month", 去年3月15号.
* "since X"/自X以来 runs from the start of X to the end of today; "until X"/截至X/到X为止 from the start of today to
  the end of X when X is still ahead (otherwise X itself).
* Ranges: "from X to Y", "between X and Y", "X-Y", "X until Y", 从X到Y, X至Y run from the start of X to the end of
  Y. Y may leave out what X says ("March 3-10", "from May to July", 2024年3月到5月, 3号到10号): it is then the first
  such Y ending after X starts. Y must not end before X starts; "Monday and Friday" without "between" is no range.
* Parts of a period (`parts`): beginning/early/mid/late/end, first/second half and first/last week of a week,
  month, quarter, season, year, decade or century, and 初/上旬/中旬/下旬/底/末/上半年/下半年. Thirds of a month are
  days 1-10, 11-20 and 21-end (so "early October" = 十月上旬, "the end of last month" = 上个月底); a year's
  beginning/end (年初/年底) are January-February/November-December, early/mid/late its thirds. Every part lies
  inside its period. "early/late/mid" refine only months and longer periods ("late last week" stays last week).
* Decades and centuries (`eras`): "the 1990s", 1990年代; "the nineties", "the '90s", 九十年代 are the latest such
  decade already begun (上世纪/本世纪 pick the century); "the 1800s" is a century, "the 2000s" a decade; the 20th
  century/二十世纪/上个世纪 is 1900-1999. Quarters are calendar quarters (Q3, the third quarter, 第三季度,
  last quarter, 上个季度).
* Counted days: "two Fridays ago" is the second Friday before today (a past one-off day, never a weekly
  recurrence), "the Friday before last" the same, "two Fridays from now" the second after today; "the weekend
  before last"/"two weekends ago"/上上周末 is the weekend two calendar weeks back; "the summer before last" is the
  summer before the latest summer already over, 前年夏天 the summer of the year before last.
* Minutes: "45 minutes ago"/45分钟前, "in 10 minutes"/十分钟后, "half an hour ago"/半小时前 give that clock minute.
* Titles in 《》 are not read (《明年今日》 is a song, not next year).
* Recurrences: yearly ("every April 28", 每年4月28日), monthly ("on the 5th of every month", 每月5号) and weekly
  ("every Monday", "on Mondays", 每周一, every weekend) return one day (a weekend: two days) with `recurrence`
  set, on the current or next occurrence (today counts). Daily repetitions (every day, 每天, 每晚) have no single
  range and return None; they also stop 早上 in 每天早上 from meaning today.
* Seasons are meteorological (spring = March-May, winter = December-February); "last summer" is the latest
  summer already over, 去年夏天 the summer of last year. Holidays: fixed dates (元旦, 国庆, Valentine's, Halloween,
  Christmas (Eve), New Year's (Eve)...), US Thanksgiving, 清明 (solar term, 1900-2099) and the lunar festivals
  春节/元宵/端午/七夕/中秋/重阳/除夕, computed for 1900-2100 (`lunar`).
* Several references: day and part of day, or week and weekday, are combined; otherwise the shortest range wins,
  the earliest one on ties.
* Text is parsed with one language's rules (plus numeric dates): mixed-language sentences use the detected one.
"""

from datetime import UTC, datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import chinese, compose, english
from mnemoscope.timeparse.lang import detect_language, normalize_language
from mnemoscope.timeparse.vague import has_vague_time

__all__ = ["detect_language", "has_time_reference", "resolve_time"]

# has_time_reference resolves against a fixed leap-year instant so that any date that can exist is accepted.
_REFERENCE_NOW = datetime(2024, 1, 15, 12, tzinfo=UTC)


def resolve_time(text: str, now: datetime, *, lang: str | None = None) -> TimeRange | None:
    """Resolve the most specific time expression in `text` relative to the aware datetime `now`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    grammar = chinese.GRAMMAR if normalize_language(lang, text) == "zh" else english.GRAMMAR
    return compose.resolve(text, now, grammar)


def has_time_reference(text: str, lang: str | None = None) -> bool:
    """True when `text` refers to a time: an expression `resolve_time` resolves, or a vague time word
    ("recently", "back then", 最近, 以前) that only a model could turn into a range."""
    return resolve_time(text, _REFERENCE_NOW, lang=lang) is not None or has_vague_time(text)
