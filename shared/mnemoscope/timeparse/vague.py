"""Time words that point at a time without naming a range ("recently", "back then", 最近, 以前).

They make `has_time_reference` true, so retrieval may ask the LLM fallback (when a model is configured) what they
mean; `resolve_time` itself never guesses a range for them."""

import re

_EN = re.compile(
    r"\b(?:recently|lately|nowadays|these days|the other day|back then|at that time|earlier (?:this|that) "
    r"(?:week|month|year)|a while ago|long ago|ages ago|not long ago|some time ago|in the past|in the future|"
    r"when i was (?:a |an |young|little|small|in )|during (?:the|my|our) (?:holidays?|vacation|trip|childhood)|"
    r"over the (?:holidays?|summer|winter|weekend)|last time|next time|the first time|soon|childhood)\b",
    re.IGNORECASE,
)
_ZH = re.compile(
    r"最近|近来|近期|前阵子|前段时间|那时候?|当时|以前|之前|从前|过去|后来|刚才|不久前|将来|以后|小时候|上次|下次|这段时间"
)


def has_vague_time(text: str) -> bool:
    return bool(_EN.search(text) or _ZH.search(text))
