"""What an operation answers, given its validated request and scope: one service call, shaped into the wire model.

The REST routes and the MCP tools (mnemoscope.mcp_server) both answer through these functions, so the two
transports cannot drift apart in what they call or what they return."""

from datetime import UTC

from mnemoscope.contracts.api import (
    AddMemoryRequest,
    AppendMessagesRequest,
    AppendMessagesResponse,
    LineageOut,
    ListMemoriesQuery,
    MemoryListResponse,
    MemoryOut,
    MemoryResponse,
    MessageOut,
    SearchRequest,
    SearchResponse,
)
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.services.context_lines import memory_context
from mnemoscope.services.retrieval import SearchQuery
from mnemoscope.wiring import services


def append_messages(scope: Scope, body: AppendMessagesRequest) -> AppendMessagesResponse:
    ids, _ = services().ingest.append(scope, body.messages)
    return AppendMessagesResponse(accepted=len(ids), message_ids=ids)


def add_memory(scope: Scope, body: AddMemoryRequest) -> MemoryResponse:
    node = services().memories.add_custom(scope, body.content, body.created_at)
    return MemoryResponse(memory=MemoryOut.of(node))


def list_memories(scope: Scope, query: ListMemoriesQuery) -> MemoryListResponse:
    page = services().memories.list(scope, query.type, query.status, query.limit, query.cursor)
    return MemoryListResponse(memories=[MemoryOut.of(n) for n in page.items], next_cursor=page.next_cursor)


def memory_with_lineage(scope: Scope, memory_id: str) -> MemoryResponse:
    """Raises: MemoryNotFound for an unknown id or another scope's."""
    memories = services().memories
    node = memories.get(scope, memory_id)
    found = memories.lineage(scope, node)
    lineage = LineageOut(
        source_messages=[MessageOut.of(m) for m in found.source_messages],
        source_memories=[MemoryOut.of(m) for m in found.source_memories],
        superseded_by=MemoryOut.of(found.superseded_by) if found.superseded_by else None,
    )
    return MemoryResponse(memory=MemoryOut.of(node), lineage=lineage)


def delete_memory(scope: Scope, memory_id: str) -> None:
    """Raises: MemoryNotFound for an unknown id or another scope's."""
    services().memories.delete(scope, memory_id)


def forget_user(scope: Scope) -> None:
    services().memories.forget(scope)


def search(scope: Scope, body: SearchRequest) -> SearchResponse:
    query = SearchQuery(
        query=body.query,
        top_k=body.top_k,
        at=body.at,
        timezone=body.timezone,
        types=tuple(body.types) if body.types else None,
        include_recent=body.include_recent,
        include_expired=body.include_expired,
        time_filter=body.time_filter,
        time_window=TimeRange(start=body.time_window.start, end=body.time_window.end) if body.time_window else None,
    )
    result = services().retrieval.search(scope, query)
    return SearchResponse(
        memories=[MemoryOut.of(hit.node, hit.score) for hit in result.memories],
        recent=[MessageOut.of(turn) for turn in result.recent],
        context=memory_context((hit.node for hit in result.memories), result.now.tzinfo or UTC),
    )
