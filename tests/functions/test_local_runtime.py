"""The local runtime behind `mnemoscope serve`, in process: the composition root needs its queue for the local
backend, the queue's consumer is the consolidate handler, and the runtime installs its graph and stops cleanly."""

import socket
import threading
from pathlib import Path

import pytest

from mnemoscope import wiring
from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue, sqs_event
from mnemoscope.adapters.local.webhook_memory_events import WebhookMemoryEvents
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.runtime.runtime import LocalRuntime, dispatch_to_consolidate_handler
from mnemoscope.runtime.server import make_server
from mnemoscope.settings import Settings
from mnemoscope.wiring import Services
from tests.contracts.builders import T0, memory, message

ALICE = Scope(tenant_id="local", user_id="alice")


def test_the_local_backend_is_built_only_around_a_runtime_queue(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="mnemoscope serve"):
        wiring.build(Settings(data_dir=tmp_path))


def test_the_queue_consumer_is_the_consolidate_handler(local_services: Services) -> None:
    # Given turns and no chat model
    local_services.ports.chat_log.append(ALICE, [message(1), message(2)])
    job = ScopeJob(kind="consolidate", scope=ALICE, requested_at=T0)
    # When the queue hands the job over as SQS would deliver it
    result = dispatch_to_consolidate_handler(sqs_event(job))
    # Then the handler ran it: paused without a model, the job is acknowledged and the turns wait
    assert result == {"batchItemFailures": []}
    assert len(local_services.ports.chat_log.pending(ALICE)) == 2


def test_the_runtime_installs_its_graph_and_stops_cleanly(tmp_path: Path) -> None:
    server = make_server("127.0.0.1", 0, {}, threads=1)
    address = server.server_address
    runtime = LocalRuntime.start(Settings(data_dir=tmp_path), server)
    try:
        # The handlers' graph is the runtime's, around its in-process queue
        assert wiring.services() is runtime.services
        assert isinstance(runtime.services.ports.job_queue, InProcessJobQueue)
        stop = threading.Event()
        stop.set()
        runtime.run(stop, reflect_every_seconds=3600)
    finally:
        wiring.override_services(None)
    # Once stopped, the port is closed
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=5).close()


def test_stopping_serve_saves_the_vector_indexes(tmp_path: Path) -> None:
    # Given a scope whose vector index has a change that is only in memory (and in SQLite's log)
    runtime = LocalRuntime.start(Settings(data_dir=tmp_path), make_server("127.0.0.1", 0, {}, threads=1))
    try:
        index = runtime.services.ports.memory_index
        axis = [1.0] + [0.0] * (runtime.services.ports.embedder.dimension - 1)
        first, second = memory("a1", "Alice likes tea"), memory("a2", "Alice likes green tea")
        index.upsert([IndexEntry(node=first, vector=tuple(axis))])
        index.vector_search(first.scope, axis, 1)  # builds the scope's index and saves it
        index.upsert([IndexEntry(node=second, vector=tuple(axis))])
        index.vector_search(first.scope, axis, 1)  # replays the new memory into the loaded index
        saved = sorted(p.name for p in (tmp_path / "vectors").glob("*.usearch"))
        # When serve stops
        stop = threading.Event()
        stop.set()
        runtime.run(stop, reflect_every_seconds=3600)
    finally:
        wiring.override_services(None)
    # Then the index file was written again, stamped with the newer change
    after = sorted(p.name for p in (tmp_path / "vectors").glob("*.usearch"))
    assert len(saved) == len(after) == 1
    assert after != saved


def test_serve_runs_the_webhook_delivery_thread_and_stops_it(tmp_path: Path) -> None:
    # Given serve configured with a webhook
    settings = Settings(data_dir=tmp_path, webhook_urls="http://127.0.0.1:9/hook", webhook_secret="s3cret")
    runtime = LocalRuntime.start(settings, make_server("127.0.0.1", 0, {}, threads=1))
    try:
        publisher = runtime.services.ports.memory_events
        assert isinstance(publisher, WebhookMemoryEvents)
        assert publisher._thread is not None
        assert publisher._thread.is_alive()
        # When serve stops
        stop = threading.Event()
        stop.set()
        runtime.run(stop, reflect_every_seconds=3600)
    finally:
        wiring.override_services(None)
    # Then so does the delivery thread
    assert not publisher._thread.is_alive()


def test_webhooks_without_a_secret_or_with_a_bad_url_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="MNEMOSCOPE_WEBHOOK_SECRET"):
        wiring.build_memory_events(Settings(data_dir=tmp_path, webhook_urls="http://127.0.0.1:9/hook"))
    monkeypatch.setenv("MNEMOSCOPE_WEBHOOK_URLS", "http://127.0.0.1:9/ok,ftp://example.com/hook")
    with pytest.raises(ConfigurationError, match="MNEMOSCOPE_WEBHOOK_URLS"):
        wiring.settings_from_environment()
