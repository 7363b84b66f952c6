"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS)."""

from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """A list cursor is an opaque token the server issued (see its description): in a *positive* case a generated
    one is not valid data, so it is left out. Negative cases keep theirs and must still be refused."""
    meta = case.meta
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and case.method.upper() == "GET" and case.query:  # GET /v1/memories, GET /v1/messages
        case.query.pop("cursor", None)
    return case
