"""Memory admin: add a custom memory, list, get, delete, forget a user."""

from datetime import datetime
from typing import Any

from mnemoscope.domain.errors import InvalidMemoryRequest, MemoryNotFound
from mnemoscope.domain.ids import new_id
from mnemoscope.domain.memory import MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import IndexEntry, MemoryFilter, MemoryIndex, MemoryPage, RebuildableSearch
from mnemoscope.services.lineage import Lineage, lineage_of


class MemoryAdminService:
    def __init__(self, memory_index: MemoryIndex, chat_log: ChatLog, embedder: Embedder, clock: Clock) -> None:
        self._index = memory_index
        self._chat_log = chat_log
        self._embedder = embedder
        self._clock = clock

    def add_custom(self, scope: Scope, content: str, created_at: datetime | None = None) -> MemoryNode:
        """Store a user-authored memory verbatim (MemoryScope's obs_customized), dated `created_at` if given."""
        now = created_at or self._clock.now()
        node = MemoryNode(id=new_id("cus"), scope=scope, type="custom", content=content, created_at=now, updated_at=now)
        vector = self._embedder.embed_documents([content])[0]
        self._index.upsert([IndexEntry(node=node, vector=tuple(vector))])
        return node

    def list(
        self,
        scope: Scope,
        memory_type: MemoryType | None = None,
        status: MemoryStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> MemoryPage:
        memory_filter = MemoryFilter(
            types=frozenset({memory_type}) if memory_type else None,
            statuses=frozenset({status}) if status else None,
        )
        return self._index.list(scope, memory_filter, limit=limit, cursor=cursor)

    def get(self, scope: Scope, memory_id: str) -> MemoryNode:
        """Raises: MemoryNotFound when the id does not exist in this scope."""
        node = self._index.get(scope, memory_id)
        if node is None:
            raise MemoryNotFound(memory_id)
        return node

    def delete(self, scope: Scope, memory_id: str) -> None:
        """Raises: MemoryNotFound when the id does not exist in this scope."""
        if not self._index.delete(scope, memory_id):
            raise MemoryNotFound(memory_id)

    def forget(self, scope: Scope) -> None:
        """Delete everything about the scope: memories (all types) and the chat log."""
        self._index.delete_scope(scope)
        self._chat_log.delete_scope(scope)

    def lineage(self, scope: Scope, node: MemoryNode) -> Lineage:
        """The turns or memories `node` came from and what superseded it (sources deleted since are absent)."""
        return lineage_of(node, scope, self._index, self._chat_log)

    def rebuild_search(self, *, recreate: bool = False) -> dict[str, Any]:
        """Rebuild the search projection from the memory records (aws backend only).

        Raises:
            InvalidMemoryRequest: this backend keeps search and records in one store (nothing to rebuild).
        """
        if not isinstance(self._index, RebuildableSearch):
            raise InvalidMemoryRequest("reindex needs the aws backend (records + search projection)", field="action")
        return self._index.rebuild_search(recreate=recreate)
