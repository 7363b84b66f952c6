"""Call 3 of reflection: long-term re-consolidation. Each pair is a newer observation and an older, similar one,
possibly said on different days; the model says whether the newer contradicts or repeats the older."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, Self, cast

from pydantic import BaseModel, Field, model_validator

from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.prompts.common import clip, day
from mnemoscope.prompts.language import Language

Relation = Literal["contradicts", "repeats", "unrelated"]
MAX_ITEM_CHARS = 400


@dataclass(frozen=True)
class MemoryItem:
    """An observation as the prompt shows it; `said_at` is already in the scope's timezone."""

    label: str
    content: str
    said_at: datetime


@dataclass(frozen=True)
class PairQuestion:
    """A newer observation and the labels of the older, similar ones to compare it with."""

    newer: str
    older: tuple[str, ...]


class PairDecision(BaseModel):
    newer: str = Field(description="Label of the newer memory of the pair, e.g. O4.")
    older: str = Field(description="Label of the older memory listed with it, e.g. O1.")
    relation: Relation = Field(
        description="contradicts: both cannot be true now, or the newer replaces the older with an update (the "
        "newer wins); repeats: the newer says nothing the older does not already say; unrelated: anything else."
    )


class ReconsolidationResult(BaseModel):
    """Decisions for the pairs that contradict or repeat; pairs left out are unrelated."""

    # Sent to the model as the JSON schema. Validate with `for_questions(...)`: only listed pairs are accepted.
    allowed: ClassVar[frozenset[tuple[str, str]] | None] = None

    pairs: list[PairDecision] = Field(default_factory=list, description="One entry per related pair listed.")

    @model_validator(mode="after")
    def _listed_pairs(self) -> Self:
        if self.allowed is None:
            return self
        seen: set[tuple[str, str]] = set()
        for item in self.pairs:
            pair = (item.newer, item.older)
            if pair not in self.allowed or pair in seen:
                raise ValueError(f"pair {item.newer} -> {item.older} is not listed, or is answered twice")
            seen.add(pair)
        return self

    @classmethod
    def for_questions(cls, questions: Sequence[PairQuestion]) -> type[Self]:
        allowed = frozenset((q.newer, older) for q in questions for older in q.older)
        return cast(type[Self], type(cls.__name__, (cls,), {"allowed": allowed, "__module__": cls.__module__}))


_SYSTEM = {
    "en": """You keep the long-term memory about "the user" consistent across days. Below are memories (O...), \
each with the date it was said, then pairs to check: a newer memory and older similar ones.
For each pair decide:
- "contradicts": both cannot be true now: the situation changed or the user corrected it (another employer, city \
or partner; a reversed preference), or the newer one updates the older. The newer wins.
- "repeats": the newer says nothing that the older does not already say (other words are fine).
- "unrelated": anything else, including facts that can both be true (liking apples and liking pears; two \
different trips; a former job stated as former).
Leave out unrelated pairs. Use only the listed pairs.
Example answer: {"pairs":[{"newer":"O4","older":"O1","relation":"contradicts"}]}""",
    "zh": """你负责让关于"用户"的长期记忆在不同日子之间保持一致。下面先列出记忆（O...），每条带说出的日期，\
然后是要检查的配对：一条较新的记忆和几条与它相似的较旧记忆。
对每个配对判断：
- "contradicts"：两者现在不能同时成立：情况变了或用户更正了（换了工作单位、城市或伴侣；喜好反转），或较新的\
是对较旧的更新。较新的为准。
- "repeats"：较新的没有说出较旧的所没有的内容（措辞不同也算）。
- "unrelated"：其他情况，包括可以同时成立的事实（喜欢苹果和喜欢梨；两次不同的出行；明确说是以前的工作）。
不相关的配对不用列出。只能使用列出的配对。
示例答案：{"pairs":[{"newer":"O4","older":"O1","relation":"contradicts"}]}""",
}

_TEXT = {
    "en": ("Memories, oldest first:", "said", "Pairs to check (newer -> older):"),
    "zh": ("记忆，按时间先后：", "说于", "要检查的配对（较新 -> 较旧）："),
}


def reconsolidation_messages(
    memories: Sequence[MemoryItem], questions: Sequence[PairQuestion], language: Language
) -> list[ChatMessage]:
    """The re-consolidation prompt: every memory once, then the pairs as label lists."""
    heading, said, pairs = _TEXT[language]
    lines = [heading]
    lines += [f"{m.label} ({said} {day(m.said_at, language)}): {clip(m.content, MAX_ITEM_CHARS)}" for m in memories]
    lines += ["", pairs, *(f"{q.newer} -> {', '.join(q.older)}" for q in questions)]
    return [ChatMessage(role="system", content=_SYSTEM[language]), ChatMessage(role="user", content="\n".join(lines))]
