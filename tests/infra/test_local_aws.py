"""`make local-aws` creates what template.yaml defines (read from it, not copied) and writes an env file whose every
variable the template declares (SAM's --env-vars silently drops any other)."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from infra.local_aws.provision import create_queues, create_tables
from infra.local_aws.resources import local_stack
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_memory_records import MEMORY_TABLE_DEFINITION
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION
from mnemoscope.settings import Settings
from tests.infra.test_events import EVENTS
from tests.infra.test_template import RESOURCES, environment


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _indexes(description: dict[str, Any], kind: str) -> dict[str, Any]:
    return {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in description.get(kind, [])}


def test_tables_are_created_with_the_template_keys_and_indexes(aws: None) -> None:
    dynamodb = boto3.client("dynamodb")
    stack = local_stack()
    names = create_tables(dynamodb, stack)
    for logical_id, definition in (("ChatTable", CHAT_TABLE_DEFINITION), ("MemoryTable", MEMORY_TABLE_DEFINITION)):
        table = dynamodb.describe_table(TableName=names[logical_id])["Table"]
        properties = RESOURCES[logical_id]["Properties"]
        assert table["KeySchema"] == properties["KeySchema"] == definition["KeySchema"]
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            expected = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in properties.get(kind, [])}
            assert _indexes(table, kind) == expected
    ttl = dynamodb.describe_time_to_live(TableName=names["ChatTable"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == RESOURCES["ChatTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]


def test_queues_are_fifo_with_the_template_attributes_and_redrive(aws: None) -> None:
    sqs = boto3.client("sqs")
    urls = create_queues(sqs, local_stack().queues)
    jobs = sqs.get_queue_attributes(QueueUrl=urls["ScopeJobsQueue"], AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=urls["ScopeJobsDlq"], AttributeNames=["All"])["Attributes"]
    template = RESOURCES["ScopeJobsQueue"]["Properties"]
    assert jobs["FifoQueue"] == dlq["FifoQueue"] == "true"
    assert int(jobs["VisibilityTimeout"]) == template["VisibilityTimeout"]
    assert int(jobs["MessageRetentionPeriod"]) == template["MessageRetentionPeriod"]
    assert jobs["ContentBasedDeduplication"] == "false"
    redrive = json.loads(jobs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == template["RedrivePolicy"]["maxReceiveCount"]
    assert urls["ScopeJobsQueue"].endswith("mnemoscope-local-scope-jobs.fifo")  # the template's !Sub, Stage=local


def test_worker_follows_the_event_source_and_the_schedule() -> None:
    worker = local_stack().worker
    event = RESOURCES["ConsolidateFunction"]["Properties"]["Events"]["ScopeJobs"]["Properties"]
    schedule = RESOURCES["ReflectFunction"]["Properties"]["Events"]["Every15Minutes"]["Properties"]
    assert worker.batch_size == event["BatchSize"]
    assert (worker.reflect_every_seconds, worker.reflect_input) == (900, json.loads(schedule["Input"]))


@pytest.mark.parametrize("function", ["ApiFunction", "ConsolidateFunction", "ReflectFunction"])
def test_env_local_sets_only_variables_sam_will_pass(function: str) -> None:
    variables = json.loads((EVENTS / "env.local.json").read_text())[function]
    assert set(variables) <= set(environment(function))
    settings = Settings.model_validate({k.removeprefix("MNEMOSCOPE_").lower(): v for k, v in variables.items()})
    names = {t.logical_id: t.name for t in local_stack().tables}
    assert (settings.chat_table, settings.memory_table) == (names["ChatTable"], names["MemoryTable"])
    assert settings.aws_endpoint_url and "host.docker.internal" in settings.aws_endpoint_url
