"""POST /v1/memories/search."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api.presenters import search_response
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import SearchRequest, SearchResponse
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
    return search_response(services().retrieval.search(scope, query))
