"""Checks on a JSON body before the resolver parses it: nesting depth, integer size and duplicate keys.

The resolver's parser recurses per nesting level and converts integers of any length, so a 1,200-deep array
(RecursionError) or a 5,000-digit number (ValueError) would surface as a 500. One C-speed parse here, with
hooks, turns them into a 4xx that names the field; no request model nests deeper than a few levels.
"""

import base64
import binascii
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_JSON_DEPTH = 32
# No field takes an integer beyond 64 bits; Python refuses to convert literals longer than 4,300 digits.
MAX_INT_DIGITS = 100


@dataclass(frozen=True)
class BodyRejection:
    status: int
    code: str
    message: str
    field: str


class _TooLongInt:
    """Stands in for an integer literal with too many digits, so the walk can name its field."""


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        obj.duplicates = tuple(key for key, n in counts.items() if n > 1)
    return obj


def _int(literal: str) -> int | _TooLongInt:
    return _TooLongInt() if len(literal.lstrip("-")) > MAX_INT_DIGITS else int(literal)


def check_json_body(body: str | bytes | None, base64_encoded: bool = False) -> BodyRejection | None:
    """None when the body may go to the resolver (empty, or JSON within limits); else why it may not.

    Malformed JSON passes: the resolver answers it with its own 400 naming `body`."""
    if not body:
        return None
    try:
        text = base64.b64decode(body, validate=True) if base64_encoded else body
        document = json.loads(text, object_pairs_hook=_object, parse_int=_int)
    except (binascii.Error, UnicodeDecodeError):
        return BodyRejection(HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON", "body")
    except RecursionError:
        return _too_deep()
    except ValueError:
        return None
    return _walk(document)


def _too_deep() -> BodyRejection:
    return BodyRejection(
        HTTPStatus.BAD_REQUEST, "too_deep", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels", "body"
    )


def _walk(document: Any) -> BodyRejection | None:
    for path, depth, value in _nodes(document):
        if depth > MAX_JSON_DEPTH:
            return _too_deep()
        if isinstance(value, _TooLongInt):
            return BodyRejection(
                HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"{path}: number has too many digits", path
            )
        if isinstance(value, _Object) and value.duplicates:
            name = _join(path, value.duplicates[0])
            return BodyRejection(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"{name}: key repeated", name)
    return None


def _nodes(document: Any) -> Iterator[tuple[str, int, Any]]:
    """Every value with its field path (as error messages name it: `messages[0].id`) and depth, iteratively."""
    stack: list[tuple[str, int, Any]] = [("", 1, document)]  # the body itself is the first level
    while stack:
        path, depth, value = stack.pop()
        yield path or "body", depth, value
        if isinstance(value, dict):
            stack.extend((_join(path, key), depth + 1, child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", depth + 1, child) for i, child in enumerate(value))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and path != "body" else key
