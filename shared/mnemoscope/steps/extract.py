"""Consolidation steps before the first model call, and call 1 itself: turn selection and fact extraction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.prompts.extraction import ExtractionResult, Fact, PromptTurn, extraction_messages
from mnemoscope.prompts.language import Language
from mnemoscope.prompts.markers import strip_recalled_memories

KEPT_SCORES = frozenset({2, 3})
MAX_KEYWORDS = 8


@dataclass(frozen=True)
class CandidateFact:
    """A fact worth remembering, before it is compared with existing memories."""

    message_id: str
    fact_index: int
    content: str
    keywords: tuple[str, ...]
    said_at: datetime
    event_time: TimeRange | None


def prepare_turns(pending: Sequence[LoggedMessage], tz: tzinfo) -> list[PromptTurn]:
    """Turns to show the model: no system turns, recalled-memory blocks removed, times in the scope's zone."""
    turns: list[PromptTurn] = []
    for logged in pending:
        message = logged.message
        if message.role == "system":  # instructions are never facts about the user
            continue
        content = strip_recalled_memories(message.content)
        if content:
            role: Literal["user", "assistant"] = "user" if message.role == "user" else "assistant"
            turns.append(PromptTurn(message.id, role, content, message.created_at.astimezone(tz)))
    return turns


def user_turn_ids(turns: Sequence[PromptTurn]) -> list[str]:
    return [t.message_id for t in turns if t.role == "user"]


def extract_facts(model: ChatModel, turns: Sequence[PromptTurn], language: Language) -> list[CandidateFact]:
    """Call 1: score the user turns and return the facts of turns scored 2 or 3."""
    response_model = ExtractionResult.for_messages(user_turn_ids(turns))
    result = model.generate(extraction_messages(turns, language), response_model)
    return candidate_facts(result, turns)


def candidate_facts(result: ExtractionResult, turns: Sequence[PromptTurn]) -> list[CandidateFact]:
    """Kept facts in answer order, numbered per message (the number is part of the memory id)."""
    said_at = {t.message_id: t.said_at for t in turns if t.role == "user"}
    next_index: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    facts: list[CandidateFact] = []
    for entry in result.turns:
        if entry.score not in KEPT_SCORES:
            continue
        for fact in entry.facts:
            content = " ".join(fact.content.split())
            if not content or (entry.message_id, content) in seen:
                continue
            seen.add((entry.message_id, content))
            index = next_index.get(entry.message_id, 0)
            next_index[entry.message_id] = index + 1
            when = said_at[entry.message_id]
            facts.append(CandidateFact(entry.message_id, index, content, _keywords(fact), when, event_time(fact, when)))
    return facts


def _keywords(fact: Fact) -> tuple[str, ...]:
    cleaned = (" ".join(k.split()) for k in fact.keywords)
    return tuple(dict.fromkeys(k for k in cleaned if k))[:MAX_KEYWORDS]


def event_time(fact: Fact, said_at: datetime) -> TimeRange | None:
    """The fact's time range, or None when the model gave none or an impossible one (the fact is kept)."""
    if fact.event_start is None:
        return None
    zone = said_at.tzinfo
    start = fact.event_start if fact.event_start.tzinfo else fact.event_start.replace(tzinfo=zone)
    # A lone start ("on 2024-08-05") means that day.
    end = fact.event_end or start + timedelta(days=1)
    end = end if end.tzinfo else end.replace(tzinfo=zone)
    if end <= start:
        return None
    return TimeRange(start=start, end=end, recurrence=fact.recurrence)
