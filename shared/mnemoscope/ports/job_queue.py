"""JobQueue port: per-scope jobs (consolidate, reflect), serialised per scope. The job itself is a wire schema
(`mnemoscope.contracts.jobs.ScopeJob`): it is the SQS message body."""

from typing import Protocol

from mnemoscope.contracts.jobs import ScopeJob


class JobQueue(Protocol):
    def enqueue(self, job: ScopeJob) -> None:
        """Queue a job; duplicates of a pending job may be dropped. Raises DependencyUnavailable."""
        ...
