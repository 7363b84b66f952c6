"""The consolidate (SQS batch) and reflect (schedule) functions, driven by events/."""

from datetime import timedelta

import pytest

from functions.consolidate.handler import lambda_handler as consolidate_handler
from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.contracts.builders import message
from tests.fakes.recording_queue import RecordingJobQueue
from tests.fakes.scripted_chat_model import ScriptedChatModel

pytestmark = pytest.mark.usefixtures("local_services")
ALICE = Scope(tenant_id="tenant-acme", user_id="alice")


def test_without_a_model_jobs_are_acknowledged_and_turns_wait(local_services: Services) -> None:
    # Given turns in the log and no chat model
    local_services.ports.chat_log.append(ALICE, [message(1), message(2)])
    # When the queue delivers a job
    result = consolidate_handler(load_event("consolidate/one_job.json"), LocalLambdaContext("consolidate"))
    # Then the job succeeds as "paused" and nothing is lost
    assert result == {"batchItemFailures": []}
    assert len(local_services.ports.chat_log.pending(ALICE)) == 2


def test_a_poison_record_fails_alone(local_services: Services) -> None:
    result = consolidate_handler(load_event("consolidate/two_jobs_one_poison.json"), LocalLambdaContext("c"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}


def test_schedule_enqueues_reflect_jobs_for_due_scopes(local_services: Services, job_queue: RecordingJobQueue) -> None:
    now = local_services.clock.now()
    busy, idle = ALICE, ALICE.model_copy(update={"user_id": "idle"})
    for scope in (busy, idle):
        local_services.ports.chat_log.append(scope, [message(1)])
    local_services.ports.chat_log.advance_watermark(busy, 1, new_observations=6, at=now)
    local_services.ports.chat_log.advance_watermark(idle, 1, new_observations=1, at=now - timedelta(hours=1))
    # When
    result = reflect_handler(load_event("reflect/schedule.json"), LocalLambdaContext("reflect"))
    # Then only the scope with enough observations is due
    assert result == {"enqueued": 1, "backlog": 0}
    assert [(j.kind, j.scope) for j in job_queue.jobs] == [("reflect", busy)]


def test_an_empty_schedule_input_uses_the_defaults(job_queue: RecordingJobQueue) -> None:
    result = reflect_handler(load_event("reflect/schedule_empty.json"), LocalLambdaContext("reflect"))
    assert result == {"enqueued": 0, "backlog": 0}
    assert job_queue.jobs == []


def test_an_invalid_schedule_input_fails_loudly() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        reflect_handler(load_event("reflect/schedule_invalid.json"), LocalLambdaContext("reflect"))
    assert {e["loc"][0] for e in error.value.errors()} == {"max_scopes", "surprise"}


@pytest.mark.parametrize("chat_model", [ScriptedChatModel()])  # overrides the conftest fixture: a model is set
def test_with_a_model_the_sweep_also_queues_the_waiting_backlog(
    local_services: Services, job_queue: RecordingJobQueue
) -> None:
    # Given turns that arrived while no model was configured, and now a model
    local_services.ports.chat_log.append(ALICE, [message(1), message(2)])
    # When the schedule fires
    result = reflect_handler(load_event("reflect/schedule.json"), LocalLambdaContext("reflect"))
    # Then a consolidation job is queued for the backlog
    assert result == {"enqueued": 0, "backlog": 1}
    assert [(j.kind, j.scope) for j in job_queue.jobs] == [("consolidate", ALICE)]
