"""Service results in their wire form, and wire requests as service queries: shared by the HTTP routes, the MCP
tools (through `views`) and the embedded `Memory`, so all answer with the same models built the same way."""

from datetime import UTC

from mnemoscope.contracts.api import (
    ChatResponse,
    LineageOut,
    MemoryListResponse,
    MemoryOut,
    MemoryResponse,
    MessageOut,
    SearchRequest,
    SearchResponse,
)
from mnemoscope.contracts.messages import QuarantineOut, TurnListResponse, TurnOut
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_log import TurnPage, TurnView
from mnemoscope.ports.memory_index import MemoryPage
from mnemoscope.services.chat import ChatResult
from mnemoscope.services.context_lines import memory_context
from mnemoscope.services.lineage import Lineage
from mnemoscope.services.retrieval import SearchQuery, SearchResult


def search_query(body: SearchRequest) -> SearchQuery:
    window = body.time_window
    return SearchQuery(
        query=body.query,
        top_k=body.top_k,
        at=body.at,
        timezone=body.timezone,
        types=tuple(body.types) if body.types else None,
        include_recent=body.include_recent,
        include_expired=body.include_expired,
        time_filter=body.time_filter,
        time_window=TimeRange(start=window.start, end=window.end) if window else None,
    )


def memory_response(node: MemoryNode, found: Lineage) -> MemoryResponse:
    lineage = LineageOut(
        source_messages=[MessageOut.of(m) for m in found.source_messages],
        source_memories=[MemoryOut.of(m) for m in found.source_memories],
        superseded_by=MemoryOut.of(found.superseded_by) if found.superseded_by else None,
    )
    return MemoryResponse(memory=MemoryOut.of(node), lineage=lineage)


def memory_list(page: MemoryPage) -> MemoryListResponse:
    return MemoryListResponse(memories=[MemoryOut.of(n) for n in page.items], next_cursor=page.next_cursor)


def search_response(result: SearchResult) -> SearchResponse:
    return SearchResponse(
        memories=[MemoryOut.of(hit.node, hit.score) for hit in result.memories],
        recent=[MessageOut.of(turn) for turn in result.recent],
        context=memory_context((hit.node for hit in result.memories), result.now.tzinfo or UTC),
    )


def chat_response(result: ChatResult) -> ChatResponse:
    return ChatResponse(
        reply=result.reply,
        memories=[MemoryOut.of(hit.node, hit.score) for hit in result.memories],
        recent=[MessageOut.of(turn) for turn in result.recent],
    )


def turn_out(view: TurnView) -> TurnOut:
    record = view.quarantine
    return TurnOut.model_validate(
        view.logged.message.model_dump()
        | {
            "seq": view.logged.seq,
            "state": view.state,
            "quarantine": QuarantineOut.model_validate(record.model_dump()) if record else None,
        }
    )


def turn_list(page: TurnPage) -> TurnListResponse:
    return TurnListResponse(messages=[turn_out(v) for v in page.items], next_cursor=page.next_cursor)
