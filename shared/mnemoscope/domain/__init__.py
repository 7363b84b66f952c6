"""Pure domain: models, ids, errors and scoring policies. No I/O, no SDKs."""

from mnemoscope.domain.errors import (
    DependencyUnavailable,
    InvalidMemoryRequest,
    LlmOutputInvalid,
    MemoryNotFound,
    MemoryServiceError,
    ModelNotConfigured,
)
from mnemoscope.domain.memory import MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.message import LoggedMessage, Message, Role
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import Recurrence, TimeRange

__all__ = [
    "DependencyUnavailable",
    "InvalidMemoryRequest",
    "LlmOutputInvalid",
    "LoggedMessage",
    "MemoryNode",
    "MemoryNotFound",
    "MemoryServiceError",
    "MemoryStatus",
    "MemoryType",
    "Message",
    "ModelNotConfigured",
    "Recurrence",
    "Role",
    "Scope",
    "TimeRange",
]
