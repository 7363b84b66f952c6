"""Numbers written as digits, English words (twenty-three, a couple of) or Chinese numerals (二十三, 两, 二〇二四)."""

import re

_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_FUZZY = {"a couple": 2, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3, "a dozen": 12, "a": 1}
_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]

# Longest words first so "seventeen" wins over "seven" without relying on backtracking.
_SMALL_PATTERN = "|".join(sorted(_SMALL[1:], key=len, reverse=True))
EN_NUMBER = (
    rf"(?:\d{{1,4}}|a\s+couple(?:\s+of)?|a\s+few|several|a\s+dozen|"
    rf"(?:{'|'.join(_TENS)})(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine))?|{_SMALL_PATTERN}|an?)"
)
EN_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[-\s]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    + "|".join(sorted(_ORDINALS, key=len, reverse=True))
    + ")"
)
# A day of the month: "5", "5th", "21st" or an ordinal word ("fifth", "twenty-first").
EN_DAY_ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{EN_ORDINAL_WORD})"

_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
ZH_NUMBER = r"(?:\d{1,4}|[零〇一二两三四五六七八九十百千]{1,6})"


def parse_english_number(text: str) -> int | None:
    """Parse "3", "three", "twenty-one", "a couple of", "a few"; None when not a number."""
    words = re.sub(r"[\s-]+", " ", text.strip().lower())
    if words.isdigit():
        return int(words)
    if words in _FUZZY or words == "an":
        return _FUZZY.get(words, 1)
    parts = words.split(" ")
    if parts[0] in _TENS:
        tens = 20 + 10 * _TENS.index(parts[0])
        return tens + (_SMALL.index(parts[1]) if len(parts) == 2 and parts[1] in _SMALL else 0)
    return _SMALL.index(words) if words in _SMALL else None


def parse_english_ordinal(text: str) -> int | None:
    """Parse a day ordinal: "5th", "21st", "5", "fifth", "twenty-first"."""
    words = re.sub(r"[\s-]+", " ", text.strip().lower())
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", words)
    if digits:
        return int(digits.group(1))
    if words == "thirtieth":
        return 30
    parts = words.split(" ")
    if len(parts) == 2 and parts[0] in ("twenty", "thirty") and parts[1] in _ORDINALS:
        return (20 if parts[0] == "twenty" else 30) + _ORDINALS.index(parts[1]) + 1
    return _ORDINALS.index(words) + 1 if words in _ORDINALS else None


def parse_chinese_number(text: str) -> int | None:
    """Parse "3", "十", "二十三", "两", "一百零五" or digit-by-digit "二〇二四"; 几 (a few) counts as 3."""
    if text.isdigit():
        return int(text)
    if text == "几":
        return 3
    if len(text) > 1 and all(char in _ZH_DIGITS and char != "两" for char in text):
        return int("".join(str(_ZH_DIGITS[char]) for char in text))
    total, current = 0, 0
    for char in text:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            total += (current or 1) * _ZH_UNITS[char]
            current = 0
        else:
            return None
    return total + current
