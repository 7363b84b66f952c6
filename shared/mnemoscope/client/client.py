"""MemoryClient: typed methods for every endpoint, clear exceptions, timeouts and retries on 503."""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import httpx

from mnemoscope.client.errors import ConnectionFailed, error_for
from mnemoscope.client.protocol import every_memory
from mnemoscope.contracts.api import (
    AppendMessagesResponse,
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

DEFAULT_URL = "http://127.0.0.1:8000"


class MemoryClient:
    """Talks to `mnemoscope serve` or the API Gateway stage URL. Thread-safe; reuse one per process."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        agent_id: str = "default",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"x-api-key": api_key} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.agent_id = agent_id
        self._retries = retries
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "MemoryClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints -------------------------------------------------------------------------------
    def health(self) -> HealthResponse:
        return HealthResponse.model_validate(self._request("GET", "/v1/health"))

    def add_messages(self, user_id: str, messages: list[dict[str, Any]], agent_id: str | None = None) -> list[str]:
        """Append turns ({role, content, id?, name?, created_at?}); returns their ids."""
        body = {"user_id": user_id, "agent_id": agent_id or self.agent_id, "messages": messages}
        return AppendMessagesResponse.model_validate(self._request("POST", "/v1/messages", body)).message_ids

    def list_messages(
        self, user_id: str, *, agent_id: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> TurnListResponse:
        """The user's chat turns, newest first, each with its consolidation state (pending, consolidated, or
        quarantined with the reason)."""
        params = {"user_id": user_id, "agent_id": agent_id or self.agent_id, "limit": limit, "cursor": cursor}
        return TurnListResponse.model_validate(self._request("GET", "/v1/messages", params=params))

    def retry_quarantined(
        self, user_id: str, message_ids: list[str] | None = None, agent_id: str | None = None
    ) -> RetryAccepted:
        """Put quarantined turns (all, or these) back into consolidation; a consolidation job is queued."""
        body: dict[str, Any] = {"user_id": user_id, "agent_id": agent_id or self.agent_id}
        if message_ids is not None:
            body["message_ids"] = message_ids
        return RetryAccepted.model_validate(self._request("POST", "/v1/messages/retry", body))

    def add_memory(
        self, user_id: str, content: str, agent_id: str | None = None, *, created_at: datetime | None = None
    ) -> MemoryOut:
        body: dict[str, Any] = {"user_id": user_id, "agent_id": agent_id or self.agent_id, "content": content}
        if created_at is not None:
            body["created_at"] = created_at.isoformat()
        return MemoryResponse.model_validate(self._request("POST", "/v1/memories", body)).memory

    def list_memories(
        self,
        user_id: str,
        *,
        agent_id: str | None = None,
        type: Literal["observation", "custom", "insight"] | None = None,
        status: Literal["valid", "expired"] | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> MemoryListResponse:
        params = {
            "user_id": user_id,
            "agent_id": agent_id or self.agent_id,
            "limit": limit,
            "type": type,
            "status": status,
            "cursor": cursor,
        }
        return MemoryListResponse.model_validate(self._request("GET", "/v1/memories", params=params))

    def all_memories(self, user_id: str, **filters: Any) -> list[MemoryOut]:
        """Every memory matching the filters, following cursors."""
        return every_memory(self, user_id, **filters)

    def get_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> MemoryResponse:
        params = {"user_id": user_id, "agent_id": agent_id or self.agent_id}
        return MemoryResponse.model_validate(self._request("GET", f"/v1/memories/{memory_id}", params=params))

    def delete_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> None:
        params = {"user_id": user_id, "agent_id": agent_id or self.agent_id}
        self._request("DELETE", f"/v1/memories/{memory_id}", params=params)

    def forget_user(self, user_id: str, agent_id: str | None = None) -> None:
        self._request("DELETE", f"/v1/users/{user_id}", params={"agent_id": agent_id or self.agent_id})

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
    ) -> SearchResponse:
        body = {
            "user_id": user_id,
            "agent_id": agent_id or self.agent_id,
            "query": query,
            "top_k": top_k,
            "at": at.isoformat() if at else None,
            "timezone": timezone,
            **options,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return SearchResponse.model_validate(self._request("POST", "/v1/memories/search", body))

    def consolidate(self, user_id: str, agent_id: str | None = None) -> JobAccepted:
        body = {"user_id": user_id, "agent_id": agent_id or self.agent_id}
        return JobAccepted.model_validate(self._request("POST", "/v1/consolidate", body))

    def reflect(self, user_id: str, agent_id: str | None = None) -> JobAccepted:
        body = {"user_id": user_id, "agent_id": agent_id or self.agent_id}
        return JobAccepted.model_validate(self._request("POST", "/v1/reflect", body))

    def chat(
        self,
        user_id: str,
        message: str,
        *,
        agent_id: str | None = None,
        system_prompt: str | None = None,
        history: Literal["auto", "none"] | int = "auto",
        timezone: str | None = None,
    ) -> ChatResponse:
        body = {
            "user_id": user_id,
            "agent_id": agent_id or self.agent_id,
            "message": message,
            "system_prompt": system_prompt,
            "history": history,
            "timezone": timezone,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return ChatResponse.model_validate(self._request("POST", "/v1/chat", body))

    def export(self, user_id: str, agent_id: str | None = None) -> Iterator[str]:
        """The scope's export file (docs/export-format.md), line by line as the server sends it (`serve` streams;
        the api function answers up to ~5 MB at once).

        Raises:
            MemoryClientError: at once, when the server refuses the export; a file cut off in transit lacks its
                end line (and an import refuses it).
        """
        params = {"agent_id": agent_id or self.agent_id}
        request = self._http.build_request("GET", f"/v1/users/{user_id}/export", params=params)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise ConnectionFailed(f"cannot reach {self.base_url} ({type(error).__name__})") from error
        if response.status_code >= 400:
            response.read()
            response.close()
            raise error_for(response.status_code, response.json() if response.content else None)
        return _lines(response)

    def import_file(self, user_id: str, jsonl: str, agent_id: str | None = None) -> ImportResponse:
        """Load an export file into this scope; importing it again stores nothing new. Over HTTP a request carries
        at most 1 MB (`mnemoscope import` splits a bigger file)."""
        body = {"user_id": user_id, "agent_id": agent_id or self.agent_id, "jsonl": jsonl}
        return ImportResponse.model_validate(self._request("POST", "/v1/import", body))

    # -- transport -------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, path, json=body, params=query)
            except httpx.TransportError as error:
                raise ConnectionFailed(
                    f"cannot reach {self.base_url}: is `mnemoscope serve` running? ({type(error).__name__})"
                ) from error
            if response.status_code == 503 and attempt < self._retries:
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0))
                continue
            payload = response.json() if response.content else None
            if response.status_code >= 400:
                raise error_for(response.status_code, payload)
            return payload
        raise AssertionError("unreachable")  # pragma: no cover


def _lines(response: httpx.Response) -> Iterator[str]:
    try:
        for line in response.iter_lines():
            yield line + "\n"
    finally:
        response.close()
