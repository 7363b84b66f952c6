"""Identifier rules shared by scopes, messages and memories."""

import hashlib
import re
import uuid

ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,128}$"
_ID_RE = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.fullmatch(value))


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def derived_id(prefix: str, *parts: str) -> str:
    """A deterministic id from its sources, so a retried job overwrites instead of duplicating."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{prefix}_{digest}"
