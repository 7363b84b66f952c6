"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS)."""

from datetime import datetime
from typing import Any

import schemathesis

# The smallest valid export file: the import's `jsonl` is a document with its own grammar (docs/export-format.md),
# checked line by line after the schema, so a generated string is not valid data.
EMPTY_EXPORT = (
    '{"kind":"header","format":"mnemoscope-export","version":1,"user_id":"u","agent_id":"default"}\n'
    '{"kind":"end","messages":0,"memories":0}\n'
)


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """A list cursor is an opaque token the server issued (see its description): in a *positive* case a generated
    one is not valid data, so it is left out. Negative cases keep theirs and must still be refused."""
    meta = case.meta
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and case.method.upper() == "GET" and case.query:  # GET /v1/memories, GET /v1/messages
        case.query.pop("cursor", None)
    if positive and case.method.upper() == "POST" and case.path == "/v1/import" and isinstance(case.body, dict):
        case.body["jsonl"] = EMPTY_EXPORT  # a positive case sends a valid file; negative ones keep theirs
    if positive and isinstance(case.body, dict) and isinstance(case.body.get("time_window"), dict):
        _order_window(case.body)
    return case


def _order_window(body: dict[str, Any]) -> None:
    """A search's `time_window` ends after it starts (its description says so; JSON Schema cannot): a positive
    case gets its two ends in order, or no window when they are the same instant."""
    window = body["time_window"]
    try:
        start, end = (datetime.fromisoformat(window[k].upper().replace("Z", "+00:00")) for k in ("start", "end"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return
    if end < start:
        window["start"], window["end"] = window["end"], window["start"]
    elif end == start:
        body.pop("time_window")
