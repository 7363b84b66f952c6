"""The embedded `Memory` raises what `MemoryClient` raises: a service error becomes the client exception the HTTP
API's answer would have produced (same status, code and `fields`), so callers catch one set of exceptions."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from mnemoscope.client.errors import MemoryClientError, error_for
from mnemoscope.domain.errors import (
    DependencyUnavailable,
    ImportFileInvalid,
    InvalidMemoryRequest,
    LlmOutputInvalid,
    MemoryNotFound,
    MessageIdConflict,
    ModelNotConfigured,
)


def _error(status: int, code: str, message: str, fields: list[str] | None = None) -> MemoryClientError:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return error_for(status, {"error": detail})


def _field(loc: tuple[Any, ...]) -> str:
    """('messages', 0, 'role') -> 'messages[0].role', as the API names fields."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif str(part).isidentifier():
            name += f".{part}" if name else str(part)
    return name or "body"


def client_error(error: Exception) -> MemoryClientError | None:  # noqa: PLR0911 - one branch per error kind
    """The client exception for a service error; None for an error that is a bug (it propagates as it is)."""
    if isinstance(error, ValidationError):
        fields = list(dict.fromkeys(_field(tuple(e["loc"])) for e in error.errors()))
        message = "; ".join(f"{_field(tuple(e['loc']))}: {e['msg']}" for e in error.errors()[:5])
        return _error(422, "validation_error", message, fields)
    if isinstance(error, ImportFileInvalid):
        fields = [f"jsonl:{n}" + (f".{f}" if f else "") for n, f, _ in error.problems]
        return _error(422, "invalid_file", str(error), fields)
    if isinstance(error, InvalidMemoryRequest):
        return _error(400, "invalid_request", str(error), [error.field] if error.field else None)
    if isinstance(error, MessageIdConflict):
        return _error(409, "id_conflict", str(error), [error.field])
    if isinstance(error, MemoryNotFound):
        return _error(404, "not_found", "no such memory")
    if isinstance(error, ModelNotConfigured):
        return _error(409, "model_not_configured", str(error) or "no chat model is configured")
    if isinstance(error, DependencyUnavailable):
        return _error(503, "unavailable", "a backing service is unavailable")
    if isinstance(error, LlmOutputInvalid):
        return _error(502, "model_output_invalid", "the language model gave an invalid answer")
    return None


@contextmanager
def as_client_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        translated = client_error(error)
        if translated is None:
            raise
        raise translated from error
