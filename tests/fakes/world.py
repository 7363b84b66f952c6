"""One scope on the real SQLite adapters, with the test embedder and a fixed clock, for service-level tests of
consolidation and reflection: builds the services and seeds turns, observations and insights."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import ANY, IndexEntry
from mnemoscope.prompts.language import detect_language
from mnemoscope.prompts.reflection import render_insight
from mnemoscope.services.consolidation import ConsolidationService
from mnemoscope.services.reflection import ReflectionService
from mnemoscope.steps.reflect_subjects import insight_id_for
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.scripted_chat_model import ScriptedChatModel


@dataclass
class World:
    scope: Scope
    chat_log: SqliteChatLog
    index: SqliteMemoryIndex
    embedder: HashEmbedder
    clock: FixedClock
    tz: tzinfo
    first_turn_at: datetime

    @classmethod
    def on_sqlite(cls, folder: Path, now: datetime, first_turn_at: datetime | None = None) -> "World":
        db = SqliteDatabase(folder / "memory.db")
        embedder = HashEmbedder()
        return cls(
            scope=Scope(tenant_id="t1", agent_id="assistant", user_id="alice"),
            chat_log=SqliteChatLog(db),
            index=SqliteMemoryIndex(db, embedder.dimension),
            embedder=embedder,
            clock=FixedClock(now),
            tz=ZoneInfo("Asia/Shanghai"),
            first_turn_at=first_turn_at or now,
        )

    # -- services ---------------------------------------------------------------------------------------------
    def consolidation(self, model: ScriptedChatModel | None, **kwargs: Any) -> ConsolidationService:
        kwargs.setdefault("min_similarity", 0.5)
        kwargs.setdefault("timezone", self.tz)
        return ConsolidationService(self.chat_log, self.index, self.embedder, model, self.clock, **kwargs)

    def consolidation_zh(self, model: ScriptedChatModel | None, **kwargs: Any) -> ConsolidationService:
        # Hashed CJK bigrams overlap less than English words: a lower neighbour threshold finds the same pairs.
        return self.consolidation(model, **{"min_similarity": 0.35, **kwargs})

    def reflection(self, model: ScriptedChatModel | None, **kwargs: Any) -> ReflectionService:
        kwargs.setdefault("insight_min_similarity", 0.4)
        kwargs.setdefault("min_similarity", 0.75)
        kwargs.setdefault("timezone", self.tz)
        return ReflectionService(self.chat_log, self.index, self.embedder, model, self.clock, **kwargs)

    # -- seeding ----------------------------------------------------------------------------------------------
    def say(self, *turns: tuple[str, str, str], start: datetime | None = None) -> None:
        """Append (id, role, content) turns one minute apart from `start` (default: `first_turn_at`)."""
        start = start or self.first_turn_at
        messages = [
            Message(id=mid, role=role, content=content, created_at=start + timedelta(minutes=i))
            for i, (mid, role, content) in enumerate(turns)
        ]
        self.chat_log.append(self.scope, messages)

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
        self._store(node)
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
        self._store(node)
        return node

    def _store(self, node: MemoryNode) -> None:
        self.index.upsert([IndexEntry(node=node, vector=tuple(self.embedder.embed_documents([node.content])[0]))])

    # -- reading ----------------------------------------------------------------------------------------------
    def memories(self) -> list[MemoryNode]:
        return list(self.index.list(self.scope, ANY, limit=500).items)

    def valid(self) -> list[MemoryNode]:
        return [m for m in self.memories() if m.status == "valid"]

    def get(self, memory_id: str) -> MemoryNode:
        node = self.index.get(self.scope, memory_id)
        assert node is not None
        return node

    def insights(self) -> dict[str, MemoryNode]:
        return {m.key or "": m for m in self.memories() if m.type == "insight"}
