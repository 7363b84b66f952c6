"""Maps errors to JSON responses: {"error": {"code", "message", "fields"?}}. Never a stack trace."""

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from mnemoscope.api.tenancy import Unauthenticated
from mnemoscope.contracts.fields import TEXT_PATTERN
from mnemoscope.domain.errors import (
    BackendRejected,
    ConfigurationError,
    DependencyUnavailable,
    ImportFileInvalid,
    InvalidMemoryRequest,
    LlmOutputInvalid,
    MemoryNotFound,
    MessageIdConflict,
    ModelNotConfigured,
)
from mnemoscope.observability import logger


def error_response(
    status: int, code: str, message: str, fields: Sequence[str] | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = list(fields)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": detail}),
        headers=headers,
    )


def field_name(loc: Sequence[Any]) -> str:
    """('body', 'messages', 0, 'role') -> 'messages[0].role'; ('query', 'limit') -> 'limit'.

    Union branches add their tag to the location ('history', "literal['auto','none']"); a tag is never an
    identifier, a field name always is, so tags are dropped."""
    name = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif str(part).isidentifier():
            name += f".{part}" if name else str(part)
    return name or str(loc[0] if loc else "body")


def error_message(error: Any) -> str:
    if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == TEXT_PATTERN:
        return "must not be blank and must not contain NUL characters"
    message = str(error.get("msg", "invalid"))
    return message if len(message) <= 300 else message[:299] + "…"


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    _register_client_errors(app)
    _register_import_errors(app)
    _register_server_errors(app)


def _register_client_errors(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(
                HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON", ["body"]
            )
        fields = list(dict.fromkeys(field_name(e.get("loc", ())) for e in errors))
        messages = "; ".join(f"{field_name(e.get('loc', ()))}: {error_message(e)}" for e in errors[:5])
        logger.info("invalid request", fields=fields)
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", messages, fields)

    @app.exception_handler(ValidationError)
    def _invalid_value(error: ValidationError) -> Response[Any]:
        # A value that passed the request schema but not a domain model (defence in depth: still the caller's fault).
        fields = list(dict.fromkeys(str(e["loc"][-1]) for e in error.errors() if e.get("loc")))
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", "invalid value", fields)

    @app.exception_handler(InvalidMemoryRequest)
    def _bad(error: InvalidMemoryRequest) -> Response[Any]:
        fields = [error.field] if error.field else None
        return error_response(HTTPStatus.BAD_REQUEST, "invalid_request", str(error), fields)

    @app.exception_handler(MessageIdConflict)
    def _conflict(error: MessageIdConflict) -> Response[Any]:
        logger.info("message id conflict", field=error.field)
        return error_response(HTTPStatus.CONFLICT, "id_conflict", str(error), [error.field])

    @app.exception_handler(MemoryNotFound)
    def _missing(error: MemoryNotFound) -> Response[Any]:
        logger.info("memory not found")
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such memory")

    @app.exception_handler(Unauthenticated)
    def _unauthenticated(error: Unauthenticated) -> Response[Any]:
        return error_response(HTTPStatus.UNAUTHORIZED, "unauthenticated", "missing or unknown API key")

    @app.not_found
    def _no_route(error: Exception) -> Response[Any]:
        allowed = _methods_for(app, app.current_event.http_method.upper(), app.current_event.path)
        if allowed:
            message = f"use {', '.join(allowed)} on this path"
            headers = {"Allow": ", ".join(allowed)}
            return error_response(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", message, None, headers)
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")


def _register_import_errors(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(ImportFileInvalid)
    def _bad_file(error: ImportFileInvalid) -> Response[Any]:
        # A line is named `jsonl:<line number>`, a field inside it `jsonl:<n>.<path>`.
        fields = [f"jsonl:{n}" + (f".{f}" if f else "") for n, f, _ in error.problems]
        logger.info("invalid import file", lines=len(error.problems))
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_file", str(error), fields)


def _methods_for(app: APIGatewayRestResolver, method: str, path: str) -> list[str]:
    """The methods routed on this path, when `method` is not one of them (405 rather than 404, RFC 9110).
    HEAD and OPTIONS are the HTTP server's and CORS's business, not the routes'."""
    if method in ("HEAD", "OPTIONS"):
        return []
    return routed_methods(app, path)


def routed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods the API routes on this path (empty: no such path)."""
    # Powertools keeps its route table private; like its router, a static path wins over a pattern that matches it
    # (/v1/memories/search is not /v1/memories/<memory_id>).
    for routes in (app._static_routes, app._dynamic_routes):
        methods = sorted({route.method for route in routes if route.rule.match(path)})
        if methods:
            return methods
    return []


def _register_server_errors(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(ConfigurationError)
    def _misconfigured(error: ConfigurationError) -> Response[Any]:
        # The operator's fault: the reason goes to the log, the caller learns only that it is not theirs.
        logger.error("service misconfigured", reason=str(error))
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")

    @app.exception_handler(ModelNotConfigured)
    def _no_model(error: ModelNotConfigured) -> Response[Any]:
        return error_response(HTTPStatus.CONFLICT, "model_not_configured", str(error) or "no chat model is configured")

    @app.exception_handler(DependencyUnavailable)
    def _unavailable(error: DependencyUnavailable) -> Response[Any]:
        logger.warning("dependency unavailable", reason=str(error))
        headers = {"Retry-After": str(error.retry_after_seconds)}
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "a backing service is unavailable", None, headers
        )

    @app.exception_handler(BackendRejected)
    def _rejected(error: BackendRejected) -> Response[Any]:
        logger.error("backing store rejected our request", reason=str(error))
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "backend_rejected", "a backing store refused the request"
        )

    @app.exception_handler(LlmOutputInvalid)
    def _llm_invalid(error: LlmOutputInvalid) -> Response[Any]:
        logger.warning("model output invalid")
        return error_response(
            HTTPStatus.BAD_GATEWAY, "model_output_invalid", "the language model gave an invalid answer"
        )

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")
