"""All three functions on the AWS adapters: DynamoDB and SQS under moto, the search projection in the real
OpenSearch node, once as a managed domain and once behind the Serverless-constraints proxy.

api: POST /v1/messages → the turn in DynamoDB and a job on the FIFO queue → consolidate: the SQS record → an
observation record in DynamoDB and its projection in OpenSearch → api: search finds it → reflect: the schedule
enqueues a reflect job → consolidate runs it → a contradicting turn supersedes the observation → forget the user:
no record and no projection document is left."""

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.consolidate.handler import lambda_handler as consolidate_handler
from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, Services, assemble, override_services, services
from tests import opensearch_target
from tests.conftest import load_event
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.functions.api_calls import call_event
from tests.opensearch_target import SearchTarget

ALICE = Scope(tenant_id="tenant-acme", user_id="alice")
pytestmark = pytest.mark.opensearch
search_target = opensearch_target.search_target  # the node as a domain, then as a Serverless collection


@pytest.fixture
def stack(search_target: SearchTarget) -> Iterator[tuple[Services, str, ScriptedChatModel]]:
    with mock_aws():
        boto3.client("dynamodb").create_table(TableName="chat", **CHAT_TABLE_DEFINITION)
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        embedder = HashEmbedder()
        model = ScriptedChatModel()
        infra = Infrastructure(
            chat_log=DynamoDbChatLog("chat"),
            memory_index=search_target.memory_index("memories", embedder.dimension),
            job_queue=SqsJobQueue(url),
            embedder=embedder,
        )
        settings = Settings.model_validate(
            {
                "backend": "aws",
                "chat_table": "chat",
                "memory_table": "memories",
                "jobs_queue_url": url,
                # Hash vectors of related sentences are not close: let every neighbour reach the reconcile step.
                "consolidation_min_similarity": 0.0,
            }
        )
        override_services(assemble(settings, infra, chat_model=model))
        try:
            yield services(), url, model
        finally:
            override_services(None)


def _deliver(queue_url: str) -> dict[str, Any]:
    """Receive the queue's messages and hand them to the consolidate function as SQS would."""
    received = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    template = load_event("consolidate/one_job.json")["Records"][0]
    records = [copy.deepcopy(template) | {"messageId": m["MessageId"], "body": m["Body"]} for m in received]
    result: dict[str, Any] = consolidate_handler({"Records": records}, LocalLambdaContext("consolidate"))
    # Like Lambda's poller: delete what succeeded (a FIFO group stays blocked while a message is in flight).
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for message in received:
        if message["MessageId"] not in failed:
            boto3.client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return result


def test_turn_to_memory_through_all_three_functions(
    stack: tuple[Services, str, ScriptedChatModel], search_target: SearchTarget
) -> None:
    services, queue_url, model = stack
    # Given a turn posted to the api function
    body = {"user_id": "alice", "messages": [{"role": "user", "content": "I work as a nurse.", "id": "m-1"}]}
    assert call_event("append_messages", body=body)[0] == 202
    # When the queue delivers the job to the consolidate function (the model extracts one fact)
    fact = {"content": "The user works as a nurse.", "keywords": ["job", "nurse"]}
    model.script(as_json({"turns": [{"message_id": "m-1", "score": 3, "facts": [fact]}]}))
    assert _deliver(queue_url) == {"batchItemFailures": []}
    # Then the observation is a record at once, and searchable once the index shows it (eventually consistent)
    status, listed, _ = call_event("list_memories", query={"user_id": "alice"})
    assert [m["content"] for m in listed["memories"]] == ["The user works as a nurse."]
    search_target.settle()
    status, found, _ = call_event("search", body={"user_id": "alice", "query": "nurse job"})
    assert status == 200
    assert [m["content"] for m in found["memories"]] == ["The user works as a nurse."]
    assert found["recent"] == []
    memory_id = found["memories"][0]["id"]
    _, got, _ = call_event("get_memory", path=f"/v1/memories/{memory_id}")
    assert [m["id"] for m in got["lineage"]["source_messages"]] == ["m-1"]
    # And the schedule finds the scope due; its reflect job runs through the same queue and function
    assert services.ports.chat_log.state(ALICE).unreflected_observations == 1
    assert reflect_handler({"min_observations": 1}, LocalLambdaContext("reflect")) == {"enqueued": 1, "backlog": 0}
    assert _deliver(queue_url) == {"batchItemFailures": []}
    assert services.ports.chat_log.state(ALICE).unreflected_observations == 0
    # When a later turn contradicts it, the new observation supersedes the old one
    body = {"user_id": "alice", "messages": [{"role": "user", "content": "I quit; I am a teacher now.", "id": "m-2"}]}
    assert call_event("append_messages", body=body)[0] == 202
    teacher = {"content": "The user works as a teacher.", "keywords": ["job", "teacher"]}
    model.script(
        as_json({"turns": [{"message_id": "m-2", "score": 3, "facts": [teacher]}]}),
        as_json({"decisions": [{"fact": "F1", "decision": "contradicts", "target": "M1"}]}),
    )
    assert _deliver(queue_url) == {"batchItemFailures": []}
    # Then search shows only the teacher, at once (the record re-check hides the superseded nurse) and later
    _, found, _ = call_event("search", body={"user_id": "alice", "query": "nurse teacher job"})
    assert "The user works as a nurse." not in [m["content"] for m in found["memories"]]
    search_target.settle()
    _, found, _ = call_event("search", body={"user_id": "alice", "query": "nurse teacher job"})
    assert [m["content"] for m in found["memories"]] == ["The user works as a teacher."]
    _, old, _ = call_event("get_memory", path=f"/v1/memories/{memory_id}")
    assert old["memory"]["status"] == "expired"
    # When the user is forgotten
    assert call_event("forget_user")[0] == 204
    # Then no record is left, and the node holds no projection document of the scope
    _, listed, _ = call_event("list_memories", query={"user_id": "alice"})
    assert listed["memories"] == []
    assert call_event("get_memory", path=f"/v1/memories/{memory_id}")[0] == 404
    index_name = services.ports.memory_index.projection.index_name  # type: ignore[attr-defined]
    assert search_target.eventually(
        lambda: search_target.node_documents(index_name, {"term": {"scope_key": ALICE.key}}) == []
    )
