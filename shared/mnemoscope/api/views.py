"""What an operation answers, given its validated request and scope: one service call, shaped into the wire model.

The REST routes and the MCP tools (mnemoscope.mcp_server) both answer through these functions, so the two
transports cannot drift apart in what they call or what they return."""

from mnemoscope.api import presenters
from mnemoscope.contracts.api import (
    AddMemoryRequest,
    AppendMessagesRequest,
    AppendMessagesResponse,
    ListMemoriesQuery,
    MemoryListResponse,
    MemoryOut,
    MemoryResponse,
    SearchRequest,
    SearchResponse,
)
from mnemoscope.domain.scope import Scope
from mnemoscope.wiring import services


def append_messages(scope: Scope, body: AppendMessagesRequest) -> AppendMessagesResponse:
    ids, _ = services().ingest.append(scope, body.messages)
    return AppendMessagesResponse(accepted=len(ids), message_ids=ids)


def add_memory(scope: Scope, body: AddMemoryRequest) -> MemoryResponse:
    node = services().memories.add_custom(scope, body.content, body.created_at)
    return MemoryResponse(memory=MemoryOut.of(node))


def list_memories(scope: Scope, query: ListMemoriesQuery) -> MemoryListResponse:
    page = services().memories.list(scope, query.type, query.status, query.limit, query.cursor)
    return presenters.memory_list(page)


def memory_with_lineage(scope: Scope, memory_id: str) -> MemoryResponse:
    """Raises: MemoryNotFound for an unknown id or another scope's."""
    memories = services().memories
    node = memories.get(scope, memory_id)
    return presenters.memory_response(node, memories.lineage(scope, node))


def delete_memory(scope: Scope, memory_id: str) -> None:
    """Raises: MemoryNotFound for an unknown id or another scope's."""
    services().memories.delete(scope, memory_id)


def forget_user(scope: Scope) -> None:
    services().memories.forget(scope)


def search(scope: Scope, body: SearchRequest) -> SearchResponse:
    return presenters.search_response(services().retrieval.search(scope, presenters.search_query(body)))
