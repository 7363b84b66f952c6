"""HTTP routes of the memory API. Each route translates HTTP to one service call and back; no memory logic."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from mnemoscope import __version__, wiring
from mnemoscope.api import views
from mnemoscope.api.params import AgentIdQuery, MemoryIdPath, UserIdPath, UserIdQuery
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import (
    DEFAULT_LIST_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIST_LIMIT,
    AddMemoryRequest,
    AppendMessagesRequest,
    AppendMessagesResponse,
    HealthResponse,
    JobAccepted,
    JobRequest,
    ListMemoriesQuery,
    MemoryListResponse,
    MemoryResponse,
)
from mnemoscope.contracts.jobs import JobKind
from mnemoscope.domain.memory import MemoryStatus, MemoryType
from mnemoscope.wiring import services

router = Router()


def _json(status: int, model: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=model)


@router.get("/v1/health")
def health() -> HealthResponse:
    report = wiring.health()  # settings only: no clients, no secrets (the route needs no API key)
    return HealthResponse(
        version=__version__,
        backend=report.backend,
        embedder=report.embedder,
        consolidation=report.consolidation,
    )


@router.post("/v1/messages")
def append_messages(body: AppendMessagesRequest) -> Response[AppendMessagesResponse]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    return _json(202, views.append_messages(scope, body))


@router.post("/v1/memories")
def add_memory(body: AddMemoryRequest) -> Response[MemoryResponse]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    return _json(201, views.add_memory(scope, body))


@router.get("/v1/memories")
def list_memories(
    user_id: UserIdQuery,
    agent_id: AgentIdQuery = "default",
    type: Annotated[MemoryType | None, Query()] = None,
    status: Annotated[MemoryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = DEFAULT_LIST_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS)] = None,
) -> MemoryListResponse:
    scope = scope_of(request_event(), user_id, agent_id)
    query = ListMemoriesQuery(user_id=user_id, agent_id=agent_id, type=type, status=status, limit=limit, cursor=cursor)
    return views.list_memories(scope, query)


@router.get("/v1/memories/<memory_id>")
def get_memory(memory_id: MemoryIdPath, user_id: UserIdQuery, agent_id: AgentIdQuery = "default") -> MemoryResponse:
    return views.memory_with_lineage(scope_of(request_event(), user_id, agent_id), memory_id)


@router.delete("/v1/memories/<memory_id>")
def delete_memory(memory_id: MemoryIdPath, user_id: UserIdQuery, agent_id: AgentIdQuery = "default") -> Response[None]:
    views.delete_memory(scope_of(request_event(), user_id, agent_id), memory_id)
    return Response(status_code=204)


@router.delete("/v1/users/<user_id>")
def forget_user(user_id: UserIdPath, agent_id: AgentIdQuery = "default") -> Response[None]:
    views.forget_user(scope_of(request_event(), user_id, agent_id))
    return Response(status_code=204)


@router.post("/v1/consolidate")
def consolidate(body: JobRequest) -> Response[JobAccepted]:
    return _enqueue("consolidate", body)


@router.post("/v1/reflect")
def reflect(body: JobRequest) -> Response[JobAccepted]:
    return _enqueue("reflect", body)


def _enqueue(kind: JobKind, body: JobRequest) -> Response[JobAccepted]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    services().scheduler.request(kind, scope)
    return _json(202, JobAccepted(kind=kind))
