"""Fixtures for consolidation tests: real SQLite adapters on tmp_path, a hashing embedder, a fixed clock."""

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.adapters.local.text_terms import terms
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.ports.memory_index import ANY
from mnemoscope.services.consolidation import ConsolidationService
from tests.fakes.clock import FixedClock
from tests.fakes.scripted_chat_model import ScriptedChatModel

DIM = 64
# Friday 2024-08-02, 15:00 in Shanghai (07:00 UTC): the notebook scenario's "next week" is 2024-08-05..12.
FRIDAY = datetime(2024, 8, 2, 7, 0, tzinfo=UTC)


class TokenHashEmbedder:
    """Deterministic bag-of-terms vectors (CJK as characters + bigrams), normalised, 64 dimensions."""

    model_id = "test:token-hash-64"
    dimension = DIM

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    @staticmethod
    def _embed(text: str) -> list[float]:
        vector = [0.0] * DIM
        for term in terms(text):
            digest = hashlib.sha256(term.encode()).digest()
            vector[digest[0] % DIM] += 1.0 if digest[1] % 2 else -1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


@dataclass
class World:
    """The real adapters and a service factory; `say` appends turns to the log."""

    scope: Scope
    chat_log: SqliteChatLog
    index: SqliteMemoryIndex
    embedder: TokenHashEmbedder
    clock: FixedClock
    tz: Any

    def service(self, model: ScriptedChatModel | None, **kwargs: Any) -> ConsolidationService:
        kwargs.setdefault("min_similarity", 0.5)
        kwargs.setdefault("timezone", self.tz)
        return ConsolidationService(self.chat_log, self.index, self.embedder, model, self.clock, **kwargs)

    def service_zh(self, model: ScriptedChatModel | None, **kwargs: Any) -> ConsolidationService:
        return self.service(model, **{"min_similarity": 0.35, **kwargs})

    def say(self, *turns: tuple[str, str, str], start: datetime = FRIDAY) -> None:
        """Append (id, role, content) turns one minute apart from `start`."""
        messages = [
            Message(id=mid, role=role, content=content, created_at=start + timedelta(minutes=i))
            for i, (mid, role, content) in enumerate(turns)
        ]
        self.chat_log.append(self.scope, messages)

    def memories(self) -> list[MemoryNode]:
        return list(self.index.list(self.scope, ANY, limit=200).items)

    def valid(self) -> list[MemoryNode]:
        return [m for m in self.memories() if m.status == "valid"]


@pytest.fixture
def world(tmp_path: Path) -> World:
    from zoneinfo import ZoneInfo

    db = SqliteDatabase(tmp_path / "memory.db")
    embedder = TokenHashEmbedder()
    return World(
        scope=Scope(tenant_id="t1", agent_id="assistant", user_id="alice"),
        chat_log=SqliteChatLog(db),
        index=SqliteMemoryIndex(db, DIM),
        embedder=embedder,
        clock=FixedClock(datetime(2024, 8, 2, 12, 0, tzinfo=UTC)),
        tz=ZoneInfo("Asia/Shanghai"),
    )


def extraction(*turns: tuple[str, int, list[dict[str, Any]]]) -> dict[str, Any]:
    """An extraction answer: (message_id, score, facts)."""
    return {"turns": [{"message_id": mid, "score": score, "facts": facts} for mid, score, facts in turns]}


def fact(content: str, *keywords: str, **times: Any) -> dict[str, Any]:
    return {"content": content, "keywords": list(keywords), **times}


def decisions(*items: tuple[str, str, str | None]) -> dict[str, Any]:
    return {"decisions": [{"fact": f, "decision": d, "target": t} for f, d, t in items]}


def all_new(messages: Sequence[ChatMessage]) -> str:
    """A reconcile answer that calls every listed new fact 'new' (whatever the neighbour search found)."""
    labels = re.findall(r"^(F\d+) \(", messages[-1].content, flags=re.MULTILINE)
    return json.dumps(decisions(*((label, "new", None) for label in labels)))
