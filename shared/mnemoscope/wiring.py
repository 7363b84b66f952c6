"""Composition root: builds the service graph from Settings once per process (lazily, cached).

The services are imported when the graph is first built, not with this module: the api function's health route
imports it without needing any of them (cold start, docs/benchmarks.md)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.clock import Clock, SystemClock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.job_queue import JobQueue
from mnemoscope.ports.memory_events import MemoryEventOutbox, MemoryEventPublisher
from mnemoscope.ports.memory_index import MemoryIndex
from mnemoscope.ports.reranker import Reranker
from mnemoscope.settings import Settings, webhook_url_list

if TYPE_CHECKING:
    from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
    from mnemoscope.services.chat import ChatService
    from mnemoscope.services.feedback import KeywordFeedback
    from mnemoscope.services.ingest import IngestService
    from mnemoscope.services.jobs import JobRunner
    from mnemoscope.services.memories import MemoryAdminService
    from mnemoscope.services.memory_events import EventRelay
    from mnemoscope.services.messages import MessageLogService
    from mnemoscope.services.portability import ExportService, ImportService
    from mnemoscope.services.retrieval import RetrievalService
    from mnemoscope.services.scheduling import JobScheduler


@dataclass
class Services:
    """Everything a handler needs. A runtime that builds its own graph installs it with `install`; tests build one
    from fakes and install it with `override_services`."""

    settings: Settings
    clock: Clock
    ingest: IngestService
    memories: MemoryAdminService
    retrieval: RetrievalService
    jobs: JobRunner
    chat: ChatService
    messages: MessageLogService
    scheduler: JobScheduler
    exports: ExportService
    imports: ImportService
    # The adapters the services were built on: for the runtime that owns them and for tests. Handlers call the
    # services above, never these (tests/functions/test_handlers_use_services.py).
    ports: Infrastructure
    chat_model: ChatModel | None = None
    # Publishes what the event outbox still holds (the reflect sweep runs it); None without an outbox.
    event_relay: EventRelay | None = None

    @property
    def consolidation_status(self) -> str:
        return "active" if self.chat_model is not None else "paused: no chat model configured"

    @property
    def embedder_id(self) -> str:
        return self.ports.embedder.model_id


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


def _keyword_feedback(settings: Settings, index: MemoryIndex) -> KeywordFeedback | None:
    """Issue 18 (cont.): on by default where it was measured (the local backend's SQLite keyword index)."""
    enabled = settings.keyword_feedback if settings.keyword_feedback is not None else settings.backend == "local"
    if not enabled:
        return None
    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.services.feedback import KeywordFeedback

    return KeywordFeedback(index, content_terms)


def assemble(
    settings: Settings,
    infra: Infrastructure,
    clock: Clock | None = None,
    chat_model: ChatModel | None = None,
    reranker: Reranker | None = None,
) -> Services:
    """Build the services on top of already-built adapters (used by the real roots and by tests)."""
    from mnemoscope.services.chat import ChatService
    from mnemoscope.services.consolidation import ConsolidationService
    from mnemoscope.services.ingest import IngestService
    from mnemoscope.services.jobs import JobRunner
    from mnemoscope.services.memories import MemoryAdminService
    from mnemoscope.services.memory_events import EventRelay, PublishingMemoryIndex
    from mnemoscope.services.messages import MessageLogService
    from mnemoscope.services.portability import ExportService, ImportService
    from mnemoscope.services.reflection import ReflectionService
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService
    from mnemoscope.services.scheduling import JobScheduler
    from mnemoscope.services.time_fallback import ChatModelTimeExtractor

    clock = clock or SystemClock()
    # Every memory write goes through the index port: wrapping it announces the changes of every service.
    index: MemoryIndex = infra.memory_index
    relay = None
    if infra.memory_events is not None:
        outbox = infra.memory_event_outbox
        index = PublishingMemoryIndex(
            index, infra.memory_events, clock, outbox=outbox, include_content=settings.events_include_content
        )
        if outbox is not None:
            relay = EventRelay(infra.memory_index, outbox, infra.memory_events, clock)
    consolidation = ConsolidationService(
        infra.chat_log,
        index,
        infra.embedder,
        chat_model,
        clock,
        min_similarity=_consolidation_threshold(settings),
        max_turns_per_job=settings.consolidation_max_turns,
    )
    reflection = ReflectionService(
        infra.chat_log,
        index,
        infra.embedder,
        chat_model,
        clock,
        min_observations=settings.reflect_min_observations,
        reconsolidate=settings.reconsolidate,
        reconsolidation_budget=settings.reconsolidation_budget,
        min_similarity=_consolidation_threshold(settings),
    )
    ingest = IngestService(infra.chat_log, infra.job_queue, clock)
    retrieval = RetrievalService(
        index,
        infra.chat_log,
        infra.embedder,
        clock,
        RetrievalPolicy(recent_turns=settings.recent_turns),
        reranker=reranker,
        time_extractor=ChatModelTimeExtractor(chat_model) if chat_model is not None else None,
        feedback=_keyword_feedback(settings, index),
    )
    return Services(
        settings=settings,
        clock=clock,
        ports=infra,
        ingest=ingest,
        memories=MemoryAdminService(index, infra.chat_log, infra.embedder, clock),
        retrieval=retrieval,
        jobs=JobRunner(infra.chat_log, consolidation, reflection, infra.job_queue, clock),
        chat=ChatService(
            retrieval, ingest, infra.chat_log, chat_model, clock, budget_seconds=settings.chat_budget_seconds
        ),
        messages=MessageLogService(infra.chat_log, infra.job_queue, clock),
        scheduler=JobScheduler(infra.chat_log, infra.job_queue, clock, consolidating=chat_model is not None),
        exports=ExportService(infra.chat_log, infra.memory_index),
        imports=ImportService(infra.chat_log, index, infra.embedder, infra.job_queue, clock),  # imports announce too
        chat_model=chat_model,
        event_relay=relay,
    )


def _consolidation_threshold(settings: Settings) -> float:
    if settings.consolidation_min_similarity is not None:
        return settings.consolidation_min_similarity
    return 0.85 if settings.embedder == "local" else 0.75


_installed: Services | None = None


def install(services_: Services | None) -> None:
    """Make this graph the process's (None removes it): the next `services()` returns it instead of the graph built
    from the environment. The local runtime (`mnemoscope serve`) installs the graph it built around its queue."""
    global _installed  # noqa: PLW0603 - the one process-wide seam
    _installed = services_


def override_services(services_: Services | None) -> None:
    """The test hook: install a graph built from fakes (None removes it)."""
    install(services_)


def services() -> Services:
    return _installed if _installed is not None else _build_from_environment()


@dataclass(frozen=True)
class HealthReport:
    backend: str
    embedder: str
    consolidation: str


def health() -> HealthReport:
    """Liveness from settings alone: no client is built and no secret is read, so the unauthenticated health route
    stays cheap. An installed graph (tests, `serve`) answers for itself."""
    if _installed is not None:
        return HealthReport(_installed.settings.backend, _installed.embedder_id, _installed.consolidation_status)
    settings = _settings()
    embedder = ":".join(str(part) for part in (settings.embedder, settings.embedding_model) if part)
    active = settings.chat_provider != "none"
    return HealthReport(settings.backend, embedder, "active" if active else "paused: no chat model configured")


@functools.cache
def _settings() -> Settings:
    return settings_from_environment()


@functools.cache
def _build_from_environment() -> Services:
    return build(_settings())


def settings_from_environment() -> Settings:
    """Settings from MNEMOSCOPE_* variables.

    Raises:
        ConfigurationError: a variable is invalid (the message names the variables, never their values).
    """
    try:
        return Settings()
    except ValidationError as error:
        names = ", ".join(f"MNEMOSCOPE_{str(e['loc'][0]).upper()}" for e in error.errors() if e.get("loc"))
        raise ConfigurationError(f"invalid settings: {names or 'unknown'}") from None


def build(settings: Settings, job_queue: JobQueue | None = None) -> Services:
    """The graph for these settings. On AWS, adapters that import an SDK or read a secret are deferred to their
    first use, so a request only pays for what it touches (the reflect sweep never loads a model SDK).

    The local backend's queue runs the consolidate handler in-process, so the runtime that owns that handler
    (`mnemoscope.runtime.runtime`) builds it and passes it in: the composition root never imports an entrypoint.

    Raises:
        ConfigurationError: the settings lack what the backend needs (the local backend: a job queue).
    """
    if settings.backend == "local":
        if job_queue is None:
            raise ConfigurationError("the local backend runs inside `mnemoscope serve`, which provides its job queue")
        infra = _local_infrastructure(settings, job_queue)
        return assemble(settings, infra, chat_model=build_chat_model(settings), reranker=build_reranker(settings))
    infra = _aws_infrastructure(settings)
    chat_model = (
        None if settings.chat_provider == "none" else cast(ChatModel, _Deferred(lambda: build_chat_model(settings)))
    )
    reranker = None if settings.reranker == "none" else cast(Reranker, _Deferred(lambda: build_reranker(settings)))
    return assemble(settings, infra, chat_model=chat_model, reranker=reranker)


class _Deferred:
    """Stands in for an adapter and builds it on the first attribute access (then delegates to it)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._target: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # only called for names this proxy does not have itself
        return getattr(self._built(), name)

    def _built(self) -> Any:
        if self._target is None:
            with self._lock:
                if self._target is None:
                    self._target = self._factory()
        return self._target


def materialized(adapter: Any) -> Any:
    """The adapter itself, built now if it was deferred (for checks and tests)."""
    return adapter._built() if isinstance(adapter, _Deferred) else adapter


# Cheap, in-region on demand, tool use with toolChoice "tool" (docs/aws.md compares models).
BEDROCK_CHAT_MODEL = "amazon.nova-lite-v1:0"


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None (consolidation then pauses; retrieval keeps working)."""
    if settings.chat_provider == "openai":
        from mnemoscope.adapters.models.openai_chat import OpenAIChatModel

        return OpenAIChatModel(
            settings.chat_model or "gpt-4o-mini",
            api_key=_secret(settings, settings.openai_api_key, settings.openai_api_key_secret),
            base_url=settings.openai_base_url,
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    if settings.chat_provider == "dashscope":
        from mnemoscope.adapters.models.dashscope_chat import DashScopeChatModel

        return DashScopeChatModel(
            settings.chat_model or "qwen-plus",
            api_key=_secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret),
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    if settings.chat_provider == "bedrock":
        from mnemoscope.adapters.models.bedrock_chat import BedrockChatModel

        # The bedrock-runtime client is made on the first request, not here.
        return BedrockChatModel(
            settings.chat_model or BEDROCK_CHAT_MODEL,
            region=settings.bedrock_region or settings.aws_region,
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    return None


def build_reranker(settings: Settings) -> Reranker | None:
    if settings.reranker == "none":
        return None
    from mnemoscope.adapters.models.dashscope_reranker import DashScopeReranker

    return DashScopeReranker(
        settings.rerank_model, api_key=_secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret)
    )


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

        return cast(MemoryEventPublisher, _Deferred(eventbridge))
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


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "local":
        from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

        return LocalE5Embedder()
    if settings.embedder == "openai":
        from mnemoscope.adapters.models.openai_embedder import DEFAULT_MODEL, OpenAIEmbedder

        return OpenAIEmbedder(
            settings.embedding_model or DEFAULT_MODEL,
            api_key=_secret(settings, settings.openai_api_key, settings.openai_api_key_secret),
            base_url=settings.openai_base_url,
            dimension=settings.embedding_dimension,
            max_retries=settings.model_max_retries,
        )
    if settings.embedder == "bedrock":
        from mnemoscope.adapters.models.bedrock_embedder import TITAN_V2, bedrock_embedder

        return bedrock_embedder(
            settings.embedding_model or TITAN_V2,
            settings.embedding_dimension,
            settings.bedrock_region or settings.aws_region,
            settings.model_max_retries,
        )
    from mnemoscope.adapters.models.dashscope_embedder import DEFAULT_MODEL as DASHSCOPE_MODEL
    from mnemoscope.adapters.models.dashscope_embedder import DashScopeEmbedder

    return DashScopeEmbedder(
        settings.embedding_model or DASHSCOPE_MODEL,
        api_key=_secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret),
        dimension=settings.embedding_dimension or 1024,
        max_retries=settings.model_max_retries,
    )


def _secret(settings: Settings, value: Any, secret_name: str | None) -> str | None:
    """A key given directly (local use) or read from Secrets Manager through Powertools (cached 5 min); on the
    local stand-ins (`MNEMOSCOPE_AWS_ENDPOINT_URL`) from theirs."""
    if value is not None:
        return str(value.get_secret_value())
    if secret_name:
        from aws_lambda_powertools.utilities import parameters

        from mnemoscope.adapters.aws.clients import secrets_client

        client = secrets_client(settings)
        if client is None:
            return str(parameters.get_secret(secret_name, max_age=300))
        return str(parameters.SecretsProvider(boto3_client=client).get(secret_name, max_age=300))
    return None


def _local_infrastructure(settings: Settings, job_queue: JobQueue) -> Infrastructure:
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex

    embedder = build_embedder(settings)
    db = SqliteDatabase(settings.data_dir / "mnemoscope.db")
    index = SqliteMemoryIndex(db, embedder.dimension, settings.data_dir / "vectors", settings.vector_cache_mb << 20)

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


def _aws_infrastructure(settings: Settings) -> Infrastructure:
    """DynamoDB chat log and memory records, SQS FIFO jobs, an OpenSearch search projection. Nothing is called
    here; clients connect lazily."""
    from mnemoscope.adapters.aws.clients import dynamodb_client, sqs_client
    from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
    from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue

    if not settings.chat_table or not settings.jobs_queue_url or not settings.memory_table:
        raise ConfigurationError(
            "the aws backend needs MNEMOSCOPE_CHAT_TABLE, MNEMOSCOPE_MEMORY_TABLE and MNEMOSCOPE_JOBS_QUEUE_URL"
        )
    embedder = cast(Embedder, _Deferred(lambda: build_embedder(settings)))
    dimension = settings.embedding_dimension
    return Infrastructure(
        chat_log=DynamoDbChatLog(settings.chat_table, dynamodb_client(settings), ttl_days=settings.chat_ttl_days),
        memory_index=cast(
            MemoryIndex, _Deferred(lambda: build_aws_memory_index(settings, dimension or embedder.dimension))
        ),
        # search never sends
        job_queue=cast(JobQueue, _Deferred(lambda: SqsJobQueue(str(settings.jobs_queue_url), sqs_client(settings)))),
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

    return cast(MemoryEventOutbox, _Deferred(outbox))


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
