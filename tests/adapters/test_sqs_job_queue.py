"""SqsJobQueue against a moto FIFO queue: groups, deduplication, body shape, error mapping."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue, deduplication_id, message_group_id
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import DependencyUnavailable
from tests.contracts.builders import T0, scope

# What SQS accepts for MessageGroupId / MessageDeduplicationId.
SQS_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("sqs")
        url = client.create_queue(
            QueueName="scope-jobs.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
        )["QueueUrl"]
        yield client, url


def receive_all(client: Any, url: str) -> list[dict[str, Any]]:
    response = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return list(response.get("Messages", []))


def test_job_round_trips_with_the_scope_as_message_group(sqs: tuple[Any, str]) -> None:
    # Given
    client, url = sqs
    job = ScopeJob(kind="consolidate", scope=scope(), requested_at=T0)
    # When
    SqsJobQueue(url, client).enqueue(job)
    # Then
    [received] = receive_all(client, url)
    assert ScopeJob.model_validate_json(received["Body"]) == job
    assert received["Attributes"]["MessageGroupId"] == "t1/default/alice"
    assert received["Attributes"]["MessageDeduplicationId"] == deduplication_id(job)


def test_jobs_in_one_debounce_window_are_one_message(sqs: tuple[Any, str]) -> None:
    client, url = sqs
    queue = SqsJobQueue(url, client)
    start = T0.replace(second=0)
    for delay in (0, 3, 9):  # the same 10-second window
        queue.enqueue(ScopeJob(kind="consolidate", scope=scope(), requested_at=start + timedelta(seconds=delay)))
    queue.enqueue(ScopeJob(kind="reflect", scope=scope(), requested_at=start))
    queue.enqueue(ScopeJob(kind="consolidate", scope=scope("bob"), requested_at=start))
    queue.enqueue(ScopeJob(kind="consolidate", scope=scope(), requested_at=start + timedelta(seconds=11)))
    kinds = sorted(
        (ScopeJob.model_validate_json(m["Body"]).kind, m["Attributes"]["MessageGroupId"])
        for m in receive_all(client, url)
    )
    assert kinds == [
        ("consolidate", "t1/default/alice"),
        ("consolidate", "t1/default/alice"),
        ("consolidate", "t1/default/bob"),
        ("reflect", "t1/default/alice"),
    ]


def test_ids_respect_sqs_limits_even_for_the_longest_scope() -> None:
    longest = scope(user="u" * 128, tenant="t" * 128, agent="a" * 128)
    job = ScopeJob(kind="reflect", scope=longest, requested_at=T0)
    group = message_group_id(longest)
    assert SQS_ID.fullmatch(group)
    assert group == message_group_id(longest)  # stable: one scope, one group
    assert group != message_group_id(scope(user="u" * 127 + "v", tenant="t" * 128, agent="a" * 128))
    assert SQS_ID.fullmatch(deduplication_id(job))
    assert SQS_ID.fullmatch(message_group_id(scope(user="odd.name:x@y-z_1")))


@pytest.mark.parametrize("code", ["RequestThrottled", "ThrottlingException", "InternalError", "ServiceUnavailable"])
def test_transient_sqs_errors_become_dependency_unavailable(sqs: tuple[Any, str], code: str) -> None:
    client = boto3.client("sqs")
    with Stubber(client) as stubber:
        stubber.add_client_error("send_message", service_error_code=code)
        with pytest.raises(DependencyUnavailable, match=code):
            SqsJobQueue("https://sqs.us-east-1.amazonaws.com/123/q.fifo", client).enqueue(
                ScopeJob(kind="consolidate", scope=scope(), requested_at=T0)
            )


def test_unreachable_sqs_is_dependency_unavailable() -> None:
    class Unreachable:
        def send_message(self, **_kwargs: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    queue = SqsJobQueue("https://sqs.us-east-1.amazonaws.com/123/q.fifo", Unreachable())  # type: ignore[arg-type]
    with pytest.raises(DependencyUnavailable):
        queue.enqueue(ScopeJob(kind="consolidate", scope=scope(), requested_at=T0))


def test_a_missing_queue_is_a_configuration_error_not_unavailable(sqs: tuple[Any, str]) -> None:
    client, url = sqs
    with pytest.raises(ClientError):
        SqsJobQueue(url.replace("scope-jobs", "nope"), client).enqueue(
            ScopeJob(kind="consolidate", scope=scope(), requested_at=T0)
        )
