"""The local stand-in for Lambda's SQS event source mapping (`serve --backend aws`): receive up to `batch_size`
messages from the FIFO queue, hand them to the consolidate handler as one SQS event, delete the ones it did not
report failed. A failed message stays on the queue and comes back after the queue's visibility timeout, and to the
DLQ after maxReceiveCount receives, exactly as in AWS; the queue keeps its group's later messages behind it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mnemoscope.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

Dispatch = Callable[[dict[str, Any]], Any]
WAIT_SECONDS = 1  # long polling, short enough for `stop` to be prompt


def sqs_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage result as Lambda's event source hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": dict(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsPoller:
    """One polling thread: batches run one after another (a local stand-in, not MaximumConcurrency workers)."""

    def __init__(self, client: SQSClient, queue_url: str, dispatch: Dispatch, *, batch_size: int = 1) -> None:
        self._client = client
        self._queue_url = queue_url
        self._dispatch = dispatch
        self._batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue_arn = ""

    def _describe_queue(self) -> None:
        attributes = self._client.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["All"])["Attributes"]
        self._queue_arn = attributes["QueueArn"]
        logger.info(
            "polling the job queue",
            extra={"batch_size": self._batch_size, "visibility_timeout": attributes.get("VisibilityTimeout")},
        )

    def start(self) -> None:
        """Check the queue answers (a wrong URL fails here, at startup), then poll on a background thread."""
        self._describe_queue()
        self._thread = threading.Thread(target=self._run, name="mnemoscope-sqs-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the batch in hand, then return."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poll_once(self) -> int:
        """Receive one batch, run it, delete what succeeded; the number of messages received."""
        if not self._queue_arn:
            self._describe_queue()
        messages = self._client.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        region = self._queue_arn.split(":")[3] if self._queue_arn.count(":") >= 3 else ""
        event = {"Records": [sqs_record(m, self._queue_arn, region) for m in messages]}
        result = self._dispatch(event)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # the poller outlives a broken batch or an unreachable queue, as Lambda's does
                logger.exception("job queue poll failed")
                self._stop.wait(2.0)
