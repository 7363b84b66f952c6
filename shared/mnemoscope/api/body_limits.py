"""Checks on a JSON body before the resolver parses it: nesting depth, integer size and duplicate keys.

The resolver's parser recurses per nesting level and converts integers of any length, so a 1,200-deep array
(RecursionError) or a 5,000-digit number (ValueError) would surface as a 500. One C-speed parse with hooks and
a pass over the containers turn them into a 4xx that names the field; no request model nests deeper than a few
levels. Cost, linear in the body: a few ms for 1 MB of turns, ~0.2 s for 1 MB of tiny objects or empty lists
(the worst shapes).
"""

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from itertools import accumulate
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


@dataclass
class _Findings:
    """What the parse hooks saw: repeated keys per object (by id; the objects live in the document) and long ints."""

    repeated_keys: dict[int, tuple[str, ...]] = field(default_factory=dict)
    long_int: bool = False


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def check_json_body(body: str | bytes | None, base64_encoded: bool = False) -> BodyRejection | None:
    """None when the body may go to the resolver (empty, or JSON within limits); else why it may not.

    Malformed JSON passes: the resolver answers it with its own 400 naming `body`."""
    if not body:
        return None
    try:
        raw = base64.b64decode(body, validate=True) if base64_encoded else body
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except (binascii.Error, UnicodeDecodeError):
        return BodyRejection(HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON", "body")
    found = _Findings()
    try:
        document = json.loads(text, object_pairs_hook=partial(_object, found), parse_int=partial(_int, found))
    except RecursionError:
        return _too_deep()
    except ValueError:
        return None
    # Brackets inside strings count too, so the bound is exact for most bodies and only a body over it pays a pass.
    if _bracket_depth_bound(text) > MAX_JSON_DEPTH and _deeper_than(document, MAX_JSON_DEPTH):
        return _too_deep()
    # Naming the field takes a walk with paths, so only a body with a problem pays for it.
    return _first_problem(document, found) if found.repeated_keys or found.long_int else None


def _object(found: _Findings, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        found.repeated_keys[id(obj)] = tuple(key for key, n in counts.items() if n > 1)
    return obj


def _int(found: _Findings, literal: str) -> int | _TooLongInt:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        found.long_int = True
        return _TooLongInt()
    return int(literal)


def _bracket_depth_bound(text: str) -> int:
    return max(accumulate(map(_STEP.__getitem__, _NOT_BRACKET.sub("", text))), default=0)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _deeper_than(document: Any, limit: int) -> bool:
    """Level by level over the containers only (the body is level 1), stopping past `limit`."""
    level = [document] if _is_container(document) else []
    for _ in range(limit):
        if not level:
            return False
        level = [
            child
            for container in level
            for child in filter(_is_container, container.values() if isinstance(container, dict) else container)
        ]
    return bool(level)


def _too_deep() -> BodyRejection:
    return BodyRejection(
        HTTPStatus.BAD_REQUEST, "too_deep", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels", "body"
    )


def _first_problem(document: Any, found: _Findings) -> BodyRejection | None:
    for path, value in _nodes(document):
        if isinstance(value, _TooLongInt):
            return BodyRejection(
                HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"{path}: number has too many digits", path
            )
        repeated = found.repeated_keys.get(id(value)) if isinstance(value, dict) else None
        if repeated:
            name = _join(path, repeated[0])
            return BodyRejection(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"{name}: key repeated", name)
    return None


def _nodes(document: Any) -> Iterator[tuple[str, Any]]:
    """Every value with its field path, as error messages name it (`messages[0].id`)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        yield path or "body", value
        if isinstance(value, dict):
            stack.extend((_join(path, key), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(value))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and path != "body" else key
