"""Which prompt language (en or zh) fits a batch of turns."""

import re
from collections.abc import Iterable
from typing import Literal

Language = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# A Chinese character carries about as much as a short English word, so CJK weighs more than one Latin letter.
ZH_SHARE = 0.25


def cjk_share(text: str) -> float:
    """Share of CJK characters among CJK characters and Latin letters (0 when there are neither)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def detect_language(texts: Iterable[str]) -> Language:
    """'zh' when CJK characters make up at least a quarter of the batch's letters, else 'en'."""
    return "zh" if cjk_share("\n".join(texts)) >= ZH_SHARE else "en"
