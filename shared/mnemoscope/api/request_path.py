"""The request path as routes read it: percent-decoded once, and never holding a control character.

API Gateway REST proxy events (and `mnemoscope serve`) carry the path still percent-encoded, so
`DELETE /v1/users/alice%40example.com` would reach the route as `alice%40example.com` and fail the id rule.

A decoded control character is refused before routing: the router's patterns end in `$`, which in Python also
matches before a final newline, so `/v1/memories/%0A` was routed as `/v1/memories` (GET listed memories, DELETE
got a 405 no operation documents; Schemathesis found it). No id or path segment may hold one.
"""

import re
from typing import Any
from urllib.parse import unquote

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_character(path: object) -> bool:
    return isinstance(path, str) and _CONTROL.search(path) is not None


def with_decoded_path(event: dict[str, Any]) -> dict[str, Any]:
    path = event.get("path")
    if not isinstance(path, str) or "%" not in path:
        return event
    return {**event, "path": unquote(path, errors="replace")}
