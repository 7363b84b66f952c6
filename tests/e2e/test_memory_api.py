"""One test module, two implementations of `MemoryApi`: the embedded `Memory.local()` and `MemoryClient` talking to
`mnemoscope serve` in another process. Both run on the embedded default (SQLite + the local e5 model) without a
chat model, so answers come from the same code and must be the same."""

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemoscope import Memory
from mnemoscope.client import BadRequest, Conflict, MemoryClient, NotFound
from mnemoscope.client.protocol import MemoryApi
from tests.e2e.test_serve_http import Server


@pytest.fixture(scope="module", params=["local", "served"])
def memory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryApi]:
    data_dir = tmp_path_factory.mktemp(request.param) / "data"
    if request.param == "local":
        with Memory.local(data_dir) as local:
            yield local
        return
    server = Server(data_dir)
    try:
        server.wait_ready()
        with MemoryClient(server.base) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def test_add_get_search_delete_a_memory(memory: MemoryApi, user: str) -> None:
    # Given two custom memories
    peanuts = memory.add_memory(user, "Alice is allergic to peanuts")
    memory.add_memory(user, "Alice works night shifts as a nurse")
    # When searching for what not to cook
    found = memory.search(user, "what should I not cook for Alice?", top_k=1)
    # Then the allergy comes first, with a ready-to-paste context line
    assert [m.id for m in found.memories] == [peanuts.id]
    assert "Alice is allergic to peanuts" in found.context
    got = memory.get_memory(user, peanuts.id)
    assert got.memory.content == "Alice is allergic to peanuts"
    assert got.lineage is not None and got.lineage.source_messages == []
    assert {m.content for m in memory.all_memories(user)} == {
        "Alice is allergic to peanuts",
        "Alice works night shifts as a nurse",
    }
    # And once deleted it is gone
    memory.delete_memory(user, peanuts.id)
    with pytest.raises(NotFound):
        memory.get_memory(user, peanuts.id)


def test_turns_are_logged_and_recent_without_a_chat_model(memory: MemoryApi, user: str) -> None:
    ids = memory.add_messages(user, [{"role": "user", "content": "I adopted a cat named Miso.", "id": "t1"}])
    assert ids == ["t1"]
    turns = memory.list_messages(user)
    assert [(t.id, t.state) for t in turns.messages] == [("t1", "pending")]
    assert [t.id for t in memory.search(user, "pets").recent] == ["t1"]
    assert memory.consolidate(user).kind == "consolidate"
    assert memory.reflect(user).kind == "reflect"
    assert memory.retry_quarantined(user).job == "none"  # nothing quarantined
    assert memory.health().consolidation.startswith("paused")
    with pytest.raises(Conflict):
        memory.chat(user, "hello")


def test_bad_input_names_the_field(memory: MemoryApi, user: str) -> None:
    with pytest.raises(BadRequest) as empty:
        memory.add_memory(user, "   ")
    assert (empty.value.status, empty.value.fields) == (422, ["content"])
    with pytest.raises(BadRequest) as limit:
        memory.list_memories(user, limit=0)
    assert limit.value.fields == ["limit"]
    with pytest.raises(BadRequest) as role:
        memory.add_messages(user, [{"role": "robot", "content": "hi"}])
    assert role.value.fields == ["messages[0].role"]
    with pytest.raises(Conflict) as conflict:
        memory.add_messages(
            user, [{"role": "user", "content": "a", "id": "x"}, {"role": "user", "content": "b", "id": "x"}]
        )
    assert conflict.value.fields == ["messages[1].id"]


def test_export_import_into_another_user_twice(memory: MemoryApi, user: str) -> None:
    # Given a user with a turn and a memory
    memory.add_messages(user, [{"role": "user", "content": "I moved to Hangzhou.", "id": "t1"}])
    memory.add_memory(user, "Alice likes green tea", created_at=None)
    exported = "".join(memory.export(user))
    # When the file is imported into another user, twice
    other = f"{user}-copy"
    first = memory.import_file(other, exported)
    memory.import_file(other, exported)
    # Then the copy exports the same records, once
    assert (first.messages, first.memories) == (1, 1)
    assert "".join(memory.export(other)).splitlines()[1:] == exported.splitlines()[1:]
    assert [m.content for m in memory.search(other, "tea").memories][:1] == ["Alice likes green tea"]


def test_a_malformed_import_names_the_line_and_stores_nothing(memory: MemoryApi, user: str) -> None:
    memory.add_memory(user, "Alice likes green tea")
    lines = "".join(memory.export(user)).splitlines()
    lines[1] = lines[1].replace('"type":"custom"', '"type":"gossip"')
    other = f"{user}-bad"
    with pytest.raises(BadRequest) as refused:
        memory.import_file(other, "\n".join(lines))
    assert refused.value.fields == ["jsonl:2.type"]
    assert memory.all_memories(other) == []


def test_forget_user(memory: MemoryApi, user: str) -> None:
    memory.add_memory(user, "Alice likes green tea")
    memory.add_messages(user, [{"role": "user", "content": "hello"}])
    memory.forget_user(user)
    assert memory.all_memories(user) == []
    assert memory.list_messages(user).messages == []


def test_local_memory_leaves_no_thread_behind(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with Memory.local(tmp_path / "data") as local:
        local.add_messages("alice", [{"role": "user", "content": "hello"}])
        assert local.wait_idle()
        assert set(threading.enumerate()) - before  # the queue's worker runs while open
    assert set(threading.enumerate()) - before == set()
    # and the file is closed: the same directory opens again and still holds the turn
    with Memory.local(tmp_path / "data") as again:
        assert [t.content for t in again.list_messages("alice").messages] == ["hello"]
