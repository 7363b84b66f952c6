"""Language detection: Chinese when the text holds CJK ideographs, English otherwise."""

import re

_CJK = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> str:
    """Return "zh" if the text contains CJK ideographs, else "en"."""
    return "zh" if _CJK.search(text) else "en"


def normalize_language(lang: str | None, text: str) -> str:
    """Map "zh", "zh-CN", "cn" to "zh" and "en", "en-US" to "en"; detect from the text when None or unknown."""
    code = (lang or "").lower().replace("_", "-")
    if code in ("cn", "chinese") or code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return detect_language(text)
