"""Healthy jobs never reach the DLQ: the template's BatchSize, Timeout and maxReceiveCount, driven with slow models.

A simulated SQS FIFO poller hands the consolidate function batches the way the event source mapping would, with
the template's numbers; the chat model takes 20 s per call (the slowest healthy call) and every job makes 2 calls
(extraction, then reconciliation against a similar memory). Time is compressed: the model advances a fake clock
that the Lambda context reads its remaining time from, so nothing sleeps. The same poller with the old numbers
(BatchSize 10) sends healthy jobs to the DLQ, so the simulation can tell the two apart.
"""

import copy
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from functions.consolidate.handler import lambda_handler as consolidate_handler
from mnemoscope.adapters.models.structured import RawReply, TransientModelError
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.contracts.builders import message
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.infra.test_template import RESOURCES, prop

SECONDS_PER_CALL = 20.0
FACT = "The user works as a nurse."


@dataclass
class FakeTime:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


class SlowModel(ScriptedChatModel):
    """Answers extraction and reconciliation correctly, each call taking `seconds` of fake time (cut at the
    request's timeout, as a real client's read timeout would)."""

    def __init__(self, time: FakeTime, seconds: float) -> None:
        super().__init__(max_retries=2)
        self.time, self._seconds = time, seconds

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        self.requests.append(list(messages))
        if self._seconds > timeout:
            self.time.now += timeout
            raise TransientModelError(f"read timeout after {timeout:.0f} s")
        self.time.now += self._seconds
        prompt = "\n".join(m.content for m in messages)
        if '"decisions"' in prompt:
            text = as_json({"decisions": [{"fact": "F1", "decision": "repeat", "target": "M1"}]})
        else:
            turn = next(line for line in prompt.splitlines() if "m1" in line)
            assert turn
            text = as_json({"turns": [{"message_id": "m1", "score": 3, "facts": [{"content": FACT}]}]})
        return RawReply(text, TokenUsage(requests=1))


@dataclass
class Message:
    job: ScopeJob
    group: str
    receives: int = 0


@dataclass
class FifoPoller:
    """What Lambda's SQS FIFO event source mapping does with BatchSize, the function Timeout and the redrive
    policy: a failed (or timed-out) record becomes visible again and counts a receive; at maxReceiveCount it moves
    to the DLQ."""

    batch_size: int
    timeout: float
    max_receives: int
    time: FakeTime
    queue: deque[Message] = field(default_factory=deque)
    dlq: list[Message] = field(default_factory=list)
    invocations: int = 0

    def run(self) -> None:
        template = load_event("consolidate/one_job.json")["Records"][0]
        while self.queue:
            batch = [self.queue.popleft() for _ in range(min(self.batch_size, len(self.queue)))]
            records = []
            for i, msg in enumerate(batch):
                msg.receives += 1
                record = copy.deepcopy(template) | {"messageId": f"{msg.group}-{i}", "body": msg.job.model_dump_json()}
                record["attributes"] |= {"MessageGroupId": msg.group, "ApproximateReceiveCount": str(msg.receives)}
                records.append(record)
            context = LocalLambdaContext("consolidate", timeout_seconds=self.timeout, monotonic=self.time)
            result = consolidate_handler({"Records": records}, context)
            self.invocations += 1
            timed_out = context.get_remaining_time_in_millis() <= 0
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            for record, msg in zip(records, batch, strict=True):
                if timed_out or record["messageId"] in failed:
                    (self.dlq.append if msg.receives >= self.max_receives else self.queue.append)(msg)


def _template_numbers() -> tuple[int, float, int]:
    [event] = RESOURCES["ConsolidateFunction"]["Properties"]["Events"].values()
    queue = RESOURCES["ScopeJobsQueue"]["Properties"]
    return (
        int(event["Properties"]["BatchSize"]),
        float(prop("ConsolidateFunction", "Timeout")),
        int(queue["RedrivePolicy"]["maxReceiveCount"]),
    )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def chat_model(fake_time: FakeTime) -> SlowModel:
    """Overrides conftest's: the local_services graph is built with the slow model."""
    return SlowModel(fake_time, SECONDS_PER_CALL)


def _drive(services: Services, numbers: tuple[int, float, int], jobs: int) -> FifoPoller:
    assert isinstance(services.chat_model, SlowModel)
    batch_size, timeout, max_receives = numbers
    poller = FifoPoller(batch_size, timeout, max_receives, services.chat_model.time)
    for i in range(jobs):
        scope = Scope(tenant_id="tenant-acme", user_id=f"user-{i}")
        services.memories.add_custom(scope, FACT)  # a similar memory: reconciliation is call 2 of every job
        services.ports.chat_log.append(scope, [message(1, content="I work as a nurse.")])
        job = ScopeJob(kind="consolidate", scope=scope, requested_at=services.clock.now())
        poller.queue.append(Message(job=job, group=scope.key))
    poller.run()
    return poller


def test_with_the_template_numbers_no_healthy_job_reaches_the_dlq(
    local_services: Services, chat_model: SlowModel
) -> None:
    # When ten jobs of 2 calls x 20 s run through the template's queue settings
    poller = _drive(local_services, _template_numbers(), jobs=10)
    # Then every job ran both calls once and none was dead-lettered
    assert poller.dlq == []
    assert len(chat_model.requests) == 2 * 10
    for i in range(10):
        assert local_services.ports.chat_log.pending(Scope(tenant_id="tenant-acme", user_id=f"user-{i}")) == []


def test_the_old_numbers_sent_healthy_jobs_to_the_dlq(local_services: Services) -> None:
    # The setting: 10 jobs sharing one 120 s invocation, 3 receives.
    poller = _drive(local_services, (10, 120.0, 3), jobs=10)
    assert poller.dlq != []


def test_the_template_numbers_are_what_the_simulation_used() -> None:
    batch_size, timeout, max_receives = _template_numbers()
    worst_healthy_job = 2 * SECONDS_PER_CALL
    # Each invocation must fit its whole batch of worst-case healthy jobs, with room for the I/O around them.
    assert batch_size * worst_healthy_job <= timeout / 2
    assert max_receives >= 2
    assert json.loads(json.dumps(RESOURCES["ScopeJobsQueue"]["Properties"]["VisibilityTimeout"])) >= 6 * timeout
