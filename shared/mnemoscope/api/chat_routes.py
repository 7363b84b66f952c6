"""POST /v1/chat: one memory-augmented chat turn."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api.presenters import chat_response
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.api import ChatRequest, ChatResponse
from mnemoscope.wiring import services

router = Router()


@router.post("/v1/chat")
def chat(body: ChatRequest) -> ChatResponse:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    return chat_response(services().chat.chat(scope, body.message, body.system_prompt, body.history, body.timezone))
