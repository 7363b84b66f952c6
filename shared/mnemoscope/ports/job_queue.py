"""JobQueue port: per-scope jobs (consolidate, reflect), serialised per scope."""

from typing import Literal, Protocol

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


class JobQueue(Protocol):
    def enqueue(self, job: ScopeJob) -> None:
        """Queue a job; duplicates of a pending job may be dropped. Raises DependencyUnavailable."""
        ...
