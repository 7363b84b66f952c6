"""Language-neutral numeric dates shared by every grammar: 2024-05-03, 2024/05/03, 2024.05.03 and 2024-05."""

import re
from datetime import datetime

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.timeparse import resolvers
from mnemoscope.timeparse.engine import Rule, rule


def _full_date(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.full_date(now, int(match["y"]), int(match["m"]), int(match["d"]))


def _year_month(match: re.Match[str], now: datetime) -> TimeRange | None:
    return resolvers.month_of(now, int(match["y"]), int(match["m"]))


# Lookarounds instead of \b: in Chinese text digits touch ideographs, which are word characters too.
RULES: list[Rule] = [
    rule(r"(?<![\d/.-])(?P<y>\d{4})([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\d/.-]?\d)", _full_date),
    rule(r"(?<![\d/.-])(?P<y>(?:19|20)\d\d)[-/](?P<m>0?[1-9]|1[0-2])(?![\d/.-]?\d)", _year_month),
]
