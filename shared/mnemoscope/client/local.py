"""`Memory.local(path)`: the memory service in this process on the embedded default (SQLite + the local embedding
model + the in-process job queue), with `MemoryClient`'s methods, arguments, return types and exceptions
(`client/protocol.py`), so code moves to a server or AWS by swapping the constructor.

Requests are checked with the API's own request models (parsed from JSON, as the HTTP API parses them), answers
built by the API's presenters. Nothing listens on a socket; `close()` stops the queue's worker and closes the file."""

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from mnemoscope import __version__
from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
from mnemoscope.api import presenters
from mnemoscope.client.local_errors import as_client_errors
from mnemoscope.client.protocol import every_memory
from mnemoscope.contracts.api import (
    AddMemoryRequest,
    AppendMessagesRequest,
    ChatRequest,
    ChatResponse,
    HealthResponse,
    Id,
    JobAccepted,
    JobRequest,
    MemoryListResponse,
    MemoryOut,
    MemoryResponse,
    ScopeRef,
    SearchRequest,
    SearchResponse,
)
from mnemoscope.contracts.export import ImportResponse
from mnemoscope.contracts.jobs import JobKind, ScopeJob
from mnemoscope.contracts.messages import RetryAccepted, RetryRequest, TurnListResponse
from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.domain.memory import MemoryStatus, MemoryType
from mnemoscope.domain.scope import Scope
from mnemoscope.settings import Settings
from mnemoscope.wiring import Services, build

LOCAL_TENANT = "local"  # `serve`'s tenant without API keys: a data dir opened here or served holds the same memories
Request = TypeVar("Request", bound=BaseModel)


class _ListQuery(ScopeRef):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str | None, Field(max_length=512)] = None


class _MemoryListQuery(_ListQuery):
    type: MemoryType | None = None
    status: MemoryStatus | None = None


class _MemoryRef(ScopeRef):
    memory_id: Id


def _parsed(model: type[Request], body: dict[str, Any]) -> Request:
    """The request as the HTTP API would read it: through JSON, with the API's strict types (datetimes as ISO)."""
    text = json.dumps({k: v for k, v in body.items() if v is not None}, default=_iso)
    return model.model_validate_json(text)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class Memory:
    """The embedded memory service. Thread-safe; one per data directory per process."""

    def __init__(self, services: Services, queue: InProcessJobQueue, agent_id: str = "default") -> None:
        self.agent_id = agent_id
        self._services = services
        self._queue = queue

    @classmethod
    def local(cls, path: str | Path = ".mnemoscope", *, agent_id: str = "default") -> "Memory":
        """Open (or create) the memory in `path`. Models and providers come from MNEMOSCOPE_* variables, as for
        `serve`; consolidation runs in a background thread of this process when a chat model is configured.

        Raises:
            ConfigurationError: the MNEMOSCOPE_* settings are invalid.
        """
        try:
            settings = Settings(backend="local", data_dir=Path(path))
        except ValidationError as error:  # the message names the variables, never their values
            names = ", ".join(f"MNEMOSCOPE_{str(e['loc'][0]).upper()}" for e in error.errors() if e.get("loc"))
            raise ConfigurationError(f"invalid settings: {names or 'unknown'}") from None
        graph: list[Services] = []  # the queue's consumer needs the graph, which is built around the queue
        queue = InProcessJobQueue(_run_on(graph))
        queue.start()
        try:
            graph.append(build(settings, job_queue=queue))
        except BaseException:
            queue.stop()
            raise
        return cls(graph[0], queue, agent_id)

    def close(self) -> None:
        """Finish queued jobs, stop the worker thread, deliver or drop pending webhooks and close the database."""
        self._queue.stop()
        if self._services.ports.memory_events is not None:  # after the jobs: they may still announce changes
            self._services.ports.memory_events.close()
        self._services.ports.close()

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no job is queued or running (consolidation has caught up); False on timeout."""
        return self._queue.wait_idle(timeout)

    # -- the MemoryClient methods ----------------------------------------------------------------------
    def health(self) -> HealthResponse:
        graph = self._services
        return HealthResponse(
            version=__version__, backend="local", embedder=graph.embedder_id, consolidation=graph.consolidation_status
        )

    def add_messages(self, user_id: str, messages: list[dict[str, Any]], agent_id: str | None = None) -> list[str]:
        """Append turns ({role, content, id?, name?, created_at?}); returns their ids."""
        with as_client_errors():
            body = _parsed(AppendMessagesRequest, self._ref(user_id, agent_id) | {"messages": messages})
            ids, _ = self._services.ingest.append(self._scope(body), body.messages)
            return ids

    def list_messages(
        self, user_id: str, *, agent_id: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> TurnListResponse:
        with as_client_errors():
            query = _parsed(_ListQuery, self._ref(user_id, agent_id) | {"limit": limit, "cursor": cursor})
            return presenters.turn_list(self._services.messages.page(self._scope(query), query.limit, query.cursor))

    def retry_quarantined(
        self, user_id: str, message_ids: list[str] | None = None, agent_id: str | None = None
    ) -> RetryAccepted:
        with as_client_errors():
            body = _parsed(RetryRequest, self._ref(user_id, agent_id) | {"message_ids": message_ids})
            released = self._services.messages.retry(self._scope(body), body.message_ids)
            return RetryAccepted(released=len(released), message_ids=released, job="queued" if released else "none")

    def add_memory(
        self, user_id: str, content: str, agent_id: str | None = None, *, created_at: datetime | None = None
    ) -> MemoryOut:
        with as_client_errors():
            body = _parsed(
                AddMemoryRequest, self._ref(user_id, agent_id) | {"content": content, "created_at": created_at}
            )
            return MemoryOut.of(self._services.memories.add_custom(self._scope(body), body.content, body.created_at))

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
        with as_client_errors():
            fields = {"type": type, "status": status, "limit": limit, "cursor": cursor}
            q = _parsed(_MemoryListQuery, self._ref(user_id, agent_id) | fields)
            return presenters.memory_list(
                self._services.memories.list(self._scope(q), q.type, q.status, q.limit, q.cursor)
            )

    def all_memories(self, user_id: str, **filters: Any) -> list[MemoryOut]:
        """Every memory matching the filters, following cursors."""
        return every_memory(self, user_id, **filters)

    def get_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> MemoryResponse:
        with as_client_errors():
            ref = _parsed(_MemoryRef, self._ref(user_id, agent_id) | {"memory_id": memory_id})
            memories, scope = self._services.memories, self._scope(ref)
            node = memories.get(scope, ref.memory_id)
            return presenters.memory_response(node, memories.lineage(scope, node))

    def delete_memory(self, user_id: str, memory_id: str, agent_id: str | None = None) -> None:
        with as_client_errors():
            ref = _parsed(_MemoryRef, self._ref(user_id, agent_id) | {"memory_id": memory_id})
            self._services.memories.delete(self._scope(ref), ref.memory_id)

    def forget_user(self, user_id: str, agent_id: str | None = None) -> None:
        with as_client_errors():
            self._services.memories.forget(self._scope(_parsed(ScopeRef, self._ref(user_id, agent_id))))

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
        with as_client_errors():
            fields = {"query": query, "top_k": top_k, "at": at, "timezone": timezone, **options}
            body = _parsed(SearchRequest, self._ref(user_id, agent_id) | fields)
            search = presenters.search_query(body)
            return presenters.search_response(self._services.retrieval.search(self._scope(body), search))

    def consolidate(self, user_id: str, agent_id: str | None = None) -> JobAccepted:
        return self._request_job("consolidate", user_id, agent_id)

    def reflect(self, user_id: str, agent_id: str | None = None) -> JobAccepted:
        return self._request_job("reflect", user_id, agent_id)

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
        with as_client_errors():
            fields = {"message": message, "system_prompt": system_prompt, "history": history, "timezone": timezone}
            body = _parsed(ChatRequest, self._ref(user_id, agent_id) | fields)
            result = self._services.chat.chat(
                self._scope(body), body.message, body.system_prompt, body.history, body.timezone
            )
            return presenters.chat_response(result)

    def export(self, user_id: str, agent_id: str | None = None) -> Iterator[str]:
        """The scope's export file (docs/export-format.md), line by line, read page by page as it is consumed."""
        with as_client_errors():
            scope = self._scope(_parsed(ScopeRef, self._ref(user_id, agent_id)))
        return _translated(self._services.exports.lines(scope))

    def import_file(self, user_id: str, jsonl: str, agent_id: str | None = None) -> ImportResponse:
        """Load an export file into this scope (idempotent: the file's ids are kept). No size limit here, unlike
        over HTTP (1 MB per request)."""
        with as_client_errors():
            scope = self._scope(_parsed(ScopeRef, self._ref(user_id, agent_id)))
            report = self._services.imports.load(scope, jsonl)
            return ImportResponse(messages=report.messages, memories=report.memories, imported_at=report.imported_at)

    # -- helpers ---------------------------------------------------------------------------------------
    def _ref(self, user_id: str, agent_id: str | None) -> dict[str, Any]:
        return {"user_id": user_id, "agent_id": agent_id or self.agent_id}

    def _scope(self, ref: ScopeRef) -> Scope:
        return Scope(tenant_id=LOCAL_TENANT, agent_id=ref.agent_id, user_id=ref.user_id)

    def _request_job(self, kind: JobKind, user_id: str, agent_id: str | None) -> JobAccepted:
        with as_client_errors():
            self._services.scheduler.request(kind, self._scope(_parsed(JobRequest, self._ref(user_id, agent_id))))
            return JobAccepted(kind=kind)


def _translated(lines: Iterator[str]) -> Iterator[str]:
    with as_client_errors():
        yield from lines


def _run_on(graph: list[Services]) -> Callable[[dict[str, Any]], None]:
    """The queue's consumer: run each SQS-shaped job on this Memory's own graph (not the process's installed one,
    so several Memory objects and a server can share a process)."""

    def run(event: dict[str, Any]) -> None:
        for record in event["Records"]:
            graph[0].jobs.run(ScopeJob.model_validate_json(record["body"]))

    return run
