"""A typed Python client for the mnemoscope memory API (used by the CLI chat and the examples)."""

from mnemoscope.client.client import MemoryClient
from mnemoscope.client.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    MemoryClientError,
    NotFound,
    ServerError,
    Unauthorized,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "MemoryClient",
    "MemoryClientError",
    "NotFound",
    "ServerError",
    "Unauthorized",
]
