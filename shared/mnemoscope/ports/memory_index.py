"""MemoryIndex port: stores memories with their vectors; vector and keyword search inside one scope."""

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from mnemoscope.domain.memory import MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.scope import Scope


class MemoryFilter(BaseModel):
    """Filters applied inside the index. None means 'any'."""

    model_config = ConfigDict(frozen=True)

    types: frozenset[MemoryType] | None = None
    statuses: frozenset[MemoryStatus] | None = frozenset({"valid"})
    reflected: bool | None = None
    reconsolidated: bool | None = None


ANY = MemoryFilter(statuses=None)
VALID = MemoryFilter()


class IndexEntry(BaseModel):
    """A memory to write. `vector=None` keeps the stored vector (the memory must already exist)."""

    model_config = ConfigDict(frozen=True)

    node: MemoryNode
    vector: tuple[float, ...] | None = None


class ScoredMemory(BaseModel):
    model_config = ConfigDict(frozen=True)

    node: MemoryNode
    score: float


class HybridHits(BaseModel):
    """The two candidate lists of one search, each best first, as vector_search and keyword_search answer them."""

    model_config = ConfigDict(frozen=True)

    vector: list[ScoredMemory]
    keyword: list[ScoredMemory]


class MemoryPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: tuple[MemoryNode, ...]
    next_cursor: str | None = None


class MemoryIndex(Protocol):
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace memories by id (deterministic ids make retries idempotent)."""
        ...

    def get(self, scope: Scope, memory_id: str) -> MemoryNode | None:
        """The memory if it exists *in this scope*."""
        ...

    def get_many(self, scope: Scope, memory_ids: Sequence[str]) -> list[MemoryNode]: ...

    def vector_search(
        self, scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter = VALID
    ) -> list[ScoredMemory]:
        """Nearest memories by cosine similarity (score in [-1, 1], best first)."""
        ...

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> list[ScoredMemory]:
        """Best keyword (BM25-like) matches, best first; scores are positive and only comparable within a call."""
        ...

    def hybrid_search(
        self, scope: Scope, vector: Sequence[float], text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> HybridHits:
        """Both searches of a hybrid query: the same lists as the two calls, but an index may run the halves
        concurrently and read each memory once (the retrieval hot path)."""
        ...

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        """Memories newest first (created_at, then id), paged by an opaque cursor."""
        ...

    def delete(self, scope: Scope, memory_id: str) -> bool:
        """Delete one memory; False when it does not exist in this scope."""
        ...

    def delete_scope(self, scope: Scope) -> int:
        """Delete every memory of the scope; returns how many."""
        ...


@runtime_checkable
class RebuildableSearch(Protocol):
    """A MemoryIndex whose search side is a projection of its records (the aws backend) and can be rebuilt."""

    def rebuild_search(self, *, recreate: bool = False) -> dict[str, Any]:
        """Rewrite the search projection from the records; returns counts for the log."""
        ...
