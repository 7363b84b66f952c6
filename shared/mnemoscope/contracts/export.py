"""The export file (JSONL, docs/export-format.md) and the import request: one pydantic model per kind of line.

A file is a header line, the scope's chat turns, its memories (current and history) and an end line with the counts
(a cut-off download is refused on import instead of loading half a user). Lines are told apart by `kind`."""

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from mnemoscope.contracts.api import ScopeRef
from mnemoscope.contracts.fields import Text
from mnemoscope.domain.ids import ID_PATTERN
from mnemoscope.domain.memory import MAX_MEMORY_CHARS, MemoryStatus, MemoryType
from mnemoscope.domain.message import MAX_CONTENT_CHARS, Role
from mnemoscope.domain.time_range import TimeRange

FORMAT_NAME: Final = "mnemoscope-export"
FORMAT_VERSION: Final = 1
# The import body is JSON and at most 1 MB (the api handler refuses more with 413). The file's text is capped below
# that, so a file at the cap still fits once wrapped; escaping (each `"` costs two characters) can still push a body
# over, which the 413 names. `mnemoscope import` sends bigger files in parts.
MAX_IMPORT_CHARS = 900_000
MAX_REPORTED_LINES = 20

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class _Line(BaseModel):
    # Frozen and strict about unknown keys: a line from a newer format version is refused, never half-read.
    model_config = ConfigDict(frozen=True, extra="forbid")


class HeaderLine(_Line):
    kind: Literal["header"] = "header"
    format: Literal["mnemoscope-export"] = FORMAT_NAME
    version: Literal[1] = FORMAT_VERSION
    user_id: Id = Field(description="The scope the file was exported from (an import names its own target)")
    agent_id: Id


class QuarantineLine(_Line):
    error: str = Field(max_length=80)
    reason: str = Field(max_length=300)
    attempts: int = Field(ge=1)
    quarantined_at: AwareDatetime
    retrying: bool = False


class MessageLine(_Line):
    kind: Literal["message"] = "message"
    id: Id
    role: Role
    name: str | None = Field(default=None, max_length=128)
    content: Text = Field(max_length=MAX_CONTENT_CHARS)
    created_at: AwareDatetime
    state: Literal["pending", "consolidated", "quarantined"]
    quarantine: QuarantineLine | None = None


class RevisionLine(_Line):
    value: str
    replaced_at: AwareDatetime


class MemoryLine(_Line):
    """A memory with its lineage (`source_*`, `superseded_by`) and history (`status` expired, insight revisions).
    Vectors are not exported: they belong to the embedding model, and the target embeds with its own."""

    kind: Literal["memory"] = "memory"
    id: Id
    type: MemoryType
    status: MemoryStatus
    content: Text = Field(max_length=MAX_MEMORY_CHARS)
    key: str | None = None
    value: str | None = None
    keywords: tuple[str, ...] = ()
    created_at: AwareDatetime
    updated_at: AwareDatetime
    event_time: TimeRange | None = None
    source_message_ids: tuple[str, ...] = ()
    source_memory_ids: tuple[str, ...] = ()
    superseded_by: str | None = None
    history: tuple[RevisionLine, ...] = ()
    reflected: bool = False
    used_in_insight: bool = False
    reconsolidated: bool = False


class EndLine(_Line):
    kind: Literal["end"] = "end"
    messages: int = Field(ge=0)
    memories: int = Field(ge=0)


ExportLine = Annotated[HeaderLine | MessageLine | MemoryLine | EndLine, Field(discriminator="kind")]


class ImportRequest(ScopeRef):
    """`user_id`/`agent_id` name the target scope (in the caller's tenant), whatever scope the file came from."""

    jsonl: str = Field(
        min_length=1, max_length=MAX_IMPORT_CHARS, description="An export file's text (docs/export-format.md)"
    )


class ImportResponse(BaseModel):
    messages: int = Field(description="Turns in the file (already present ones are kept, not duplicated)")
    memories: int = Field(description="Memories in the file (written by id: a second import overwrites)")
    imported_at: datetime
