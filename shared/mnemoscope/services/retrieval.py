"""Retrieval: find the memories relevant to a message (plain vector search; the hybrid version replaces it)."""

from dataclasses import dataclass

from mnemoscope.domain.memory import MemoryType
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex, ScoredMemory


@dataclass(frozen=True)
class SearchResult:
    memories: list[ScoredMemory]
    recent: list[LoggedMessage]


class RetrievalService:
    def __init__(
        self, memory_index: MemoryIndex, chat_log: ChatLog, embedder: Embedder, clock: Clock, recent_turns: int = 10
    ) -> None:
        self._index = memory_index
        self._chat_log = chat_log
        self._embedder = embedder
        self._clock = clock
        self._recent_turns = recent_turns

    def search(
        self,
        scope: Scope,
        query: str,
        top_k: int = 20,
        types: list[MemoryType] | None = None,
        include_expired: bool = False,
        include_recent: bool = True,
    ) -> SearchResult:
        memory_filter = MemoryFilter(
            types=frozenset(types) if types else None,
            statuses=None if include_expired else frozenset({"valid"}),
        )
        vector = self._embedder.embed_query(query)
        hits = self._index.vector_search(scope, vector, top_k, memory_filter)
        recent = self._chat_log.pending(scope)[-self._recent_turns :] if include_recent and self._recent_turns else []
        return SearchResult(memories=hits, recent=recent)
