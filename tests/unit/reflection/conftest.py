"""Fixtures for reflection tests: real SQLite adapters on tmp_path, the consolidation tests' hashing embedder,
a fixed clock, and builders for stored observations/insights and for scripted answers that read their labels
from the prompt (labels depend on ordering, so tests never hard-code them)."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.ports.memory_index import ANY, IndexEntry
from mnemoscope.prompts.language import detect_language
from mnemoscope.prompts.reflection import render_insight
from mnemoscope.services.reflection import ReflectionService
from mnemoscope.workers.reflect_subjects import insight_id_for
from tests.fakes.clock import FixedClock
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.unit.consolidation.conftest import DIM, TokenHashEmbedder

NOW = datetime(2024, 8, 10, 4, 0, tzinfo=UTC)  # Saturday noon in Shanghai


def day(d: int, month: int = 8) -> datetime:
    """07:00 UTC (15:00 in Shanghai) on 2024-<month>-<d>."""
    return datetime(2024, month, d, 7, 0, tzinfo=UTC)


@dataclass
class World:
    scope: Scope
    chat_log: SqliteChatLog
    index: SqliteMemoryIndex
    embedder: TokenHashEmbedder
    clock: FixedClock
    tz: tzinfo

    def service(self, model: ScriptedChatModel | None, **kwargs: Any) -> ReflectionService:
        kwargs.setdefault("insight_min_similarity", 0.4)
        kwargs.setdefault("min_similarity", 0.75)
        kwargs.setdefault("timezone", self.tz)
        return ReflectionService(self.chat_log, self.index, self.embedder, model, self.clock, **kwargs)

    def observe(self, content: str, at: datetime, *, source: str | None = None, **flags: bool) -> MemoryNode:
        """Store an observation as consolidation would (with its vector); flags e.g. reflected=True."""
        memory_id = f"obs-{len(self.memories()) + 1}"
        node = MemoryNode(
            id=memory_id,
            scope=self.scope,
            type="observation",
            content=content,
            created_at=at,
            updated_at=at,
            source_message_ids=(source or f"m-{memory_id}",),
            **flags,
        )
        self.index.upsert([IndexEntry(node=node, vector=tuple(self.embedder.embed_documents([content])[0]))])
        self.chat_log.advance_watermark(self.scope, len(self.memories()), new_observations=1, at=at)
        return node

    def insight(self, subject: str, value: str, at: datetime, sources: Sequence[str] = ()) -> MemoryNode:
        """Store an insight as an earlier reflection run would have."""
        content = render_insight(subject, value, detect_language([subject]))
        node = MemoryNode(
            id=insight_id_for(self.scope, subject),
            scope=self.scope,
            type="insight",
            key=subject,
            value=value,
            content=content,
            created_at=at,
            updated_at=at,
            source_memory_ids=tuple(sources),
        )
        self.index.upsert([IndexEntry(node=node, vector=tuple(self.embedder.embed_documents([content])[0]))])
        return node

    def memories(self) -> list[MemoryNode]:
        return list(self.index.list(self.scope, ANY, limit=500).items)

    def get(self, memory_id: str) -> MemoryNode:
        node = self.index.get(self.scope, memory_id)
        assert node is not None
        return node

    def insights(self) -> dict[str, MemoryNode]:
        return {m.key or "": m for m in self.memories() if m.type == "insight"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    db = SqliteDatabase(tmp_path / "memory.db")
    return World(
        scope=Scope(tenant_id="t1", agent_id="assistant", user_id="alice"),
        chat_log=SqliteChatLog(db),
        index=SqliteMemoryIndex(db, DIM),
        embedder=TokenHashEmbedder(),
        clock=FixedClock(NOW),
        tz=ZoneInfo("Asia/Shanghai"),
    )


# -- scripted answers that look their labels up in the prompt -------------------------------------------------
Answer = Callable[[Sequence[ChatMessage]], str]


def label_of(messages: Sequence[ChatMessage], content: str) -> str:
    """The O-label the prompt gave the memory with this content."""
    match = re.search(rf"^(O\d+) \([^)]*\): {re.escape(content)}$", messages[-1].content, flags=re.MULTILINE)
    assert match, f"{content!r} is not in the prompt"
    return match.group(1)


def insight_label(messages: Sequence[ChatMessage], subject: str) -> str:
    match = re.search(rf"^(I\d+) \[{re.escape(subject)}\]", messages[-1].content, flags=re.MULTILINE)
    assert match, f"insight {subject!r} is not in the prompt"
    return match.group(1)


def subjects(*proposals: tuple[str, Sequence[str]]) -> Answer:
    """A discovery answer: (subject, contents of the observations it cites)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        items = [{"subject": s, "observations": [label_of(messages, c) for c in cited]} for s, cited in proposals]
        return as_json({"subjects": items})

    return answer


def updates(*items: tuple[str, str, str | None, Sequence[str]]) -> Answer:
    """An update answer: (subject, status, value, contents of the cited observations)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        out = [
            {
                "insight": insight_label(messages, subject),
                "status": status,
                "value": value,
                "observations": [label_of(messages, c) for c in cited],
            }
            for subject, status, value, cited in items
        ]
        return as_json({"updates": out})

    return answer


def pairs(*items: tuple[str, str, str]) -> Answer:
    """A re-consolidation answer: (newer content, older content, relation)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        out = [
            {"newer": label_of(messages, newer), "older": label_of(messages, older), "relation": relation}
            for newer, older, relation in items
        ]
        return as_json({"pairs": out})

    return answer
