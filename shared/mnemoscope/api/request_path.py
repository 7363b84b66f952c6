"""The request path as routes read it: percent-decoded once.

API Gateway REST proxy events (and `mnemoscope serve`) carry the path still percent-encoded, so
`DELETE /v1/users/alice%40example.com` would reach the route as `alice%40example.com` and fail the id rule.
"""

from typing import Any
from urllib.parse import unquote


def with_decoded_path(event: dict[str, Any]) -> dict[str, Any]:
    path = event.get("path")
    if not isinstance(path, str) or "%" not in path:
        return event
    return {**event, "path": unquote(path, errors="replace")}
