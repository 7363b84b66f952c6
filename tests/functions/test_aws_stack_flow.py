"""All three functions on the AWS adapters: DynamoDB and SQS under moto, memories in the real OpenSearch node.

api: POST /v1/messages → the turn in DynamoDB and a job on the FIFO queue → consolidate: the SQS record → an
observation in OpenSearch → api: search finds it → reflect: the schedule enqueues a reflect job → consolidate
runs it."""

import copy
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.consolidate.handler import lambda_handler as consolidate_handler
from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.adapters.aws.dynamodb_chat_log import CHAT_TABLE_DEFINITION, DynamoDbChatLog
from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_index import OpenSearchMemoryIndex
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.context import LocalLambdaContext
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, Services, assemble, override_services, services
from tests.conftest import load_event
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.functions.api_calls import call_event

URL_VARIABLE = "MNEMOSCOPE_TEST_OPENSEARCH_URL"
ALICE = Scope(tenant_id="tenant-acme", user_id="alice")
pytestmark = pytest.mark.opensearch


@pytest.fixture
def opensearch_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{URL_VARIABLE} is not set: CI must start the OpenSearch node (infra/opensearch/start.sh)")
        pytest.skip(f"no OpenSearch node: run `make opensearch`, then set {URL_VARIABLE}=http://127.0.0.1:9200")
    return url


@pytest.fixture
def stack(opensearch_url: str) -> Iterator[tuple[Services, str, ScriptedChatModel]]:
    index_name = f"test-flow-{uuid.uuid4().hex[:8]}"
    client = opensearch_client(opensearch_url, auth="none")
    with mock_aws():
        boto3.client("dynamodb").create_table(TableName="chat", **CHAT_TABLE_DEFINITION)
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        embedder = HashEmbedder()
        model = ScriptedChatModel()
        infra = Infrastructure(
            chat_log=DynamoDbChatLog("chat"),
            memory_index=OpenSearchMemoryIndex(client, index_name, embedder.dimension, engine="lucene"),
            job_queue=SqsJobQueue(url),
            embedder=embedder,
        )
        settings = Settings.model_validate({"backend": "aws", "chat_table": "chat", "jobs_queue_url": url})
        override_services(assemble(settings, infra, chat_model=model))
        try:
            yield services(), url, model
        finally:
            override_services(None)
            client.indices.delete(index=index_name, ignore_unavailable=True)


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


def test_turn_to_memory_through_all_three_functions(stack: tuple[Services, str, ScriptedChatModel]) -> None:
    services, queue_url, model = stack
    # Given a turn posted to the api function
    body = {"user_id": "alice", "messages": [{"role": "user", "content": "I work as a nurse.", "id": "m-1"}]}
    assert call_event("append_messages", body=body)[0] == 202
    # When the queue delivers the job to the consolidate function (the model extracts one fact)
    fact = {"content": "The user works as a nurse.", "keywords": ["job", "nurse"]}
    model.script(as_json({"turns": [{"message_id": "m-1", "score": 3, "facts": [fact]}]}))
    assert _deliver(queue_url) == {"batchItemFailures": []}
    # Then the observation is in OpenSearch, with lineage to the turn in DynamoDB
    status, found, _ = call_event("search", body={"user_id": "alice", "query": "nurse job"})
    assert status == 200
    assert [m["content"] for m in found["memories"]] == ["The user works as a nurse."]
    assert found["recent"] == []
    memory_id = found["memories"][0]["id"]
    _, got, _ = call_event("get_memory", path=f"/v1/memories/{memory_id}")
    assert [m["id"] for m in got["lineage"]["source_messages"]] == ["m-1"]
    # And the schedule finds the scope due; its reflect job runs through the same queue and function
    assert services.chat_log.state(ALICE).unreflected_observations == 1
    assert reflect_handler({"min_observations": 1}, LocalLambdaContext("reflect")) == {"enqueued": 1, "backlog": 0}
    assert _deliver(queue_url) == {"batchItemFailures": []}
    assert services.chat_log.state(ALICE).unreflected_observations == 0
