"""What the whole sentence says about time: is it a question about the past, is it about the future, and which
parts of it are titles (《百年孤独》) rather than references."""

import re
from typing import Literal

Mode = Literal["past", "future"] | None

_EN_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:when|what|where|who|whom|which|why|how|did|do|does|was|were|have|has|had|is|are|can|could)\b",
    re.IGNORECASE,
)
_EN_FUTURE = re.compile(
    r"\b(?:will|won't|going\s+to|gonna|plan(?:s|ned|ning)?\s+to|planning|shall|upcoming|intend(?:s|ing)?\s+to)\b|'ll\b",
    re.IGNORECASE,
)
_ZH_QUESTION = re.compile(r"[?？]\s*$|吗|什么|哪|几时|多少|怎么|是否|有没有")
_ZH_FUTURE = re.compile(r"将要|将会|打算|准备|计划|即将|快要|要去|会去|以后|下次")
_TITLE = re.compile(r"《[^》]*》")


def mode(text: str, lang: str) -> Mode:
    """ "future" for a sentence about the future, "past" for any other question, None for a plain statement."""
    future, question = (_ZH_FUTURE, _ZH_QUESTION) if lang == "zh" else (_EN_FUTURE, _EN_QUESTION)
    if future.search(text):
        return "future"
    return "past" if question.search(text) else None


def mask_titles(text: str) -> str:
    """Blank out 《book and film titles》 so that 《明年今日》 is not next year; positions stay the same."""
    return _TITLE.sub(lambda match: " " * len(match[0]), text)
