"""What every OpenSearch adapter shares: the error mapping and the idempotent index bootstrap."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable


@contextmanager
def opensearch_errors(operation: str) -> Iterator[None]:
    """Map OpenSearch failures: unreachable, throttled or 5xx → DependencyUnavailable; other 4xx → rejected.

    Raises:
        DependencyUnavailable: connection errors, timeouts, 401/403 (a deployment fault), 429 and 5xx.
        BackendRejected: any other 4xx: OpenSearch refused a request this service built, a server fault.
    """
    try:
        yield
    except OpenSearchConnectionError as error:  # includes ConnectionTimeout and SSLError
        raise DependencyUnavailable(f"OpenSearch is unreachable during {operation} ({type(error).__name__})") from error
    except TransportError as error:
        raise status_error(error.status_code, operation, _reason(error), str(error.error)) from error


def status_error(
    status: object, operation: str, reason: str, error_type: str = ""
) -> DependencyUnavailable | BackendRejected:
    """The service error for an HTTP status OpenSearch answered with (never the caller's fault: the caller's
    input is validated before any request is built)."""
    rejected = isinstance(status, int) and 400 <= status < 500 and status not in (401, 403, 408, 429)
    if rejected and error_type != "index_not_found_exception":
        return BackendRejected(f"OpenSearch rejected {operation} (HTTP {status}: {reason})")
    return DependencyUnavailable(f"OpenSearch failed during {operation} (HTTP {status}: {reason})")


def _reason(error: TransportError) -> str:
    info = error.info if isinstance(error.info, dict) else {}
    cause = info.get("error")
    if not isinstance(cause, dict):
        return str(cause or error.error)
    # The root cause names the real problem ("all shards failed" does not).
    roots = cause.get("root_cause") or [cause]
    first = roots[0] if isinstance(roots[0], dict) else cause
    return str(first.get("reason") or first.get("type") or error.error)


def ensure_index(client: OpenSearch, index_name: str, definition: dict[str, Any]) -> bool:
    """Create the index unless it exists (idempotent, safe against a concurrent creator); True if created."""
    with opensearch_errors("index bootstrap"):
        if client.indices.exists(index=index_name):
            return False
        try:
            client.indices.create(index=index_name, body=definition)
        except TransportError as error:
            if error.error == "resource_already_exists_exception":
                return False
            raise
    return True
