"""Call 2 of consolidation (only when neighbours exist): is each new fact new, a repeat, a contradiction or a
refinement of a similar memory? Items carry short labels (F1, M1) instead of ids: fewer tokens, fewer copy errors."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, Self, cast

from pydantic import BaseModel, Field, model_validator

from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.prompts.common import clip, day
from mnemoscope.prompts.language import Language

Decision = Literal["new", "repeat", "contradicts", "refines"]
MAX_ITEM_CHARS = 400


@dataclass(frozen=True)
class ReconcileItem:
    """A fact or memory as the prompt shows it."""

    label: str
    content: str
    said_at: datetime
    event_time: TimeRange | None = None


@dataclass(frozen=True)
class ReconcileQuestion:
    """A new fact and the similar items it must be compared with."""

    fact: ReconcileItem
    candidates: tuple[ReconcileItem, ...]


class FactDecision(BaseModel):
    fact: str = Field(description="Label of the new fact, e.g. F2.")
    decision: Decision = Field(
        description="new: none of the listed items says this; repeat: a listed item already says it; contradicts: "
        "it cannot be true together with a listed item (the newer wins); refines: it updates or makes a listed "
        "item more precise and replaces it."
    )
    target: str | None = Field(
        default=None, description="Label of the listed item it repeats, contradicts or refines; null for new."
    )


class ReconcileResult(BaseModel):
    """A decision for each new fact listed."""

    # Sent to the model as the JSON schema. Validate with `for_questions(...)`: only the labels listed under each
    # fact are accepted as its target.

    allowed: ClassVar[Mapping[str, frozenset[str]] | None] = None

    decisions: list[FactDecision] = Field(description="One decision per new fact listed.")

    @model_validator(mode="after")
    def _known_labels(self) -> Self:
        if self.allowed is None:
            return self
        seen: set[str] = set()
        for item in self.decisions:
            if item.fact not in self.allowed or item.fact in seen:
                raise ValueError(f"fact {item.fact!r} is not a listed new fact, or is decided twice")
            seen.add(item.fact)
            if item.decision == "new":
                continue
            if item.target not in self.allowed[item.fact]:
                shown = sorted(self.allowed[item.fact])
                raise ValueError(f"{item.fact}: target {item.target!r} is not among the items listed under it {shown}")
        return self

    @classmethod
    def for_questions(cls, questions: Sequence[ReconcileQuestion]) -> type["ReconcileResult"]:
        """A subclass that accepts only the shown fact labels and, per fact, its listed targets."""
        allowed = {q.fact.label: frozenset(c.label for c in q.candidates) for q in questions}
        return cast(
            type[ReconcileResult], type(cls.__name__, (cls,), {"allowed": allowed, "__module__": cls.__module__})
        )


_SYSTEM_EN = """You keep a long-term memory about "the user" consistent. New facts were just learned from the \
user's messages. Under each new fact (F...) are stored memories (M...) and earlier new facts that look similar.
Decide for each new fact:
- "repeat": a listed item already says the same (other words are fine). target = that item.
- "contradicts": it cannot be true at the same time as a listed item: the situation changed or the user corrected \
it (another employer or city, a relationship that ended, a reversed preference). The newer statement wins. \
target = the older item.
- "refines": it is about the same thing as a listed item and replaces it with a more precise or updated version. \
target = that item.
- "new": none of these. Facts that can coexist are new (liking apples and liking pears; two different trips).
Items show when they were said and, if known, the time they are about; a later statement is newer.
Use only labels listed under that fact. Answer in JSON: {"decisions":[{"fact":"F1","decision":"contradicts",\
"target":"M2"}]}"""

_SYSTEM_ZH = """你负责让关于"用户"的长期记忆保持一致。下面是刚从用户消息中得到的新事实（F...），每条下面列出看起来\
相似的已存记忆（M...）和本批更早的新事实。为每条新事实做出判断：
- "repeat"：所列某项已表达相同内容（措辞不同也算）。target = 该项。
- "contradicts"：与所列某项不能同时成立：情况变了或用户更正了（换了工作单位或城市、关系结束、喜好反转）。较新的说法\
为准。target = 较旧的那项。
- "refines"：与所列某项说的是同一件事，并用更准确或更新的说法取代它。target = 该项。
- "new"：以上都不是。可以同时成立的事实算 new（喜欢苹果和喜欢梨；两次不同的出行）。
每项标有说出的时间，以及（如已知）所涉及的时间；后说的更新。
只能使用该条新事实下列出的标签。用 JSON 回答：{"decisions":[{"fact":"F1","decision":"contradicts","target":"M2"}]}"""

_LABELS = {
    "en": ("New facts and similar items:", "said", "about", "every"),
    "zh": ("新事实及相似项：", "说于", "涉及", "每"),
}


def _describe(item: ReconcileItem, language: Language) -> str:
    _, said, about, every = _LABELS[language]
    text = f"{item.label} ({said} {day(item.said_at, language)}"
    if item.event_time is not None:
        start, end = item.event_time.start.date().isoformat(), item.event_time.end.date().isoformat()
        repeat = f", {every} {item.event_time.recurrence}" if item.event_time.recurrence else ""
        text += f"; {about} {start}..{end}{repeat}"
    return f"{text}): {clip(item.content, MAX_ITEM_CHARS)}"


def reconcile_messages(questions: Sequence[ReconcileQuestion], language: Language) -> list[ChatMessage]:
    """The reconcile prompt: each new fact with its numbered similar items."""
    lines = [_LABELS[language][0]]
    for question in questions:
        lines.append(_describe(question.fact, language))
        lines.extend(f"    {_describe(candidate, language)}" for candidate in question.candidates)
    system = _SYSTEM_ZH if language == "zh" else _SYSTEM_EN
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content="\n".join(lines))]
