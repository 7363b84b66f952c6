"""Wire schemas of the job path: the SQS message body (`ScopeJob`) and the reflect function's inputs (the
EventBridge schedule's Input JSON and the one-off reindex invocation)."""

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mnemoscope.domain.scope import Scope

JobKind = Literal["consolidate", "reflect"]


class ScopeJob(BaseModel):
    """'Scope S has work of this kind.' The worker reads what to do from the log, so a lost, repeated or
    late job loses and duplicates nothing."""

    model_config = ConfigDict(frozen=True)

    kind: JobKind
    scope: Scope
    requested_at: AwareDatetime
    follow_up: int = Field(default=0, ge=0, description="0: asked for; n: the n-th job a job queued after itself")

    def dedup_key(self, window_seconds: int = 10) -> str:
        """Jobs of one kind for one scope within a short window are one job (debounce). A follow-up has its own
        key: it is queued seconds after the job it follows, whose key SQS still remembers."""
        bucket = int(self.requested_at.timestamp()) // window_seconds
        key = f"{self.kind}:{self.scope.key}:{bucket}"
        return f"{key}:{self.follow_up}" if self.follow_up else key


class ReflectionSchedule(BaseModel):
    """The schedule's Input JSON (the event *is* the input)."""

    model_config = ConfigDict(extra="forbid")

    max_scopes: int = Field(default=500, ge=1, le=10_000)
    min_observations: int | None = Field(default=None, ge=1)
    max_age_hours: float | None = Field(default=None, gt=0)


class ReindexRequest(BaseModel):
    """A one-off invocation (events/reflect/reindex.json): rebuild the search projection from the records."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["reindex"]
    recreate: bool = False
