"""POST /v1/memories/search."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api import views
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import SearchRequest, SearchResponse

router = Router()


@router.post("/v1/memories/search")
def search_memories(body: SearchRequest) -> SearchResponse:
    return views.search(scope_of(request_event(), body.user_id, body.agent_id), body)
