from mnemoscope.contracts.jobs import ScopeJob


class RecordingJobQueue:
    """A JobQueue that records what was enqueued (and can be made to fail)."""

    def __init__(self) -> None:
        self.jobs: list[ScopeJob] = []
        self.fail_with: Exception | None = None

    def enqueue(self, job: ScopeJob) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.jobs.append(job)
