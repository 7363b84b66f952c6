"""Composition root: builds the service graph from Settings once per process (lazily, cached). Which adapters a
backend uses is in `infrastructure`, which model adapters the settings choose in `models`.

The services are imported when the graph is first built, not with this module: the api function's health route
imports it without needing any of them (cold start, docs/benchmarks.md)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from pydantic import ValidationError

from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.clock import Clock, SystemClock
from mnemoscope.ports.job_queue import JobQueue
from mnemoscope.ports.memory_index import MemoryIndex
from mnemoscope.ports.reranker import Reranker
from mnemoscope.settings import Settings
from mnemoscope.wiring.deferred import Deferred, materialized
from mnemoscope.wiring.infrastructure import (
    Infrastructure,
    aws_infrastructure,
    build_aws_memory_index,
    build_memory_events,
    local_infrastructure,
)
from mnemoscope.wiring.models import build_chat_model, build_embedder, build_reranker

__all__ = [
    "HealthReport",
    "Infrastructure",
    "Services",
    "assemble",
    "build",
    "build_aws_memory_index",
    "build_chat_model",
    "build_embedder",
    "build_memory_events",
    "build_reranker",
    "health",
    "install",
    "materialized",
    "override_services",
    "services",
    "settings_from_environment",
]

if TYPE_CHECKING:
    from mnemoscope.services.chat import ChatService
    from mnemoscope.services.feedback import ExtraRanking, KeywordFeedback
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


def _extra_rankings(settings: Settings, infra: Infrastructure, index: MemoryIndex) -> ExtraRanking | None:
    """The lists the retrieval service fuses after its first pass: keyword feedback, then the sparse list."""
    from mnemoscope.services.feedback import RankingChain

    candidates = (_keyword_feedback(settings, index), _sparse_ranking(settings, infra))
    rankings = [ranking for ranking in candidates if ranking is not None]
    if len(rankings) < 2:
        return rankings[0] if rankings else None
    return RankingChain(rankings)


def _sparse_ranking(settings: Settings, infra: Infrastructure) -> ExtraRanking | None:
    """Issue 18: on wherever the embedder makes sparse vectors and the index stores them (the local default)."""
    if settings.sparse_ranking is False:
        return None
    from mnemoscope.ports.sparse import SparseCapable, SparseScores
    from mnemoscope.services.sparse_ranking import SparseRanking

    encoder, store = None, infra.memory_index
    # Decided on the settings first: asking a deferred AWS adapter what it can do would build it (and read its
    # secrets) while the graph is assembled, e.g. inside a SnapStart snapshot.
    if settings.backend == "local" and settings.embedder == "local":
        embedder = infra.embedder
        encoder = embedder.sparse_encoder() if isinstance(embedder, SparseCapable) else None
    if encoder is None or not isinstance(store, SparseScores):
        if settings.sparse_ranking:
            raise ConfigurationError(
                "MNEMOSCOPE_SPARSE_RANKING=true needs the local backend and embedder with the one-pass engine "
                "(a C compiler); the log says why the engine is unavailable"
            )
        return None
    return SparseRanking(encoder, store)


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
    feedback = _extra_rankings(settings, infra, index)
    policy = RetrievalPolicy(recent_turns=settings.recent_turns)
    retrieval = RetrievalService(
        index,
        infra.chat_log,
        infra.embedder,
        clock,
        policy,
        reranker=reranker,
        time_extractor=ChatModelTimeExtractor(chat_model) if chat_model is not None else None,
        feedback=feedback,
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
        infra = local_infrastructure(settings, job_queue)
        return assemble(settings, infra, chat_model=build_chat_model(settings), reranker=build_reranker(settings))
    infra = aws_infrastructure(settings)
    chat_model = (
        None if settings.chat_provider == "none" else cast(ChatModel, Deferred(lambda: build_chat_model(settings)))
    )
    reranker = None if settings.reranker == "none" else cast(Reranker, Deferred(lambda: build_reranker(settings)))
    return assemble(settings, infra, chat_model=chat_model, reranker=reranker)
