"""JobQueue on an SQS FIFO queue: one message group per scope, so one scope's jobs run one at a time."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import boto3

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG, dependency_errors
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS caps MessageGroupId and MessageDeduplicationId at 128 characters.
_MAX_ID_CHARS = 128


def message_group_id(scope: Scope) -> str:
    """The FIFO group of a scope: its key when short enough, else a stable hash of it.

    A scope key is three ids of up to 128 chars each; its characters ([A-Za-z0-9._:@-/]) are all allowed.
    """
    key = scope.key
    return key if len(key) <= _MAX_ID_CHARS else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def deduplication_id(job: ScopeJob) -> str:
    """A 64-char hex digest of the job's debounce key: jobs in one window collapse into one message."""
    return hashlib.sha256(job.dedup_key().encode()).hexdigest()


class SqsJobQueue:
    """JobQueue over an SQS FIFO queue (ContentBasedDeduplication off: we pass our own dedup ids)."""

    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._client: SQSClient = client or boto3.client("sqs", config=DEFAULT_CLIENT_CONFIG)

    def enqueue(self, job: ScopeJob) -> None:
        """Send the job; a repeat within the debounce window (and SQS's 5-minute dedup interval) is dropped.

        Raises:
            DependencyUnavailable: SQS throttled, failed or was unreachable.
        """
        with dependency_errors("SQS"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=job.model_dump_json(),
                MessageGroupId=message_group_id(job.scope),
                MessageDeduplicationId=deduplication_id(job),
            )
