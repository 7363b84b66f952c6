"""GET /v1/messages (the scope's turns with their consolidation state) and POST /v1/messages/retry."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from mnemoscope.api.params import AgentIdQuery, UserIdQuery
from mnemoscope.api.presenters import turn_list
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.messages import RetryAccepted, RetryRequest, TurnListResponse
from mnemoscope.wiring import services

router = Router()


@router.get("/v1/messages")
def list_messages(
    user_id: UserIdQuery,
    agent_id: AgentIdQuery = "default",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> TurnListResponse:
    scope = scope_of(request_event(), user_id, agent_id)
    return turn_list(services().messages.page(scope, limit, cursor))


@router.post("/v1/messages/retry")
def retry_quarantined(body: RetryRequest) -> Response[RetryAccepted]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    released = services().messages.retry(scope, body.message_ids)
    accepted = RetryAccepted(released=len(released), message_ids=released, job="queued" if released else "none")
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)
