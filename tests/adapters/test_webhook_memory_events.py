"""Signed webhooks for `mnemoscope serve`: a receiver on 127.0.0.1 answers 500 once, then 200; the event arrives
again with the same id and a valid HMAC signature. Also the bounded backlog and a clean stop."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.adapters.local.webhook_memory_events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WebhookMemoryEvents,
    sign,
    verify,
)
from mnemoscope.domain import memory_events
from mnemoscope.services.memories import MemoryAdminService
from mnemoscope.services.memory_events import PublishingMemoryIndex
from tests.contracts.builders import T0, memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder

SECRET = "whsec-test"


@dataclass
class Receiver:
    """Answers each POST with the next status of `statuses` (then 200) and records what it got."""

    statuses: list[int]
    received: list[tuple[bytes, dict[str, str], int]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(statuses=[500])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.statuses.pop(0) if state.statuses else 200
            state.received.append((body, dict(self.headers.items()), status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if status == 200:
                state.arrived.set()

        def log_message(self, *args: object) -> None:  # quiet test output
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/memory"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_an_added_memory_reaches_the_webhook_signed_after_a_500(receiver: Receiver, tmp_path: Path) -> None:
    # Given the memory service on SQLite announcing changes to a webhook that fails once
    db = SqliteDatabase(tmp_path / "m.db")
    embedder = HashEmbedder()
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    webhooks = WebhookMemoryEvents([receiver.url], SECRET, first_delay_seconds=0.05)
    webhooks.start()
    index = PublishingMemoryIndex(SqliteMemoryIndex(db, embedder.dimension), webhooks, clock)
    admin = MemoryAdminService(index, SqliteChatLog(db), embedder, clock)
    try:
        # When a custom memory is added
        node = admin.add_custom(scope(), "Alice is allergic to peanuts.")
        assert receiver.arrived.wait(10)
    finally:
        webhooks.close()
    # Then the receiver got it twice: the 500, then a retry with the same event that it accepted
    assert [status for _, _, status in receiver.received] == [500, 200]
    (first, first_headers, _), (body, headers, _) = receiver.received
    assert first == body
    event = json.loads(body)
    assert event["kind"] == "memory.created"
    assert event["memory_id"] == node.id
    assert event["event_id"] == headers[EVENT_ID_HEADER] == first_headers[EVENT_ID_HEADER]
    assert "content" not in event
    # And each attempt is signed over its raw body with the shared secret, with a fresh timestamp
    assert verify(SECRET, body, headers[SIGNATURE_HEADER], now=time.time())
    assert verify(SECRET, first, first_headers[SIGNATURE_HEADER], now=time.time())
    assert not verify("another-secret", body, headers[SIGNATURE_HEADER], now=time.time())
    assert not verify(SECRET, body.replace(b"created", b"deleted"), headers[SIGNATURE_HEADER], now=time.time())
    assert webhooks.stats.delivered == 1


def test_an_old_signature_is_refused_as_a_replay() -> None:
    body = b'{"event_id": "evt_1"}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert verify(SECRET, body, header, now=1_700_000_000 + 299)
    assert not verify(SECRET, body, header, now=1_700_000_000 + 301)
    assert not verify(SECRET, body, "v1=abc", now=1_700_000_000)


def test_a_full_backlog_drops_the_oldest_and_counts_it() -> None:
    # Given a backlog of 3 and no delivery thread running
    webhooks = WebhookMemoryEvents(["http://127.0.0.1:9/unused"], SECRET, backlog=3)
    events = [memory_events.deleted(memory(f"m{i}", f"fact {i}"), T0) for i in range(5)]
    # When five events are published
    webhooks.publish(events)
    # Then the two oldest were dropped and counted; the newest three wait
    assert webhooks.stats.dropped == 2
    assert sorted(d.event.memory_id or "" for d in webhooks._items) == ["m2", "m3", "m4"]


def test_close_stops_the_thread_while_a_delivery_waits_for_its_retry(receiver: Receiver) -> None:
    # Given a receiver that always fails and a long backoff
    receiver.statuses = [500] * 100
    webhooks = WebhookMemoryEvents([receiver.url], SECRET, first_delay_seconds=60)
    webhooks.start()
    webhooks.publish([memory_events.forgotten(scope(), 1, T0)])
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.01)
    # When serve stops
    started = time.monotonic()
    webhooks.close()
    # Then the thread ends at once instead of sleeping out the backoff
    assert time.monotonic() - started < 5
    assert webhooks._thread is not None
    assert not webhooks._thread.is_alive()
    assert len(receiver.received) == 1
