"""Exceptions raised by MemoryClient: one per kind of failure, each carrying the server's error body."""

from typing import Any


class MemoryClientError(Exception):
    """Base class: `status` is the HTTP status (0 when the server could not be reached)."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def fields(self) -> list[str]:
        error = (self.body or {}).get("error", {}) if isinstance(self.body, dict) else {}
        return list(error.get("fields") or [])


class ConnectionFailed(MemoryClientError):
    """The server could not be reached (not running, wrong URL, network down)."""


class BadRequest(MemoryClientError):
    """400/405/413/422: the request was refused; `fields` names what was wrong."""


class Unauthorized(MemoryClientError):
    """401: missing or unknown API key."""


class NotFound(MemoryClientError):
    """404: no such memory (or route)."""


class Conflict(MemoryClientError):
    """409: the server cannot do this now (no chat model configured), or a message id already names another turn."""


class ServerError(MemoryClientError):
    """5xx after retries (503 is retried)."""


def error_for(status: int, body: Any) -> MemoryClientError:
    message = body.get("error", {}).get("message", "") if isinstance(body, dict) else str(body)
    kind: type[MemoryClientError] = ServerError
    if status in (400, 405, 413, 422):
        kind = BadRequest
    elif status == 401:
        kind = Unauthorized
    elif status == 404:
        kind = NotFound
    elif status == 409:
        kind = Conflict
    return kind(f"HTTP {status}: {message}", status, body)
