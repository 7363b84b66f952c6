"""The adapters of each backend: SQLite + the local model (local), DynamoDB + SQS + OpenSearch (aws)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.job_queue import JobQueue
from mnemoscope.ports.memory_events import MemoryEventOutbox, MemoryEventPublisher
from mnemoscope.ports.memory_index import MemoryIndex
from mnemoscope.settings import Settings, webhook_url_list
from mnemoscope.wiring.deferred import Deferred
from mnemoscope.wiring.models import build_embedder

if TYPE_CHECKING:
    from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex


@dataclass
class Infrastructure:
    chat_log: ChatLog
    memory_index: MemoryIndex
    job_queue: JobQueue
    embedder: Embedder
    # Who hears about memory changes; None = nobody (the services then write through the index unwrapped).
    memory_events: MemoryEventPublisher | None = None
    memory_event_outbox: MemoryEventOutbox | None = None

    # Releases what the adapters hold open (the local backend's SQLite file), for a runtime that ends before the
    # process does (the embedded `Memory`).
    close: Callable[[], None] = lambda: None


def build_memory_events(settings: Settings) -> MemoryEventPublisher | None:
    """EventBridge on AWS (when a bus is named), signed webhooks locally (when URLs are given), else None.

    Raises:
        ConfigurationError: webhook URLs without a secret to sign them with.
    """
    if settings.backend == "aws":
        if not settings.event_bus_name:
            return None
        bus, source = settings.event_bus_name, settings.event_source

        def eventbridge() -> MemoryEventPublisher:
            from mnemoscope.adapters.aws.eventbridge_memory_events import EventBridgeMemoryEvents

            return EventBridgeMemoryEvents(bus, source)

        return cast(MemoryEventPublisher, Deferred(eventbridge))
    urls = webhook_url_list(settings.webhook_urls)
    if not urls:
        return None
    if settings.webhook_secret is None:
        raise ConfigurationError("MNEMOSCOPE_WEBHOOK_URLS needs MNEMOSCOPE_WEBHOOK_SECRET to sign the events")
    from mnemoscope.adapters.local.webhook_memory_events import WebhookMemoryEvents

    return WebhookMemoryEvents(
        urls,
        settings.webhook_secret.get_secret_value(),
        backlog=settings.webhook_backlog,
        max_attempts=settings.webhook_max_attempts,
    )


def local_infrastructure(settings: Settings, job_queue: JobQueue) -> Infrastructure:
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.ports.sparse import SparseCapable

    embedder = build_embedder(settings)
    db = SqliteDatabase(settings.data_dir / "mnemoscope.db")
    index = SqliteMemoryIndex(
        db,
        embedder.dimension,
        settings.data_dir / "vectors",
        settings.vector_cache_mb << 20,
        keyword_cache_bytes=settings.keyword_cache_mb << 20,
        # Memories store their sparse vectors whenever the embedder makes them (issue 18's sparse list).
        sparse_encoder=embedder.sparse_encoder() if isinstance(embedder, SparseCapable) else None,
    )

    def close() -> None:
        index.close()
        db.close()

    return Infrastructure(
        chat_log=SqliteChatLog(db),
        memory_index=index,
        job_queue=job_queue,
        embedder=embedder,
        memory_events=build_memory_events(settings),
        close=close,
    )


def aws_infrastructure(settings: Settings) -> Infrastructure:
    """DynamoDB chat log and memory records, SQS FIFO jobs, an OpenSearch search projection. Nothing is called
    here; clients connect lazily."""
    from mnemoscope.adapters.aws.clients import dynamodb_client, sqs_client
    from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
    from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue

    if not settings.chat_table or not settings.jobs_queue_url or not settings.memory_table:
        raise ConfigurationError(
            "the aws backend needs MNEMOSCOPE_CHAT_TABLE, MNEMOSCOPE_MEMORY_TABLE and MNEMOSCOPE_JOBS_QUEUE_URL"
        )
    embedder = cast(Embedder, Deferred(lambda: build_embedder(settings)))
    dimension = settings.embedding_dimension
    return Infrastructure(
        chat_log=DynamoDbChatLog(settings.chat_table, dynamodb_client(settings), ttl_days=settings.chat_ttl_days),
        memory_index=cast(
            MemoryIndex, Deferred(lambda: build_aws_memory_index(settings, dimension or embedder.dimension))
        ),
        # search never sends
        job_queue=cast(JobQueue, Deferred(lambda: SqsJobQueue(str(settings.jobs_queue_url), sqs_client(settings)))),
        embedder=embedder,
        memory_events=build_memory_events(settings),
        memory_event_outbox=_event_outbox(settings),
    )


def _event_outbox(settings: Settings) -> MemoryEventOutbox | None:
    if not settings.event_bus_name or not settings.event_outbox_table:
        return None
    table = settings.event_outbox_table

    def outbox() -> MemoryEventOutbox:
        from mnemoscope.adapters.aws.dynamodb_event_outbox import DynamoDbEventOutbox

        return DynamoDbEventOutbox(table)

    return cast(MemoryEventOutbox, Deferred(outbox))


def build_aws_memory_index(settings: Settings, dimension: int) -> ProjectedMemoryIndex:
    """The records + projection MemoryIndex (also used by `mnemoscope reindex`)."""
    from mnemoscope.adapters.aws.clients import dynamodb_client
    from mnemoscope.adapters.aws.dynamodb_memory_records import DynamoDbMemoryRecords
    from mnemoscope.adapters.aws.opensearch_client import build_opensearch_client
    from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection
    from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex

    # opensearch-py (~0.2 s to import) is loaded only by the requests that reach the memory index.
    if not settings.memory_table:
        raise ConfigurationError("the aws backend needs MNEMOSCOPE_MEMORY_TABLE")
    visibility = settings.opensearch_visibility_seconds
    if visibility is None:
        visibility = 10.0 if settings.opensearch_auth == "sigv4-aoss" else 1.0
    projection = OpenSearchProjection(
        build_opensearch_client(settings), settings.opensearch_index, dimension, engine=settings.opensearch_engine
    )
    records = DynamoDbMemoryRecords(settings.memory_table, dynamodb_client(settings))
    return ProjectedMemoryIndex(records, projection, visibility_seconds=visibility)
