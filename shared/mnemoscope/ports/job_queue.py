"""JobQueue port: per-scope jobs (consolidate, reflect), serialised per scope."""

from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from mnemoscope.domain.scope import Scope

JobKind = Literal["consolidate", "reflect"]


class ScopeJob(BaseModel):
    """'Scope S has work of this kind.' The worker reads what to do from the log, so a lost, repeated or
    late job loses and duplicates nothing."""

    model_config = ConfigDict(frozen=True)

    kind: JobKind
    scope: Scope
    requested_at: AwareDatetime

    def dedup_key(self, window_seconds: int = 10) -> str:
        """Jobs of one kind for one scope within a short window are one job (debounce)."""
        bucket = int(self.requested_at.timestamp()) // window_seconds
        return f"{self.kind}:{self.scope.key}:{bucket}"


class JobQueue(Protocol):
    def enqueue(self, job: ScopeJob) -> None:
        """Queue a job; duplicates of a pending job may be dropped. Raises DependencyUnavailable."""
        ...
