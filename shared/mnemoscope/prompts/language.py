"""Which prompt language (en or zh) fits a batch of turns."""

import re
from collections.abc import Iterable
from typing import Literal

Language = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# A Chinese word averages about 1.5 characters, so CJK characters are converted to words before comparing.
CJK_CHARS_PER_WORD = 1.5


def cjk_share(text: str) -> float:
    """Estimated share of Chinese words among Chinese and Latin-script words (0 when there are neither)."""
    cjk_words = len(_CJK.findall(text)) / CJK_CHARS_PER_WORD
    latin_words = len(_LATIN_WORD.findall(text))
    total = cjk_words + latin_words
    return cjk_words / total if total else 0.0


def detect_language(texts: Iterable[str]) -> Language:
    """'zh' when about half the batch's words or more are Chinese, else 'en'."""
    return "zh" if cjk_share("\n".join(texts)) >= 0.5 else "en"
