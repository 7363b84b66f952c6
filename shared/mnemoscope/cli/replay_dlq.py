"""`mnemoscope replay-dlq`: move dead-lettered scope jobs back to the job queue, in order.

Each job keeps its MessageGroupId (the scope), so one scope's jobs stay in order and never run at the same time,
and gets a new deduplication id (the original one may still be inside SQS's 5-minute window). A job is deleted from
the DLQ only after it was sent; if a send fails, the replay stops there, and that job and everything after it stay
in the DLQ (visible again after the receive's visibility timeout) for the next run. Jobs are idempotent (the
watermark), so a job sent twice by an interrupted run only does nothing the second time.

The Lambda-free alternative is SQS's own DLQ redrive (docs/aws.md, "Dead-letter queue").
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_RECEIVE_MAX = 10
# Long enough to send and delete a receive's ten messages; after it, anything not deleted is visible again.
_VISIBILITY_SECONDS = 60


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("replay-dlq", help="move dead-lettered scope jobs back to the job queue")
    parser.add_argument("--dlq-url", required=True, help="the stack's DlqUrl output")
    parser.add_argument(
        "--queue-url",
        default=os.environ.get("MNEMOSCOPE_JOBS_QUEUE_URL"),
        help="the stack's JobsQueueUrl output (default $MNEMOSCOPE_JOBS_QUEUE_URL)",
    )
    parser.add_argument("--limit", type=int, default=None, help="move at most this many jobs (default: all)")
    parser.add_argument("--region", default=None, help="AWS region (default: the AWS CLI's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.queue_url:
        print("mnemoscope replay-dlq: --queue-url (or MNEMOSCOPE_JOBS_QUEUE_URL) is required", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("mnemoscope replay-dlq: --limit must be at least 1", file=sys.stderr)
        return 2
    import boto3  # only this command needs it

    sqs = boto3.client("sqs", region_name=args.region)
    moved, error = replay(sqs, args.dlq_url, args.queue_url, limit=args.limit)
    print(f"moved {moved} job(s) from {args.dlq_url} to {args.queue_url}")
    if error is not None:
        print(f"mnemoscope replay-dlq: stopped: {error}", file=sys.stderr)
        return 1
    return 0


def replay(sqs: SQSClient, dlq_url: str, queue_url: str, limit: int | None = None) -> tuple[int, Exception | None]:
    """Move jobs oldest first until the DLQ is empty (or `limit`); returns how many moved, and the error that
    stopped the replay, if any."""
    moved = 0
    while limit is None or moved < limit:
        wanted = _RECEIVE_MAX if limit is None else min(_RECEIVE_MAX, limit - moved)
        received = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId", "SequenceNumber"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=_VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        )
        messages = received.get("Messages", [])
        if not messages:
            return moved, None
        for message in messages:  # a FIFO receive returns each group's messages in order
            try:
                _send_again(sqs, queue_url, message)
            except Exception as error:  # reported to the operator; the job stays in the DLQ
                return moved, error
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved, None


def _send_again(sqs: SQSClient, queue_url: str, message: Any) -> None:
    attributes = message.get("Attributes", {})
    # Derived from the message id: a rerun after an interrupted replay is dropped by SQS, not run twice.
    dedup = hashlib.sha256(f"replay:{message['MessageId']}".encode()).hexdigest()
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=message["Body"],
        MessageGroupId=attributes["MessageGroupId"],
        MessageDeduplicationId=dedup,
        **({"MessageAttributes": message["MessageAttributes"]} if message.get("MessageAttributes") else {}),
    )
