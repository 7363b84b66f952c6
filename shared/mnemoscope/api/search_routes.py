"""POST /v1/memories/search."""

from datetime import UTC

from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import MemoryOut, MessageOut, SearchRequest, SearchResponse
from mnemoscope.services.context_lines import memory_context
from mnemoscope.services.retrieval import SearchQuery
from mnemoscope.wiring import services

router = Router()


@router.post("/v1/memories/search")
def search_memories(body: SearchRequest) -> SearchResponse:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    query = SearchQuery(
        query=body.query,
        top_k=body.top_k,
        at=body.at,
        timezone=body.timezone,
        types=tuple(body.types) if body.types else None,
        include_recent=body.include_recent,
        include_expired=body.include_expired,
        time_filter=body.time_filter,
    )
    result = services().retrieval.search(scope, query)
    return SearchResponse(
        memories=[MemoryOut.of(hit.node, hit.score) for hit in result.memories],
        recent=[MessageOut.of(turn) for turn in result.recent],
        context=memory_context((hit.node for hit in result.memories), result.now.tzinfo or UTC),
    )
