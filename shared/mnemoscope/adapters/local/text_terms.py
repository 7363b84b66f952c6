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


# Words that match most memories and say nothing about which one is meant. Dropping them from *queries* (the
# index keeps them) is what keeps keyword search fast: a query of OR-ed stop words matches most of a scope.
# "user"/用户 belong here because observations are written as "The user ...".
def _words(*chunks: str) -> frozenset[str]:
    return frozenset(word for chunk in chunks for word in chunk.split())


STOP_WORDS = _words(
    "a about above after again all also am an and any are as at be because been before being below between both",
    "but by can could did do does doing down during each few for from further had has have having he her here",
    "hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our",
    "out over own same she should so some such than that the their them then there these they this those through",
    "to too under until up very was we were what when where which while who whom why will with would you your",
    "yours tell know remember user users user's please",
    "的 了 是 我 你 他 她 它 们 吗 呢 吧 啊 在 有 和 与 就 都 也 很 还 又 这 那 什 么 哪 谁 个 一 不 没 要 会 能",
    "用 户 记 得 说 过 着 给 对 把 被",
    "什么 用户 我们 你们 他们 她们 这个 那个 哪里 怎么 为什么 记得 告诉 知道 一下 还是 还有 就是 是不",
)
MAX_QUERY_TERMS = 24


def query_terms(text: str) -> list[str]:
    """Distinct search terms of a query, without stop words (all of them when nothing else is left)."""
    distinct = list(dict.fromkeys(terms(text)))
    kept = [t for t in distinct if t not in STOP_WORDS]
    return (kept or distinct)[:MAX_QUERY_TERMS]
