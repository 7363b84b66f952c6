"""Issue 13: the time expressions people actually use, in English and Chinese, resolved against Wednesday
2024-08-07 15:00 Asia/Shanghai (this week runs Mon Aug 5 - Mon Aug 12). Expected ranges worked out by hand; the
lunar festival dates are the published ones."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mnemoscope.timeparse import resolve_time

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 8, 7, 15, tzinfo=TZ)


def d(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def day(year: int, month: int, number: int) -> tuple[datetime, datetime]:
    """One whole calendar day."""
    start = d(year, month, number)
    return start, datetime.combine(start.date() + timedelta(days=1), start.timetz())


Expected = tuple[datetime, datetime] | None

ENGLISH: list[tuple[str, Expected]] = [
    # Ranges, explicit and open
    ("from May to July", (d(2024, 5, 1), d(2024, 8, 1))),
    ("between March 3 and March 10", (d(2024, 3, 3), d(2024, 3, 11))),
    ("between March 3 and 10", (d(2024, 3, 3), d(2024, 3, 11))),
    ("March 3-10", (d(2024, 3, 3), d(2024, 3, 11))),
    ("from March 3rd to the 10th", (d(2024, 3, 3), d(2024, 3, 11))),
    ("from 2019 to 2021", (d(2019, 1, 1), d(2022, 1, 1))),
    ("between 2019 and 2021", (d(2019, 1, 1), d(2022, 1, 1))),
    ("from last Monday to yesterday", (d(2024, 7, 29), d(2024, 8, 7))),
    ("from November 2023 to February", (d(2023, 11, 1), d(2024, 3, 1))),
    ("from last week until next week", (d(2024, 7, 29), d(2024, 8, 19))),
    ("from May 3 to May 5, 2024", (d(2024, 5, 3), d(2024, 5, 6))),
    ("since March", (d(2024, 3, 1), d(2024, 8, 8))),
    ("until next Friday", (d(2024, 8, 7), d(2024, 8, 17))),
    ("until the end of the month", (d(2024, 8, 7), d(2024, 9, 1))),
    ("May to July", (d(2024, 5, 1), d(2024, 8, 1))),
    ("from Monday to Wednesday", (d(2024, 8, 5), d(2024, 8, 8))),
    ("yesterday from 9am to 5pm", (d(2024, 8, 6, 9), d(2024, 8, 6, 17))),
    # Parts of a period
    ("early next year", (d(2025, 1, 1), d(2025, 5, 1))),
    ("at the end of last month", (d(2024, 7, 21), d(2024, 8, 1))),
    ("in mid-October", (d(2024, 10, 11), d(2024, 10, 21))),
    ("early October", (d(2024, 10, 1), d(2024, 10, 11))),
    ("late October", (d(2024, 10, 21), d(2024, 11, 1))),
    ("the first week of October", (d(2024, 10, 1), d(2024, 10, 8))),
    ("the last week of December 2023", (d(2023, 12, 25), d(2024, 1, 1))),
    ("the third week of March 2024", (d(2024, 3, 15), d(2024, 3, 22))),
    ("Which country was Tim visiting in the second week of November?", (d(2023, 11, 8), d(2023, 11, 15))),
    ("my second week of work", None),
    ("the first half of 2025", (d(2025, 1, 1), d(2025, 7, 1))),
    ("the second half of last year", (d(2023, 7, 1), d(2024, 1, 1))),
    ("by the end of the year", (d(2024, 11, 1), d(2025, 1, 1))),
    ("the beginning of next month", (d(2024, 9, 1), d(2024, 9, 11))),
    ("the start of the year", (d(2024, 1, 1), d(2024, 3, 1))),
    ("late 2023", (d(2023, 9, 1), d(2024, 1, 1))),
    ("in mid-2022", (d(2022, 5, 1), d(2022, 9, 1))),
    ("the end of the week", (d(2024, 8, 9), d(2024, 8, 12))),
    ("the middle of last week", (d(2024, 7, 31), d(2024, 8, 2))),
    ("in the middle of June", (d(2024, 6, 11), d(2024, 6, 21))),
    ("early March", (d(2024, 3, 1), d(2024, 3, 11))),
    ("the end of February", (d(2024, 2, 21), d(2024, 3, 1))),
    # Decades and centuries
    ("the 1990s", (d(1990, 1, 1), d(2000, 1, 1))),
    ("in the nineties", (d(1990, 1, 1), d(2000, 1, 1))),
    ("back in the '80s", (d(1980, 1, 1), d(1990, 1, 1))),
    ("the 2000s", (d(2000, 1, 1), d(2010, 1, 1))),
    ("the 2010s", (d(2010, 1, 1), d(2020, 1, 1))),
    ("the early 2000s", (d(2000, 1, 1), d(2004, 1, 1))),
    ("the late 1990s", (d(1997, 1, 1), d(2000, 1, 1))),
    ("the mid-80s", (d(1983, 1, 1), d(1987, 1, 1))),
    ("the twenties", (d(2020, 1, 1), d(2030, 1, 1))),
    ("the 20th century", (d(1900, 1, 1), d(2000, 1, 1))),
    ("the nineteenth century", (d(1800, 1, 1), d(1900, 1, 1))),
    ("the 21st century", (d(2000, 1, 1), d(2100, 1, 1))),
    ("last century", (d(1900, 1, 1), d(2000, 1, 1))),
    ("the 1800s", (d(1800, 1, 1), d(1900, 1, 1))),
    # Quarters
    ("the third quarter", (d(2024, 7, 1), d(2024, 10, 1))),
    ("Q3", (d(2024, 7, 1), d(2024, 10, 1))),
    ("Q1 2023", (d(2023, 1, 1), d(2023, 4, 1))),
    ("2022 Q2", (d(2022, 4, 1), d(2022, 7, 1))),
    ("last quarter", (d(2024, 4, 1), d(2024, 7, 1))),
    ("next quarter", (d(2024, 10, 1), d(2025, 1, 1))),
    ("this quarter", (d(2024, 7, 1), d(2024, 10, 1))),
    ("the fourth quarter of 2023", (d(2023, 10, 1), d(2024, 1, 1))),
    ("the second quarter of last year", (d(2023, 4, 1), d(2023, 7, 1))),
    ("Q4", (d(2024, 10, 1), d(2025, 1, 1))),
    ("What did we sell in Q4?", (d(2023, 10, 1), d(2024, 1, 1))),
    # Counted weekdays, weekends and seasons: past one-off days, never weekly recurrences
    ("two Fridays ago", day(2024, 7, 26)),
    ("three Mondays ago", day(2024, 7, 22)),
    ("the Friday before last", day(2024, 7, 26)),
    ("two Fridays from now", day(2024, 8, 16)),
    ("the weekend before last", (d(2024, 7, 27), d(2024, 7, 29))),
    ("two weekends ago", (d(2024, 7, 27), d(2024, 7, 29))),
    ("the weekend after next", (d(2024, 8, 24), d(2024, 8, 26))),
    ("the summer before last", (d(2022, 6, 1), d(2022, 9, 1))),
    ("two summers ago", (d(2022, 6, 1), d(2022, 9, 1))),
    ("the winter before last", (d(2022, 12, 1), d(2023, 3, 1))),
    # Times of day
    ("this morning", (d(2024, 8, 7, 6), d(2024, 8, 7, 12))),
    ("last night", (d(2024, 8, 6, 18), d(2024, 8, 7))),
    ("tonight", (d(2024, 8, 7, 18), d(2024, 8, 8))),
    ("this afternoon", (d(2024, 8, 7, 12), d(2024, 8, 7, 18))),
    ("yesterday morning", (d(2024, 8, 6, 6), d(2024, 8, 6, 12))),
    ("tomorrow evening", (d(2024, 8, 8, 18), d(2024, 8, 9))),
    ("last Friday evening", (d(2024, 8, 2, 18), d(2024, 8, 3))),
    # Minutes and hours
    ("45 minutes ago", (d(2024, 8, 7, 14, 15), d(2024, 8, 7, 14, 16))),
    ("20 mins ago", (d(2024, 8, 7, 14, 40), d(2024, 8, 7, 14, 41))),
    ("in 10 minutes", (d(2024, 8, 7, 15, 10), d(2024, 8, 7, 15, 11))),
    ("half an hour ago", (d(2024, 8, 7, 14, 30), d(2024, 8, 7, 14, 31))),
    ("3 hours ago", (d(2024, 8, 7, 12), d(2024, 8, 7, 13))),
    ("in 2 hours", (d(2024, 8, 7, 17), d(2024, 8, 7, 18))),
    # A day of the month with a year or month reference
    ("the 15th of March last year", day(2023, 3, 15)),
    ("March 15 last year", day(2023, 3, 15)),
    ("on the 15th last month", day(2024, 7, 15)),
    ("October of last year", (d(2023, 10, 1), d(2023, 11, 1))),
    ("Christmas last year", day(2023, 12, 25)),
    # Holidays, any year
    ("Christmas", day(2024, 12, 25)),
    ("Christmas Eve", day(2024, 12, 24)),
    ("New Year's Eve", (d(2024, 12, 31), d(2025, 1, 1))),
    ("on New Year", day(2024, 1, 1)),
    ("Valentine's Day", day(2024, 2, 14)),
    ("Halloween", day(2024, 10, 31)),
    ("Thanksgiving 2023", day(2023, 11, 23)),
    ("Christmas 2030", day(2030, 12, 25)),
    ("Chinese New Year 2025", day(2025, 1, 29)),
    ("the Mid-Autumn Festival in 2030", day(2030, 9, 12)),
    ("Lantern Festival", day(2024, 2, 24)),
    ("Qingming", day(2024, 4, 4)),
    ("Dragon Boat Festival 2025", day(2025, 5, 31)),
    ("the Double Ninth Festival", day(2024, 10, 11)),
    ("Qixi", day(2024, 8, 10)),
    # Ambiguity: a bare month or holiday in a question about the past is its latest occurrence already begun
    ("When did we go out for Christmas?", day(2023, 12, 25)),
    ("What did I do on Halloween?", day(2023, 10, 31)),
    ("Will we meet at Christmas?", day(2024, 12, 25)),
    ("Are you going to visit on Valentine's Day?", day(2025, 2, 14)),
    ("What did I do in October?", (d(2023, 10, 1), d(2023, 11, 1))),
    ("What will I do in October?", (d(2024, 10, 1), d(2024, 11, 1))),
    ("I went hiking in March", (d(2024, 3, 1), d(2024, 4, 1))),
    ("Where did we go in September?", (d(2023, 9, 1), d(2023, 10, 1))),
    # Words that only look like time
    ("May I ask you something?", None),
    ("April is my sister", None),
    ("I was early", None),
    ("we lost the first quarter of the game", None),
    ("we were trailing big time in the 4th quarter", None),
    ("the 4th quarter of 2023", (d(2023, 10, 1), d(2024, 1, 1))),
    ("she is in her 90s", None),
    ("in the middle of the night", None),
    ("that is the end of the story", None),
    ("let them march on", None),
    ("I scored 2020 points", None),
    ("I will be there in a minute", None),
]

CHINESE: list[tuple[str, Expected]] = [
    # 范围
    ("2024年3月到5月", (d(2024, 3, 1), d(2024, 6, 1))),
    ("从五月到七月", (d(2024, 5, 1), d(2024, 8, 1))),
    ("从上周到这周", (d(2024, 7, 29), d(2024, 8, 12))),
    ("3月3日到10日", (d(2024, 3, 3), d(2024, 3, 11))),
    ("从3号到10号", (d(2024, 8, 3), d(2024, 8, 11))),
    ("2019年到2021年", (d(2019, 1, 1), d(2022, 1, 1))),
    ("从去年到今年", (d(2023, 1, 1), d(2025, 1, 1))),
    ("五月至七月", (d(2024, 5, 1), d(2024, 8, 1))),
    ("从昨天到今天", (d(2024, 8, 6), d(2024, 8, 8))),
    ("从十一月到明年二月", (d(2024, 11, 1), d(2025, 3, 1))),
    ("到月底为止", (d(2024, 8, 7), d(2024, 9, 1))),
    ("截至下周五", (d(2024, 8, 7), d(2024, 8, 17))),
    ("自从三月以来", (d(2024, 3, 1), d(2024, 8, 8))),
    ("从2022年10月到2023年3月", (d(2022, 10, 1), d(2023, 4, 1))),
    ("从周一到周三", (d(2024, 8, 5), d(2024, 8, 8))),
    ("下午到晚上", (d(2024, 8, 7, 12), d(2024, 8, 8))),
    ("昨天上午9点到下午5点", (d(2024, 8, 6, 9), d(2024, 8, 6, 17))),
    # 时段的一部分
    ("下个月初", (d(2024, 9, 1), d(2024, 9, 11))),
    ("上个月底", (d(2024, 7, 21), d(2024, 8, 1))),
    ("十月中旬", (d(2024, 10, 11), d(2024, 10, 21))),
    ("十月上旬", (d(2024, 10, 1), d(2024, 10, 11))),
    ("十月下旬", (d(2024, 10, 21), d(2024, 11, 1))),
    ("月底", (d(2024, 8, 21), d(2024, 9, 1))),
    ("月初", (d(2024, 8, 1), d(2024, 8, 11))),
    ("本月底", (d(2024, 8, 21), d(2024, 9, 1))),
    ("中旬", (d(2024, 8, 11), d(2024, 8, 21))),
    ("上个月中旬", (d(2024, 7, 11), d(2024, 7, 21))),
    ("2023年12月下旬", (d(2023, 12, 21), d(2024, 1, 1))),
    ("年初", (d(2024, 1, 1), d(2024, 3, 1))),
    ("年底", (d(2024, 11, 1), d(2025, 1, 1))),
    ("明年年初", (d(2025, 1, 1), d(2025, 3, 1))),
    ("明年初", (d(2025, 1, 1), d(2025, 3, 1))),
    ("去年年底", (d(2023, 11, 1), d(2024, 1, 1))),
    ("去年年中", (d(2023, 5, 1), d(2023, 9, 1))),
    ("2025年上半年", (d(2025, 1, 1), d(2025, 7, 1))),
    ("今年下半年", (d(2024, 7, 1), d(2025, 1, 1))),
    ("上半年", (d(2024, 1, 1), d(2024, 7, 1))),
    ("下半年", (d(2024, 7, 1), d(2025, 1, 1))),
    ("去年下半年", (d(2023, 7, 1), d(2024, 1, 1))),
    ("上半个月", (d(2024, 8, 1), d(2024, 8, 16))),
    ("上世纪末", (d(1990, 1, 1), d(2000, 1, 1))),
    # 年代和世纪
    ("九十年代", (d(1990, 1, 1), d(2000, 1, 1))),
    ("90年代", (d(1990, 1, 1), d(2000, 1, 1))),
    ("1990年代", (d(1990, 1, 1), d(2000, 1, 1))),
    ("上世纪八十年代", (d(1980, 1, 1), d(1990, 1, 1))),
    ("上世纪二十年代", (d(1920, 1, 1), d(1930, 1, 1))),
    ("二十年代", (d(2020, 1, 1), d(2030, 1, 1))),
    ("八十年代初", (d(1980, 1, 1), d(1982, 1, 1))),
    ("七十年代末", (d(1978, 1, 1), d(1980, 1, 1))),
    ("二十世纪", (d(1900, 1, 1), d(2000, 1, 1))),
    ("21世纪", (d(2000, 1, 1), d(2100, 1, 1))),
    ("上个世纪", (d(1900, 1, 1), d(2000, 1, 1))),
    ("本世纪", (d(2000, 1, 1), d(2100, 1, 1))),
    # 季度
    ("第三季度", (d(2024, 7, 1), d(2024, 10, 1))),
    ("三季度", (d(2024, 7, 1), d(2024, 10, 1))),
    ("上个季度", (d(2024, 4, 1), d(2024, 7, 1))),
    ("下季度", (d(2024, 10, 1), d(2025, 1, 1))),
    ("本季度", (d(2024, 7, 1), d(2024, 10, 1))),
    ("去年第四季度", (d(2023, 10, 1), d(2024, 1, 1))),
    ("2023年Q4", (d(2023, 10, 1), d(2024, 1, 1))),
    ("2022年第一季度", (d(2022, 1, 1), d(2022, 4, 1))),
    ("第四季度", (d(2024, 10, 1), d(2025, 1, 1))),
    ("第四季度我们做了什么？", (d(2023, 10, 1), d(2024, 1, 1))),
    # 数过去的周末、星期几和季节
    ("上上周末", (d(2024, 7, 27), d(2024, 7, 29))),
    ("上上个周末", (d(2024, 7, 27), d(2024, 7, 29))),
    ("上上周五", day(2024, 7, 26)),
    ("前年夏天", (d(2022, 6, 1), d(2022, 9, 1))),
    ("去年冬天", (d(2023, 12, 1), d(2024, 3, 1))),
    ("前年冬天", (d(2022, 12, 1), d(2023, 3, 1))),
    ("上上个月", (d(2024, 6, 1), d(2024, 7, 1))),
    ("下下周末", (d(2024, 8, 24), d(2024, 8, 26))),
    # 一天中的时段
    ("早上", (d(2024, 8, 7, 6), d(2024, 8, 7, 12))),
    ("上午", (d(2024, 8, 7, 6), d(2024, 8, 7, 12))),
    ("中午", (d(2024, 8, 7, 11), d(2024, 8, 7, 14))),
    ("下午", (d(2024, 8, 7, 12), d(2024, 8, 7, 18))),
    ("晚上", (d(2024, 8, 7, 18), d(2024, 8, 8))),
    ("昨晚", (d(2024, 8, 6, 18), d(2024, 8, 7))),
    ("今晚", (d(2024, 8, 7, 18), d(2024, 8, 8))),
    ("凌晨", (d(2024, 8, 7), d(2024, 8, 7, 6))),
    ("昨天凌晨", (d(2024, 8, 6), d(2024, 8, 6, 6))),
    ("前天晚上", (d(2024, 8, 5, 18), d(2024, 8, 6))),
    # 分钟和小时
    ("45分钟前", (d(2024, 8, 7, 14, 15), d(2024, 8, 7, 14, 16))),
    ("十分钟后", (d(2024, 8, 7, 15, 10), d(2024, 8, 7, 15, 11))),
    ("二十分钟前", (d(2024, 8, 7, 14, 40), d(2024, 8, 7, 14, 41))),
    ("半小时前", (d(2024, 8, 7, 14, 30), d(2024, 8, 7, 14, 31))),
    ("半个小时后", (d(2024, 8, 7, 15, 30), d(2024, 8, 7, 15, 31))),
    ("3小时后", (d(2024, 8, 7, 18), d(2024, 8, 7, 19))),
    ("两个小时前", (d(2024, 8, 7, 13), d(2024, 8, 7, 14))),
    # 带年份的日期
    ("去年3月15号", day(2023, 3, 15)),
    ("去年的3月15号", day(2023, 3, 15)),
    ("前年5月1日", day(2022, 5, 1)),
    ("去年十月", (d(2023, 10, 1), d(2023, 11, 1))),
    # 节日，任意年份
    ("春节", day(2024, 2, 10)),
    ("去年春节", day(2023, 1, 22)),
    ("明年春节", day(2025, 1, 29)),
    ("2000年春节", day(2000, 2, 5)),
    ("1990年春节", day(1990, 1, 27)),
    ("2050年春节", day(2050, 1, 23)),
    ("元宵节", day(2024, 2, 24)),
    ("明年元宵节", day(2025, 2, 12)),
    ("清明节", day(2024, 4, 4)),
    ("去年清明", day(2023, 4, 5)),
    ("明年清明节", day(2025, 4, 4)),
    ("端午节", day(2024, 6, 10)),
    ("明年端午", day(2025, 5, 31)),
    ("七夕", day(2024, 8, 10)),
    ("去年七夕", day(2023, 8, 22)),
    ("明年七夕", day(2025, 8, 29)),
    ("中秋节", day(2024, 9, 17)),
    ("明年中秋", day(2025, 10, 6)),
    ("2030年中秋节", day(2030, 9, 12)),
    ("重阳节", day(2024, 10, 11)),
    ("明年重阳节", day(2025, 10, 29)),
    ("除夕", day(2024, 2, 9)),
    ("明年除夕", day(2025, 1, 28)),
    ("大年三十", day(2024, 2, 9)),
    ("国庆节", day(2024, 10, 1)),
    ("元旦", day(2024, 1, 1)),
    ("去年圣诞节", day(2023, 12, 25)),
    # 歧义：问过去的事时，没有年份的月份或节日指最近一次已经开始的
    ("中秋节我们去了哪里？", day(2023, 9, 29)),
    ("七夕那天我们吃了什么？", day(2023, 8, 22)),
    ("国庆节你打算去哪？", day(2024, 10, 1)),
    ("十月我做了什么？", (d(2023, 10, 1), d(2023, 11, 1))),
    ("十月我打算去旅行", (d(2024, 10, 1), d(2024, 11, 1))),
    ("我三月去了北京", (d(2024, 3, 1), d(2024, 4, 1))),
    # 看起来像时间的词
    ("我喜欢吃月饼", None),
    ("他考虑得很周到", None),
    ("我在读《百年孤独》", None),
    ("我在看《明年今日》", None),
    ("这年头物价很贵", None),
    ("一年中最热的时候", None),
    ("当初我不知道", None),
    ("我赶上了末班车", None),
    ("我们四个季度都完成了", None),
    ("这是一项世纪工程", None),
    ("这家店年中无休", None),
    ("期末考试很难", None),
    ("我初中的时候住在杭州", None),
]


def _check(text: str, expected: Expected) -> None:
    found = resolve_time(text, NOW)
    if expected is None:
        assert found is None, f"{text!r} -> {found}"
        return
    assert found is not None, text
    assert (found.start, found.end) == expected, text
    assert found.recurrence is None, text


@pytest.mark.parametrize(("text", "expected"), ENGLISH, ids=[text for text, _ in ENGLISH])
def test_english_families(text: str, expected: Expected) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), CHINESE, ids=[text for text, _ in CHINESE])
def test_chinese_families(text: str, expected: Expected) -> None:
    _check(text, expected)


def test_the_table_is_large_and_half_chinese() -> None:
    assert len(ENGLISH) + len(CHINESE) >= 200
    assert len(CHINESE) >= len(ENGLISH)
