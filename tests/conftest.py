"""Shared fixtures: safe environment, a Lambda context, events from events/, and a services graph on real SQLite."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, Services, assemble, override_services
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.recording_queue import RecordingJobQueue
from tests.fakes.scripted_chat_model import ScriptedChatModel

EVENTS = Path(__file__).resolve().parent.parent / "events"


@pytest.fixture(autouse=True)
def _safe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "MnemoscopeTest")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("MNEMOSCOPE_API_KEYS", "MNEMOSCOPE_CHAT_PROVIDER", "MNEMOSCOPE_EMBEDDER", "MNEMOSCOPE_BACKEND"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext("test")


def load_event(name: str) -> dict[str, Any]:
    """An event from events/<function>/<case>.json (the same files `sam local invoke -e` uses)."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def job_queue() -> RecordingJobQueue:
    return RecordingJobQueue()


@pytest.fixture
def chat_model() -> ScriptedChatModel | None:
    """No chat model by default; tests that need one override this fixture or use `scripted_model`."""
    return None


@pytest.fixture
def scripted_model() -> ScriptedChatModel:
    return ScriptedChatModel()


@pytest.fixture
def local_services(
    tmp_path: Path, clock: FixedClock, job_queue: RecordingJobQueue, chat_model: ScriptedChatModel | None
) -> Iterator[Services]:
    """The real service graph on SQLite with a hashing embedder and a recording queue, installed for handlers."""
    db = SqliteDatabase(tmp_path / "test.db")
    embedder = HashEmbedder()
    infra = Infrastructure(
        chat_log=SqliteChatLog(db),
        memory_index=SqliteMemoryIndex(db, embedder.dimension),
        job_queue=job_queue,
        embedder=embedder,
    )
    graph = assemble(Settings(data_dir=tmp_path), infra, clock=clock, chat_model=chat_model)
    override_services(graph)
    yield graph
    override_services(None)
    db.close()
