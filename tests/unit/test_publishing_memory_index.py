"""PublishingMemoryIndex on the real SQLite index: which writes are changes worth an event, and what a failed
publish does."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.services.memory_events import PublishingMemoryIndex
from tests.contracts.builders import DIM, entry, memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.recording_events import RecordingMemoryEvents

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def parts(tmp_path: Path) -> tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents]:
    inner = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    events = RecordingMemoryEvents()
    return PublishingMemoryIndex(inner, events, FixedClock(NOW)), inner, events


def test_a_new_memory_and_a_supersede_in_one_upsert_are_two_events(
    parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents],
) -> None:
    index, inner, events = parts
    old = memory("m1", "Alice is a nurse")
    inner.upsert([entry(old, 1.0, 0.0)])
    # When a job writes the new memory and expires the old one
    index.upsert([entry(memory("m2", "Alice is a teacher"), 0.0, 1.0), IndexEntry(node=old.expire("m2", NOW))])
    # Then
    assert events.kinds() == [("memory.created", "m2"), ("memory.superseded", "m1")]
    assert events.published[1].superseded_by == "m2"
    assert all(e.occurred_at == NOW for e in events.published)


def test_a_retried_job_rewriting_its_memory_announces_it_again_under_the_same_id(
    parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents],
) -> None:
    index, _, events = parts
    node = memory("obs-1", "Alice is a nurse")
    index.upsert([entry(node, 1.0, 0.0)])
    index.upsert([entry(node, 1.0, 0.0)])  # the retry: same deterministic id, same content
    assert [e.event_id for e in events.published] == [events.published[0].event_id] * 2


def test_metadata_changes_are_not_events(
    parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents],
) -> None:
    index, inner, events = parts
    node = memory("m1", "Alice is a nurse")
    inner.upsert([entry(node, 1.0, 0.0)])
    # When reflection sets a flag and a repeat adds a source (no vector: the memory keeps its own)
    index.upsert([IndexEntry(node=node.model_copy(update={"reflected": True, "source_message_ids": ("a", "b")}))])
    # Then nobody hears about it
    assert events.published == []


def test_delete_and_forget(parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents]) -> None:
    index, inner, events = parts
    inner.upsert([entry(memory("m1", "Alice is a nurse", kind="custom"), 1.0, 0.0)])
    inner.upsert([entry(memory("m2", "Alice likes tea"), 0.0, 1.0)])
    assert index.delete(scope(), "m1") is True
    assert index.delete(scope(), "m1") is False  # already gone: no second event
    assert index.delete_scope(scope()) == 1
    assert events.kinds() == [("memory.deleted", "m1"), ("user.forgotten", None)]
    assert events.published[0].memory_type == "custom"
    assert events.published[1].memories_deleted == 1


def test_a_failed_publish_fails_the_call_and_the_write_stands(
    parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents],
) -> None:
    index, inner, events = parts
    events.failing = True
    with pytest.raises(DependencyUnavailable):
        index.upsert([entry(memory("m1", "Alice is a nurse"), 1.0, 0.0)])
    assert inner.get(scope(), "m1") is not None


def test_content_only_when_opted_in(tmp_path: Path) -> None:
    events = RecordingMemoryEvents()
    inner = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    index = PublishingMemoryIndex(inner, events, FixedClock(NOW), include_content=True)
    index.upsert([entry(memory("m1", "Alice is a nurse"), 1.0, 0.0)])
    assert events.published[0].content == "Alice is a nurse"


def test_backend_extras_stay_reachable_through_the_wrapper(
    parts: tuple[PublishingMemoryIndex, SqliteMemoryIndex, RecordingMemoryEvents],
) -> None:
    index, inner, _ = parts
    assert not hasattr(index, "rebuild_search")  # the SQLite index has no projection to rebuild
    assert index._db is inner._db  # type: ignore[attr-defined]
