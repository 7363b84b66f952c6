"""The api function: API Gateway (REST, proxy) -> the memory API. `mnemoscope serve` calls the same handler."""

import functools
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.utilities import jmespath_utils
from aws_lambda_powertools.utilities.typing import LambdaContext

from mnemoscope.api.app import leased_app
from mnemoscope.api.body_limits import check_json_body
from mnemoscope.api.errors import error_response
from mnemoscope.api.request_path import has_control_character, with_decoded_path
from mnemoscope.mcp_server import MCP_PATH  # the package's __init__ only: no SDK import
from mnemoscope.observability import IN_LAMBDA, logger, metrics, traced

MAX_BODY_BYTES = 1_000_000

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]  # Lambda passes a LambdaContext, serve its look-alike
_cold_start = True


def _request_log_keys(handler: Handler) -> Handler:
    """`logger.inject_lambda_context(correlation_id_path=API_GATEWAY_REST, clear_state=True)`, with the
    request's keys kept per thread: Powertools' inject_lambda_context writes them on the shared formatter, so
    under `serve` one request's id and correlation id would be logged by another's thread."""

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        global _cold_start
        cold_start, _cold_start = _cold_start, False
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(
            cold_start=cold_start,
            correlation_id=jmespath_utils.query(envelope=correlation_paths.API_GATEWAY_REST, data=event),
            **build_lambda_context_model(context).__dict__,
        )
        try:
            return handler(event, context)
        finally:
            logger.thread_safe_clear_keys()

    return wrapper


@_request_log_keys
@traced
@metrics.log_metrics(capture_cold_start_metric=IN_LAMBDA)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    body = event.get("body") or ""
    if len(body.encode("utf-8") if isinstance(body, str) else body) > MAX_BODY_BYTES:
        # API Gateway accepts up to 10 MB; our contract is 1 MB, refused before any parsing.
        return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", "the body is over 1 MB", "body")
    rejected = check_json_body(body, bool(event.get("isBase64Encoded")))
    if rejected:
        return _error(rejected.status, rejected.code, rejected.message, rejected.field)
    if _is_mcp(event):
        # Imported here: the MCP SDK stays off the cold path of every REST request.
        from mnemoscope.mcp_server.http import handle_mcp_event

        return handle_mcp_event(event)
    event = with_decoded_path(event)
    if has_control_character(event.get("path")):
        return _error(HTTPStatus.BAD_REQUEST, "invalid_path", "the path holds a control character", "path")
    with leased_app() as app:
        return app.resolve(_as_json_request(event), context)


def _is_mcp(event: dict[str, Any]) -> bool:
    return str(event.get("path") or "").rstrip("/") == MCP_PATH


def _error(status: int, code: str, message: str, field: str) -> dict[str, Any]:
    response = error_response(status, code, message, [field])
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _as_json_request(event: dict[str, Any]) -> dict[str, Any]:
    """This API speaks only JSON: a body sent without (or with another) Content-Type is parsed as JSON."""
    if not event.get("body"):
        return event
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    multi["Content-Type"] = ["application/json"]
    return {**event, "headers": headers, "multiValueHeaders": multi}
