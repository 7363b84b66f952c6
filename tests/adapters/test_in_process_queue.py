"""The local queue: SQS-shaped events, de-duplication, one job at a time, bounded retries."""

import threading
from datetime import UTC, datetime
from typing import Any

from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
from mnemoscope.contracts.jobs import ScopeJob
from tests.contracts.builders import scope

AT = datetime(2024, 8, 2, tzinfo=UTC)


def job(user: str = "alice", kind: str = "consolidate") -> ScopeJob:
    return ScopeJob.model_validate({"kind": kind, "scope": scope(user), "requested_at": AT})


def test_jobs_arrive_as_sqs_events_one_at_a_time_and_duplicates_collapse() -> None:
    seen: list[dict[str, Any]] = []
    gate = threading.Event()

    def dispatch(event: dict[str, Any]) -> dict[str, Any]:
        gate.wait(5)
        seen.append(event)
        return {"batchItemFailures": []}

    queue = InProcessJobQueue(dispatch)
    queue.start()
    queue.enqueue(job("alice"))
    queue.enqueue(job("bob"))
    queue.enqueue(job("bob"))  # waiting already: dropped
    gate.set()
    assert queue.wait_idle(10)
    queue.stop()
    bodies = [ScopeJob.model_validate_json(e["Records"][0]["body"]) for e in seen]
    assert [b.scope.user_id for b in bodies] == ["alice", "bob"]
    record = seen[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["attributes"]["MessageGroupId"] == scope("alice").key


def test_failed_jobs_are_retried_a_bounded_number_of_times() -> None:
    calls: list[int] = []
    errors: list[object] = []

    def dispatch(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return {"batchItemFailures": [{"itemIdentifier": "x"}]}

    queue = InProcessJobQueue(dispatch, lambda j, e: errors.append(e), max_attempts=3, retry_delay_seconds=0.01)
    queue.start()
    queue.enqueue(job())
    deadline = threading.Event()
    for _ in range(200):
        if len(calls) >= 3 and queue.wait_idle(0.05):
            break
        deadline.wait(0.02)
    deadline.wait(0.2)
    queue.stop()
    assert len(calls) == 3
    assert len(errors) == 3


def test_consolidate_and_reflect_of_one_scope_never_overlap() -> None:
    active: list[int] = [0]
    peak: list[int] = [0]
    lock = threading.Lock()

    def dispatch(event: dict[str, Any]) -> dict[str, Any]:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        threading.Event().wait(0.05)
        with lock:
            active[0] -= 1
        return {"batchItemFailures": []}

    queue = InProcessJobQueue(dispatch)
    queue.start()
    for kind in ("consolidate", "reflect", "consolidate", "reflect"):
        queue.enqueue(job("alice", kind))
        threading.Event().wait(0.01)
    assert queue.wait_idle(10)
    queue.stop()
    assert peak[0] == 1


def test_a_job_awaiting_its_retry_holds_back_later_jobs_of_its_scope_only() -> None:
    # Given alice's consolidate job fails once, and alice's reflect job and bob's job are queued behind it
    order: list[str] = []

    def dispatch(event: dict[str, Any]) -> dict[str, Any]:
        body = ScopeJob.model_validate_json(event["Records"][0]["body"])
        name = f"{body.scope.user_id}:{body.kind}"
        order.append(name)
        failed = name == "alice:consolidate" and order.count(name) == 1
        return {"batchItemFailures": [{"itemIdentifier": "x"}] if failed else []}

    queue = InProcessJobQueue(dispatch, max_attempts=3, retry_delay_seconds=0.05)
    queue.enqueue(job("alice", "consolidate"))
    queue.enqueue(job("alice", "reflect"))
    queue.enqueue(job("bob", "consolidate"))
    queue.enqueue(job("alice", "reflect"))  # a duplicate of the held job: dropped

    # When
    queue.start()
    assert queue.wait_idle(10)
    queue.stop()

    # Then bob went on, and alice's reflect ran only after her retried consolidate, as in SQS FIFO
    assert order == ["alice:consolidate", "bob:consolidate", "alice:consolidate", "alice:reflect"]


def test_a_job_given_up_releases_the_jobs_held_behind_it() -> None:
    order: list[str] = []

    def dispatch(event: dict[str, Any]) -> dict[str, Any]:
        body = ScopeJob.model_validate_json(event["Records"][0]["body"])
        order.append(body.kind)
        return {"batchItemFailures": [{"itemIdentifier": "x"}] if body.kind == "consolidate" else []}

    queue = InProcessJobQueue(dispatch, max_attempts=2, retry_delay_seconds=0.01)
    queue.enqueue(job("alice", "consolidate"))
    queue.enqueue(job("alice", "reflect"))
    queue.start()
    assert queue.wait_idle(10)
    queue.stop()
    assert order == ["consolidate", "consolidate", "reflect"]
