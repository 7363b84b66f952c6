"""GET /v1/messages (the scope's turns with their consolidation state) and POST /v1/messages/retry."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from mnemoscope.api.params import AgentIdQuery, UserIdQuery
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.messages import QuarantineOut, RetryAccepted, RetryRequest, TurnListResponse, TurnOut
from mnemoscope.ports.chat_log import TurnView
from mnemoscope.wiring import services

router = Router()


def _turn_out(view: TurnView) -> TurnOut:
    """The wire form of a turn; here, not in contracts/, which know the domain only (the layers contract)."""
    record = view.quarantine
    return TurnOut.model_validate(
        view.logged.message.model_dump()
        | {
            "seq": view.logged.seq,
            "state": view.state,
            "quarantine": QuarantineOut.model_validate(record.model_dump()) if record else None,
        }
    )


@router.get("/v1/messages")
def list_messages(
    user_id: UserIdQuery,
    agent_id: AgentIdQuery = "default",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> TurnListResponse:
    scope = scope_of(request_event(), user_id, agent_id)
    page = services().messages.page(scope, limit, cursor)
    return TurnListResponse(messages=[_turn_out(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("/v1/messages/retry")
def retry_quarantined(body: RetryRequest) -> Response[RetryAccepted]:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    released = services().messages.retry(scope, body.message_ids)
    accepted = RetryAccepted(released=len(released), message_ids=released, job="queued" if released else "none")
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)
