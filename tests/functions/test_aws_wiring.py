"""backend=aws builds the DynamoDB, SQS and OpenSearch adapters from settings, and the handlers run on them."""

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_event_outbox import DynamoDbEventOutbox
from mnemoscope.adapters.aws.dynamodb_memory_records import MEMORY_TABLE_DEFINITION
from mnemoscope.adapters.aws.eventbridge_memory_events import EventBridgeMemoryEvents
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.domain import memory_events
from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.services.memory_events import PublishingMemoryIndex
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, assemble, build_aws_memory_index, materialized, override_services
from mnemoscope.wiring.infrastructure import aws_infrastructure
from tests.contracts.builders import T0, memory
from tests.fakes.hash_embedder import HashEmbedder
from tests.functions.api_calls import call_event


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _settings(**extra: object) -> Settings:
    return Settings.model_validate(
        {
            "backend": "aws",
            "chat_table": "mnemoscope-chat",
            "memory_table": "mnemoscope-memories",
            "jobs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo",
            "opensearch_endpoint": "http://127.0.0.1:9",
            "opensearch_auth": "none",
            "opensearch_engine": "lucene",
            "embedder": "openai",
            "openai_api_key": "test-key",
            **extra,
        }
    )


def test_aws_settings_build_the_aws_adapters(aws: None) -> None:
    infra = aws_infrastructure(_settings())
    assert isinstance(infra.chat_log, DynamoDbChatLog)
    assert isinstance(materialized(infra.job_queue), SqsJobQueue)
    # The index and the embedder import an SDK (and may read a secret): built on first use.
    index = materialized(infra.memory_index)
    assert isinstance(index, ProjectedMemoryIndex)
    assert index.projection.index_name == "mnemoscope-memories"
    assert infra.embedder.dimension == 1536


@pytest.mark.parametrize("missing", ["chat_table", "memory_table"])
def test_aws_backend_without_a_table_is_refused(missing: str) -> None:
    with pytest.raises(ConfigurationError, match=f"MNEMOSCOPE_{missing.upper()}"):
        aws_infrastructure(_settings(**{missing: None}))


@pytest.mark.parametrize(("auth", "expected"), [("sigv4-aoss", 10.0), ("sigv4-es", 1.0), ("none", 1.0)])
def test_forget_waits_out_the_visibility_delay_of_the_target(aws: None, auth: str, expected: float) -> None:
    index = build_aws_memory_index(_settings(opensearch_auth=auth, aws_region="us-east-1"), 8)
    assert index._visibility_seconds == expected


def test_api_appends_to_dynamodb_and_enqueues_to_sqs(aws: None, tmp_path: object) -> None:
    # Given the real DynamoDB table and FIFO queue (moto) and an unreachable OpenSearch
    from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION

    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(TableName="mnemoscope-chat", **CHAT_TABLE_DEFINITION)
    dynamodb.create_table(TableName="mnemoscope-memories", **MEMORY_TABLE_DEFINITION)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    settings = _settings(jobs_queue_url=url)
    real = aws_infrastructure(settings)
    embedder = HashEmbedder()
    index = build_aws_memory_index(settings, embedder.dimension)
    infra = Infrastructure(real.chat_log, index, real.job_queue, embedder)
    override_services(assemble(settings, infra))
    try:
        # When
        status, _, _ = call_event("append_messages")
        # Then the turns are in DynamoDB and one job is on the queue
        assert status == 202
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        job = json.loads(received[0]["Body"])
        assert job["kind"] == "consolidate"
        assert received[0]["Attributes"]["MessageGroupId"].startswith("tenant-acme/")
        status, _, headers = call_event("search", body={"user_id": "alice", "agent_id": "travel-bot", "query": "x"})
        # OpenSearch is down: a 503 with Retry-After, never a 500
        assert status == 503
        assert "Retry-After" in headers
    finally:
        override_services(None)


def test_bedrock_models_are_built_on_first_use_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given bedrock for chat and embeddings, and no way to read a secret
    from aws_lambda_powertools.utilities import parameters

    from mnemoscope.adapters.models.bedrock_chat import BedrockChatModel
    from mnemoscope.adapters.models.bedrock_embedder import BedrockCohereEmbedder, BedrockTitanEmbedder
    from mnemoscope.wiring import build

    def no_secrets(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("bedrock needs no secret")

    monkeypatch.setattr(parameters, "get_secret", no_secrets)
    settings = _settings(
        embedder="bedrock", chat_provider="bedrock", aws_region="eu-west-1", openai_api_key=None, chat_model=None
    )
    # When
    services = build(settings)
    chat = materialized(services.chat_model)
    embedder = materialized(services.ports.embedder)
    # Then the defaults, in the stack's region, and no bedrock-runtime client yet
    assert isinstance(chat, BedrockChatModel) and chat.model_id == "bedrock:amazon.nova-lite-v1:0"
    assert isinstance(embedder, BedrockTitanEmbedder) and embedder.dimension == 1024
    assert chat._client._client is None and chat._client._region == "eu-west-1"
    # And a Cohere model id with its own region picks the Cohere adapter there
    cohere = _settings(embedder="bedrock", embedding_model="cohere.embed-multilingual-v3", bedrock_region="us-west-2")
    built = materialized(build(cohere).ports.embedder)
    assert isinstance(built, BedrockCohereEmbedder) and built._client._region == "us-west-2"


def test_a_named_bus_wires_eventbridge_and_no_bus_wires_nothing(aws: None) -> None:
    assert aws_infrastructure(_settings()).memory_events is None
    infra = aws_infrastructure(_settings(event_bus_name="default", event_source="acme.memory"))
    publisher = materialized(infra.memory_events)
    assert isinstance(publisher, EventBridgeMemoryEvents)
    assert publisher.entry(memory_events.deleted(memory("m1", "x"), T0))["Source"] == "acme.memory"
    # and every service writes through the publishing index; without an outbox table there is nothing to relay
    services = assemble(_settings(), infra)
    assert isinstance(services.memories._index, PublishingMemoryIndex)
    assert services.event_relay is None
    # With the outbox table the events are held around each write, and the reflect sweep relays the leftovers
    settings = _settings(event_bus_name="default", event_outbox_table="outbox")
    infra = aws_infrastructure(settings)
    assert isinstance(materialized(infra.memory_event_outbox), DynamoDbEventOutbox)
    assert assemble(settings, infra).event_relay is not None
