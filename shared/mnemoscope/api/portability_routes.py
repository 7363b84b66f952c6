"""GET /v1/users/{user_id}/export (JSONL) and POST /v1/import.

Through the api function the export is one buffered response: Lambda's response payload is capped at 6 MB, so a
bigger export is refused with 413 and pointed at `mnemoscope export` with the aws backend, which reads the tables
itself (docs/decisions.md, issue 15). `serve` streams the same lines (runtime/wsgi.py) and has no cap."""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from mnemoscope.api.errors import error_response
from mnemoscope.api.params import AgentIdQuery, ExportUserIdPath
from mnemoscope.api.tenancy import request_event, scope_of
from mnemoscope.contracts.export import ImportRequest, ImportResponse
from mnemoscope.wiring import services

router = Router()

JSONL = "application/x-ndjson"
# Lambda's synchronous response limit is 6 MB including the proxy envelope; keep a margin for it.
MAX_BUFFERED_EXPORT_BYTES = 5_500_000


@router.get("/v1/users/<user_id>/export")
def export_user(user_id: ExportUserIdPath, agent_id: AgentIdQuery = "default") -> Response[str]:
    scope = scope_of(request_event(), user_id, agent_id)
    size, parts = 0, []
    for line in services().exports.lines(scope):
        size += len(line.encode("utf-8"))
        if size > MAX_BUFFERED_EXPORT_BYTES:
            return _too_big()
        parts.append(line)
    return Response(status_code=200, content_type=JSONL, body="".join(parts))


def _too_big() -> Response[Any]:
    message = (
        f"the export is over {MAX_BUFFERED_EXPORT_BYTES // 1_000_000} MB, more than this API answers in one "
        "response; run `mnemoscope export` where the tables are reachable"
    )
    return error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "export_too_large", message, ["user_id"])


@router.post("/v1/import")
def import_file(body: ImportRequest) -> ImportResponse:
    scope = scope_of(request_event(), body.user_id, body.agent_id)
    report = services().imports.load(scope, body.jsonl)
    return ImportResponse(messages=report.messages, memories=report.memories, imported_at=report.imported_at)
