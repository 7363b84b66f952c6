"""The event source stand-in of `serve --backend aws` on moto's FIFO queue: SQS-shaped events, delete on success,
a reported failure stays on the queue (and blocks its group) until the visibility timeout."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mnemoscope.runtime.sqs_poller import SqsPoller


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "720"})
        yield sqs, url["QueueUrl"]


def _send(sqs: Any, url: str, body: str, group: str) -> None:
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)


def test_success_is_deleted_and_failure_stays_blocking_its_group(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        record = event["Records"][0]
        failed = json.loads(record["body"])["fail"]
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}] if failed else []}

    _send(sqs, url, json.dumps({"fail": True}), "alice")
    _send(sqs, url, json.dumps({"fail": False, "n": 2}), "alice")
    _send(sqs, url, json.dumps({"fail": False, "n": 3}), "bob")
    poller = SqsPoller(sqs, url, handler, batch_size=1)
    # When three polls run
    received = [poller.poll_once() for _ in range(3)]
    # Then alice's failed job is not deleted, her later job waits behind it, bob's runs
    assert received == [1, 1, 0]
    bodies = [json.loads(e["Records"][0]["body"]) for e in events]
    assert bodies == [{"fail": True}, {"fail": False, "n": 3}]
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":jobs.fifo")
    assert record["attributes"]["MessageGroupId"] == "alice"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # alice's failure, in flight until timeout
    assert attributes["ApproximateNumberOfMessages"] == "1"  # alice's second job, held behind it


def test_a_handler_that_raises_deletes_nothing(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    _send(sqs, url, "{}", "alice")

    def broken(event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    poller = SqsPoller(sqs, url, broken)
    with pytest.raises(RuntimeError):
        poller.poll_once()
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
