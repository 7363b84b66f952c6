"""Who is calling: the tenant comes from the API Gateway request context, never from the request body."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mnemoscope.domain.errors import MemoryServiceError
from mnemoscope.domain.ids import is_valid_id
from mnemoscope.domain.scope import Scope


class Unauthenticated(MemoryServiceError):
    """No caller identity in the request context (no API key / authorizer)."""


def tenant_of(raw_event: dict[str, Any]) -> str:
    """The authorizer's `tenant_id` (JWT authorizer or `mnemoscope serve`), else the API key id (REST API keys).

    Raises:
        Unauthenticated: when neither is present.
    """
    context = raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    candidates = (
        authorizer.get("tenant_id"),
        (authorizer.get("claims") or {}).get("custom:tenant_id"),
        (context.get("identity") or {}).get("apiKeyId"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and is_valid_id(candidate):
            return candidate
    raise Unauthenticated("no tenant in the request context")


def scope_of(raw_event: dict[str, Any], user_id: str, agent_id: str) -> Scope:
    return Scope(tenant_id=tenant_of(raw_event), agent_id=agent_id, user_id=user_id)


_request: ContextVar[dict[str, Any] | None] = ContextVar("mnemoscope_request", default=None)


@contextmanager
def bound_request(raw_event: dict[str, Any]) -> Iterator[None]:
    """Make `raw_event` the current request of this thread (context) while the resolver handles it."""
    token = _request.set(raw_event)
    try:
        yield
    finally:
        _request.reset(token)


def request_event() -> dict[str, Any]:
    """The raw API Gateway event of the request being handled on this thread; {} outside a request."""
    return _request.get() or {}
