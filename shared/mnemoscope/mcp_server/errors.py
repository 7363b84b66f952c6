"""Failures of a tool call, told to the model the way the REST API tells a client: {"error": {code, message,
fields?}} (a tool error result, so the model can read it and correct its call)."""

from pydantic import ValidationError

from mnemoscope.api.errors import error_message, field_name
from mnemoscope.api.tenancy import Unauthenticated
from mnemoscope.contracts.api import ErrorDetail
from mnemoscope.domain.errors import (
    DependencyUnavailable,
    InvalidMemoryRequest,
    MemoryNotFound,
    MessageIdConflict,
    ModelNotConfigured,
)
from mnemoscope.observability import logger

# Errors whose body says the same thing every time (the REST API's 404, 409 and 401 bodies).
_FIXED: tuple[tuple[type[Exception], str, str, list[str] | None], ...] = (
    (MemoryNotFound, "not_found", "no such memory", ["memory_id"]),
    (ModelNotConfigured, "model_not_configured", "no chat model is configured", None),
    (Unauthenticated, "unauthenticated", "missing or unknown API key", None),
)


def error_detail(error: Exception) -> ErrorDetail:
    """The error body a REST client would get for `error` (unexpected errors are logged, never shown)."""
    if isinstance(error, ValidationError):
        return _invalid(error)
    if isinstance(error, MessageIdConflict | InvalidMemoryRequest):
        code = "id_conflict" if isinstance(error, MessageIdConflict) else "invalid_request"
        return ErrorDetail(code=code, message=str(error), fields=[error.field] if error.field else None)
    for kind, code, message, fields in _FIXED:
        if isinstance(error, kind):
            return ErrorDetail(code=code, message=message, fields=fields)
    if isinstance(error, DependencyUnavailable):
        logger.warning("dependency unavailable", reason=str(error))
        return ErrorDetail(code="unavailable", message="a backing service is unavailable; retry later")
    logger.exception("unexpected error in an MCP tool")
    return ErrorDetail(code="internal_error", message="internal error")


def _invalid(error: ValidationError) -> ErrorDetail:
    errors = error.errors()
    fields = list(dict.fromkeys(field_name(e.get("loc", ())) for e in errors))
    message = "; ".join(f"{field_name(e.get('loc', ()))}: {error_message(e)}" for e in errors[:5])
    logger.info("invalid tool arguments", fields=fields)
    return ErrorDetail(code="validation_error", message=message, fields=fields)
