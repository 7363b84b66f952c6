"""POST /v1/memories/search."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api.tenancy import scope_of
from mnemoscope.contracts.api import MemoryOut, MessageOut, SearchRequest, SearchResponse
from mnemoscope.wiring import services

router = Router()


@router.post("/v1/memories/search")
def search_memories(body: SearchRequest) -> SearchResponse:
    scope = scope_of(router.current_event.raw_event, body.user_id, body.agent_id)
    result = services().retrieval.search(
        scope, body.query, body.top_k, body.types, body.include_expired, body.include_recent
    )
    memories = [MemoryOut.of(hit.node, hit.score) for hit in result.memories]
    context = "\n".join(m.content for m in memories)
    return SearchResponse(memories=memories, recent=[MessageOut.of(m) for m in result.recent], context=context)
