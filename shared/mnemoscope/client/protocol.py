"""One interface, two implementations: `MemoryClient` (HTTP: `serve` or AWS) and `Memory.local()` (in process).
Code typed against `MemoryApi` moves between them by swapping the constructor; mypy checks that both fit."""

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mnemoscope.contracts.api import (
    ChatResponse,
    HealthResponse,
    JobAccepted,
    MemoryListResponse,
    MemoryOut,
    MemoryResponse,
    SearchResponse,
)
from mnemoscope.contracts.export import ImportResponse
from mnemoscope.contracts.messages import RetryAccepted, TurnListResponse


class MemoryApi(Protocol):
    """The memory service's operations. Failures raise `mnemoscope.client.MemoryClientError` subclasses."""

    def close(self) -> None: ...
    def health(self) -> HealthResponse: ...
    def add_messages(self, user_id: str, messages: list[dict[str, Any]], agent_id: str | None = None) -> list[str]: ...
    def list_messages(
        self, user_id: str, *, agent_id: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> TurnListResponse: ...
    def retry_quarantined(
        self, user_id: str, message_ids: list[str] | None = None, agent_id: str | None = None
    ) -> RetryAccepted: ...
    def add_memory(
        self, user_id: str, content: str, agent_id: str | None = None, *, created_at: datetime | None = None
    ) -> MemoryOut: ...
    def list_memories(
        self,
        user_id: str,
        *,
        agent_id: str | None = None,
        type: Literal["observation", "custom", "insight"] | None = None,
        status: Literal["valid", "expired"] | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> MemoryListResponse: ...
    def all_memories(self, user_id: str, **filters: Any) -> list[MemoryOut]: ...
    def get_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> MemoryResponse: ...
    def delete_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> None: ...
    def forget_user(self, user_id: str, agent_id: str | None = None) -> None: ...
    def search(
        self,
        user_id: str,
        query: str,
        *,
        agent_id: str | None = None,
        top_k: int = 20,
        at: datetime | None = None,
        timezone: str | None = None,
        **options: Any,
    ) -> SearchResponse: ...
    def consolidate(self, user_id: str, agent_id: str | None = None) -> JobAccepted: ...
    def reflect(self, user_id: str, agent_id: str | None = None) -> JobAccepted: ...
    def chat(
        self,
        user_id: str,
        message: str,
        *,
        agent_id: str | None = None,
        system_prompt: str | None = None,
        history: Literal["auto", "none"] | int = "auto",
        timezone: str | None = None,
    ) -> ChatResponse: ...
    def export(self, user_id: str, agent_id: str | None = None) -> Iterator[str]: ...
    def import_file(self, user_id: str, jsonl: str, agent_id: str | None = None) -> ImportResponse: ...


if TYPE_CHECKING:  # mypy's proof that both implementations fit the protocol (nothing runs)
    from mnemoscope.client.client import MemoryClient
    from mnemoscope.client.local import Memory

    def _both_fit(remote: MemoryClient, local: Memory) -> tuple[MemoryApi, MemoryApi]:
        return remote, local


def every_memory(api: MemoryApi, user_id: str, **filters: Any) -> list[MemoryOut]:
    """Every memory matching the filters, following cursors (`all_memories` of both implementations)."""
    out: list[MemoryOut] = []
    cursor = None
    while True:
        page = api.list_memories(user_id, limit=200, cursor=cursor, **filters)
        out.extend(page.memories)
        if not page.next_cursor:
            return out
        cursor = page.next_cursor
