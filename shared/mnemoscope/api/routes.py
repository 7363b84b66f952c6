"""HTTP routes of the memory API. Each route translates HTTP to one service call and back; no memory logic."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from mnemoscope import __version__, wiring
from mnemoscope.api.params import AgentIdQuery, MemoryIdPath, UserIdPath, UserIdQuery
from mnemoscope.api.presenters import memory_list, memory_response
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import (
    AddMemoryRequest,
    AppendMessagesRequest,
    AppendMessagesResponse,
    HealthResponse,
    JobAccepted,
    JobRequest,
    MemoryListResponse,
    MemoryOut,
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
    ids, _ = services().ingest.append(scope, body.messages)
    return _json(202, AppendMessagesResponse(accepted=len(ids), message_ids=ids))


@router.post("/v1/memories")
def add_memory(body: AddMemoryRequest) -> Response[MemoryResponse]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    node = services().memories.add_custom(scope, body.content, body.created_at)
    return _json(201, MemoryResponse(memory=MemoryOut.of(node)))


@router.get("/v1/memories")
def list_memories(
    user_id: UserIdQuery,
    agent_id: AgentIdQuery = "default",
    type: Annotated[MemoryType | None, Query()] = None,
    status: Annotated[MemoryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> MemoryListResponse:
    scope = scope_of(request_event(), user_id, agent_id)
    return memory_list(services().memories.list(scope, type, status, limit, cursor))


@router.get("/v1/memories/<memory_id>")
def get_memory(memory_id: MemoryIdPath, user_id: UserIdQuery, agent_id: AgentIdQuery = "default") -> MemoryResponse:
    memories = services().memories
    scope = scope_of(request_event(), user_id, agent_id)
    node = memories.get(scope, memory_id)
    return memory_response(node, memories.lineage(scope, node))


@router.delete("/v1/memories/<memory_id>")
def delete_memory(memory_id: MemoryIdPath, user_id: UserIdQuery, agent_id: AgentIdQuery = "default") -> Response[None]:
    scope = scope_of(request_event(), user_id, agent_id)
    services().memories.delete(scope, memory_id)
    return Response(status_code=204)


@router.delete("/v1/users/<user_id>")
def forget_user(user_id: UserIdPath, agent_id: AgentIdQuery = "default") -> Response[None]:
    scope = scope_of(request_event(), user_id, agent_id)
    services().memories.forget(scope)
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
