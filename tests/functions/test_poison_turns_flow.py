"""Poison turns end to end: SQS-shaped jobs through the consolidate function, turns read back and retried through
the api function, and FIFO order per scope under partial batch failure."""

import re
from collections.abc import Sequence

import pytest

from functions.consolidate.handler import lambda_handler as consolidate_handler
from mnemoscope.adapters.local.in_process_queue import sqs_event
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints import consolidate as consolidate_entrypoint
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.ports.memory_index import ANY
from mnemoscope.services.poison import PoisonPolicy
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.contracts.builders import message
from tests.fakes.recording_queue import RecordingJobQueue
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.functions.api_calls import call_event

ALICE = Scope(tenant_id="tenant-acme", user_id="alice")
BOB = Scope(tenant_id="tenant-acme", user_id="bob")
POISON = "POISON"


class Behaviour:
    """What the scripted model does: garbage for the poison (until fixed), an outage for a word, else one fact per
    user turn shown. Counts the requests that showed each word."""

    def __init__(self) -> None:
        self.poison_fixed = False
        self.down_for = "DOWN"
        self.seen: dict[str, int] = {}

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        text = " ".join(m.content for m in messages)
        for word in re.findall(r"\b[A-Z]{4,}\b", text):
            self.seen[word] = self.seen.get(word, 0) + 1
        if self.down_for in text:
            raise DependencyUnavailable("model unavailable")
        if POISON in text and not self.poison_fixed:
            return "Sorry, I can't help with that."
        ids = re.findall(r"^\[([^\]]+)\] USER ", messages[-1].content, flags=re.MULTILINE)
        if not ids:  # a reconcile question: everything is new
            labels = re.findall(r"^(F\d+) \(", messages[-1].content, flags=re.MULTILINE)
            return as_json({"decisions": [{"fact": label, "decision": "new", "target": None} for label in labels]})
        facts = [
            {"message_id": i, "score": 3, "facts": [{"content": f"The user owns item {i}.", "keywords": [i]}]}
            for i in ids
        ]
        return as_json({"turns": facts})


@pytest.fixture
def behaviour() -> Behaviour:
    return Behaviour()


@pytest.fixture
def chat_model(behaviour: Behaviour) -> ScriptedChatModel:
    return ScriptedChatModel([behaviour] * 500)


def run_queue(job_queue: RecordingJobQueue, limit: int = 40) -> list[dict[str, object]]:
    """Deliver queued jobs to the consolidate function one SQS event at a time, as the FIFO queue would."""
    results: list[dict[str, object]] = []
    while job_queue.jobs and len(results) < limit:
        job = job_queue.jobs.pop(0)
        results.append(consolidate_handler(sqs_event(job), LocalLambdaContext("consolidate")))
    assert not job_queue.jobs, "jobs kept coming"
    return results


def turns_of(user_id: str, agent_id: str = "default", **query: str) -> list[dict[str, object]]:
    status, body, _ = call_event("list_memories", path="/v1/messages", query={"user_id": user_id, **query})
    assert status == 200, body
    return list(body["messages"])


def test_a_poison_turn_is_quarantined_listed_and_retried_through_the_api(
    local_services: Services,
    job_queue: RecordingJobQueue,
    behaviour: Behaviour,
    chat_model: ScriptedChatModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emitted: list[tuple[str, float]] = []
    monkeypatch.setattr(
        consolidate_entrypoint.metrics, "add_metric", lambda name, unit, value: emitted.append((name, value))
    )
    # Given a poison turn A and good turns B, C posted through the API
    turns = [("A", f"{POISON} please"), ("B", "I own a red bicycle."), ("C", "I own a green kayak.")]
    body = {"user_id": "alice", "messages": [{"id": i, "role": "user", "content": c} for i, c in turns]}
    status, _, _ = call_event("append_messages", body=body)
    assert status == 202

    # When the queue delivers the job and every follow-up it asks for
    results = run_queue(job_queue)

    # Then no SQS record failed, B and C became observations, and A is listed as quarantined
    assert all(r == {"batchItemFailures": []} for r in results)
    listed = {t["id"]: t for t in turns_of("alice")}
    assert [t["id"] for t in turns_of("alice")] == ["C", "B", "A"]  # newest first
    assert (listed["B"]["state"], listed["C"]["state"]) == ("consolidated", "consolidated")
    quarantined = listed["A"]
    assert quarantined["state"] == "quarantined"
    record = quarantined["quarantine"]
    assert isinstance(record, dict) and record["error"] == "LlmOutputInvalid"
    assert 1 <= record["attempts"] <= PoisonPolicy().max_failed_jobs(3)
    sources = {
        s for m in local_services.ports.memory_index.list(ALICE, ANY, limit=50).items for s in m.source_message_ids
    }
    assert sources == {"B", "C"}
    assert ("TurnsQuarantined", 1) in emitted
    assert sum(1 for name, _ in emitted if name == "JobsRetry") == record["attempts"]  # each counted failure
    # and the model saw the poison no more often than the bound allows (2 requests per failed job)
    assert behaviour.seen[POISON] <= 2 * PoisonPolicy().max_failed_jobs(3)

    # When the model is fixed and the user retries
    behaviour.poison_fixed = True
    status, accepted, _ = call_event("append_messages", path="/v1/messages/retry", body={"user_id": "alice"})
    assert (status, accepted) == (202, {"released": 1, "message_ids": ["A"], "job": "queued"})
    run_queue(job_queue)

    # Then A is consolidated too
    assert {t["id"]: t["state"] for t in turns_of("alice")} == {
        "A": "consolidated",
        "B": "consolidated",
        "C": "consolidated",
    }
    status, again, _ = call_event("append_messages", path="/v1/messages/retry", body={"user_id": "alice"})
    assert (status, again["released"], again["job"], job_queue.jobs) == (202, 0, "none", [])


def test_turns_page_newest_first_and_a_bad_cursor_is_a_400(local_services: Services) -> None:
    local_services.ports.chat_log.append(ALICE, [message(i) for i in range(1, 6)])
    status, first, _ = call_event("list_memories", path="/v1/messages", query={"user_id": "alice", "limit": "2"})
    assert status == 200 and [t["id"] for t in first["messages"]] == ["m5", "m4"]
    assert all(t["state"] == "pending" for t in first["messages"])
    query = {"user_id": "alice", "limit": "2", "cursor": first["next_cursor"]}
    _, second, _ = call_event("list_memories", path="/v1/messages", query=query)
    assert [t["id"] for t in second["messages"]] == ["m3", "m2"]
    status, error, _ = call_event("list_memories", path="/v1/messages", query={"user_id": "alice", "cursor": "x"})
    assert status == 400 and error["error"]["fields"] == ["cursor"]
    status, error, _ = call_event("list_memories", path="/v1/messages", query={"user_id": "alice", "limit": "0"})
    assert status == 422 and error["error"]["fields"] == ["limit"]
    # another tenant sees nothing of alice's
    status, other, _ = call_event(
        "list_memories", path="/v1/messages", query={"user_id": "alice"}, tenant="tenant-other"
    )
    assert status == 200 and other["messages"] == []


def test_retry_validates_its_body() -> None:
    body = {"user_id": "alice", "message_ids": ["ok", "not ok"], "surprise": 1}
    status, error, _ = call_event("append_messages", path="/v1/messages/retry", body=body)
    assert status == 422 and set(error["error"]["fields"]) == {"message_ids[1]", "surprise"}


def test_a_failed_record_fails_the_later_records_of_its_scope_and_not_other_scopes(
    local_services: Services, behaviour: Behaviour
) -> None:
    # Given alice's turns reach a model that is down, bob's do not
    local_services.ports.chat_log.append(ALICE, [message(1, content="DOWN for alice")])
    local_services.ports.chat_log.append(BOB, [message(1, content="I own a blue KAYAK.")])
    event = load_event("consolidate/fifo_two_groups_one_fails.json")
    ids = [r["messageId"] for r in event["Records"]]

    # When one SQS FIFO batch holds alice's job, bob's job, then two later jobs of alice
    result = consolidate_handler(event, LocalLambdaContext("consolidate"))

    # Then alice's first job failed and her later jobs were returned unprocessed, in order; bob's went through
    assert result == {"batchItemFailures": [{"itemIdentifier": i} for i in (ids[0], ids[2], ids[3])]}
    assert behaviour.seen["DOWN"] == 1  # alice's second consolidate job never reached the model
    assert local_services.ports.chat_log.pending(BOB) == []
    assert len(local_services.ports.chat_log.pending(ALICE)) == 1
