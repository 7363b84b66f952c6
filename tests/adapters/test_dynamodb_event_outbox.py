"""The event outbox on DynamoDB (moto), and the relay that publishes its leftovers: only changes that happened."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_event_outbox import OUTBOX_TABLE_DEFINITION, DynamoDbEventOutbox
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain import memory_events
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.services.memory_events import EventRelay, PublishingMemoryIndex
from tests.contracts.builders import DIM, entry, memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.recording_events import RecordingMemoryEvents

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDbEventOutbox]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="outbox", **OUTBOX_TABLE_DEFINITION)
        yield DynamoDbEventOutbox("outbox", client, sleep=lambda _s: None)


def test_hold_is_idempotent_and_held_filters_by_age(outbox: DynamoDbEventOutbox) -> None:
    old = [memory_events.deleted(memory(f"m{i}", "x"), NOW) for i in range(30)]  # more than one batch
    outbox.hold(old, NOW)
    outbox.hold(old[:3], NOW)  # a retry holds the same ids again
    outbox.hold([memory_events.deleted(memory("fresh", "x"), NOW)], NOW + timedelta(minutes=10))
    held = outbox.held(NOW + timedelta(minutes=5), limit=100)
    assert sorted(e.event_id for e in held) == sorted(e.event_id for e in old)
    assert len(outbox.held(NOW + timedelta(minutes=5), limit=7)) == 7
    outbox.release([e.event_id for e in old])
    assert outbox.held(NOW + timedelta(minutes=5), limit=100) == []
    assert len(outbox.held(NOW + timedelta(minutes=11), limit=100)) == 1


class _BrokenIndex(SqliteMemoryIndex):
    def upsert(self, entries: Any) -> None:
        raise DependencyUnavailable("records down")


def test_the_relay_publishes_held_changes_that_happened_and_discards_the_rest(
    outbox: DynamoDbEventOutbox, tmp_path: Path
) -> None:
    # Given a publish that failed after a committed supersede, and a write that failed after its hold
    clock = FixedClock(NOW)
    db = SqliteDatabase(tmp_path / "m.db")
    index = SqliteMemoryIndex(db, DIM)
    bus = RecordingMemoryEvents(failing=True)
    writer = PublishingMemoryIndex(index, bus, clock, outbox=outbox)
    nurse = memory("m1", "Alice is a nurse")
    index.upsert([entry(nurse, 1.0), entry(memory("m4", "Alice likes tea", kind="custom"), 0.5, 0.5)])
    with pytest.raises(DependencyUnavailable):
        writer.upsert([entry(memory("m2", "Alice is a teacher"), 0.0, 1.0), IndexEntry(node=nurse.expire("m2", NOW))])
    with pytest.raises(DependencyUnavailable):
        PublishingMemoryIndex(_BrokenIndex(db, DIM), bus, clock, outbox=outbox).upsert(
            [entry(memory("m3", "never written"), 1.0)]
        )
    with pytest.raises(DependencyUnavailable):
        writer.delete(scope(), "m4")
    bus.failing = False
    relay = EventRelay(index, outbox, bus, clock, min_age=timedelta(minutes=5))
    # When the relay runs before the grace period, then after it
    assert relay.run().published == 0
    clock.advance(minutes=6)
    report = relay.run()
    # Then the create, the supersede and the delete are published; the never-written create is discarded
    assert sorted(bus.kinds()) == [("memory.created", "m2"), ("memory.deleted", "m4"), ("memory.superseded", "m1")]
    assert (report.published, report.discarded) == (3, 1)
    assert outbox.held(clock.now(), 100) == []


def test_a_successful_write_leaves_nothing_held(outbox: DynamoDbEventOutbox, tmp_path: Path) -> None:
    bus = RecordingMemoryEvents()
    writer = PublishingMemoryIndex(
        SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM), bus, FixedClock(NOW), outbox=outbox
    )
    writer.upsert([entry(memory("m1", "Alice is a nurse"), 1.0)])
    assert writer.delete(scope(), "m1") is True
    assert bus.kinds() == [("memory.created", "m1"), ("memory.deleted", "m1")]
    assert outbox.held(NOW + timedelta(days=1), 100) == []
