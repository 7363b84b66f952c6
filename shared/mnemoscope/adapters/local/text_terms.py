"""Turn text into search terms that work for English and Chinese alike.

Runs of CJK characters become their single characters plus overlapping bigrams (what OpenSearch's `cjk`
analyzer does), so "杭州" matches inside "用户下周要去杭州出差" without a word segmenter; other text is
split into lower-case word tokens."""

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def terms(text: str) -> list[str]:
    """Search terms of `text` in order (may repeat)."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if _CJK_RUN.fullmatch(token):
            out.extend(token)
            out.extend(token[i : i + 2] for i in range(len(token) - 1))
        else:
            out.append(token)
    return out
