"""Memory-augmented chat and the Python client, through the api handler (in process)."""

import pytest

from mnemoscope.client import BadRequest, Conflict, ConnectionFailed, MemoryClient, NotFound, ServerError, Unauthorized
from mnemoscope.contracts.api import MAX_TURN_CHARS
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import QuarantineRecord
from mnemoscope.prompts import RECALLED_MEMORY_MARKER
from mnemoscope.wiring import Services
from tests.fakes.handler_transport import HandlerTransport
from tests.fakes.recording_queue import RecordingJobQueue
from tests.fakes.scripted_chat_model import ScriptedChatModel

ALICE = Scope(tenant_id="local", user_id="alice")


@pytest.fixture
def chat_model(scripted_model: ScriptedChatModel) -> ScriptedChatModel:
    return scripted_model


@pytest.fixture
def client(local_services: Services) -> MemoryClient:
    return MemoryClient("http://mnemoscope.test", transport=HandlerTransport())


def test_chat_uses_memories_time_and_history_then_logs_both_turns(
    client: MemoryClient, scripted_model: ScriptedChatModel, local_services: Services, job_queue: RecordingJobQueue
) -> None:
    # Given a memory and an unconsolidated turn
    client.add_memory("alice", "Alice is allergic to peanuts")
    client.add_messages("alice", [{"role": "user", "content": "I am cooking tonight", "id": "earlier"}])
    scripted_model.script("Then skip the peanut sauce!")
    # When
    response = client.chat("alice", "What sauce should I make?", timezone="Asia/Shanghai")
    # Then the reply comes back with what was used
    assert response.reply == "Then skip the peanut sauce!"
    assert response.memories[0].content == "Alice is allergic to peanuts"
    assert [t.id for t in response.recent] == ["earlier"]
    system, *history, user = scripted_model.requests[0]
    assert system.role == "system"
    assert RECALLED_MEMORY_MARKER in system.content and "Alice is allergic to peanuts" in system.content
    assert "2024-08-02 18:00:00 Friday" in system.content  # the fixed clock, in the user's timezone
    assert [m.content for m in history] == ["I am cooking tonight"]
    assert user.content == "What sauce should I make?"
    # and both turns are in the log, with a consolidation job queued
    scope = job_queue.jobs[-1].scope
    logged = [(t.message.role, t.message.content) for t in local_services.ports.chat_log.recent(scope, 2)]
    assert logged == [("user", "What sauce should I make?"), ("assistant", "Then skip the peanut sauce!")]
    assert job_queue.jobs[-1].kind == "consolidate"


def test_chat_history_modes(client: MemoryClient, scripted_model: ScriptedChatModel) -> None:
    client.add_messages("bob", [{"role": "user", "content": f"turn {i}"} for i in range(4)])
    scripted_model.script("a", "b")
    client.chat("bob", "hello", history="none", system_prompt="You are terse.")
    client.chat("bob", "hello again", history=2)
    first, second = scripted_model.requests
    assert first[0].content.startswith("You are terse.") and len(first) == 2
    assert [m.content for m in second[1:-1]] == ["hello", "a"]


def test_chat_without_a_model_is_409(local_services: Services) -> None:
    local_services.chat.__dict__["_model"] = None
    with pytest.raises(Conflict):
        MemoryClient("http://x", transport=HandlerTransport()).chat("alice", "hi")


@pytest.mark.parametrize("reply", ["", "  \n ", "\x00"])
def test_an_empty_model_reply_is_the_models_fault_and_nothing_is_logged(
    client: MemoryClient, scripted_model: ScriptedChatModel, local_services: Services, reply: str
) -> None:
    scripted_model.script(reply)
    with pytest.raises(ServerError) as raised:
        client.chat("alice", "hello")
    assert (raised.value.status, raised.value.body["error"]["code"]) == (502, "model_output_invalid")
    assert local_services.ports.chat_log.recent(ALICE, 10) == []


def test_an_over_long_model_reply_reaches_the_caller_whole_and_the_log_clipped(
    client: MemoryClient, scripted_model: ScriptedChatModel, local_services: Services
) -> None:
    reply = "word " * 4_000  # 20,000 characters, over a turn's 16,000
    scripted_model.script(reply)
    assert client.chat("alice", "tell me a long story").reply == reply
    logged = local_services.ports.chat_log.recent(ALICE, 10)
    assert [len(t.message.content) for t in logged] == [len("tell me a long story"), MAX_TURN_CHARS]


def test_client_maps_errors(client: MemoryClient) -> None:
    with pytest.raises(NotFound):
        client.get_memory("alice", "nope")
    with pytest.raises(BadRequest) as bad:
        client.search("alice", "x", top_k=99)
    assert bad.value.fields == ["top_k"]
    with pytest.raises(Unauthorized):
        MemoryClient("http://x", transport=HandlerTransport(tenant=None)).list_memories("alice")
    with pytest.raises(ConnectionFailed, match="is `mnemoscope serve` running"):
        MemoryClient("http://127.0.0.1:9", timeout=2).health()


def test_client_round_trip(client: MemoryClient) -> None:
    memory = client.add_memory("carol", "Carol plays the cello")
    assert client.get_memory("carol", memory.id).memory == memory
    assert [m.id for m in client.all_memories("carol")] == [memory.id]
    assert client.search("carol", "cello").memories[0].id == memory.id
    assert client.consolidate("carol").kind == "consolidate"
    assert client.reflect("carol").kind == "reflect"
    client.delete_memory("carol", memory.id)
    client.forget_user("carol")
    assert client.list_memories("carol").memories == []
    assert client.health().status == "ok"


def test_client_reads_turns_back_and_retries_quarantined_ones(client: MemoryClient, local_services: Services) -> None:
    # Given three turns through the client, the second quarantined by consolidation
    ids = client.add_messages("dave", [{"role": "user", "content": f"turn {i}", "id": f"d{i}"} for i in range(3)])
    dave = Scope(tenant_id="local", user_id="dave")
    when = local_services.clock.now()
    local_services.ports.chat_log.advance_watermark(dave, 1)
    record = QuarantineRecord(error="ModelInputRejected", reason="HTTP 400 x", attempts=2, quarantined_at=when)
    local_services.ports.chat_log.quarantine(dave, [2], record)

    # When / Then: pages newest first with states
    first = client.list_messages("dave", limit=2)
    assert [(t.id, t.state) for t in first.messages] == [("d2", "pending"), ("d1", "quarantined")]
    assert first.messages[1].quarantine is not None and first.messages[1].quarantine.attempts == 2
    rest = client.list_messages("dave", limit=2, cursor=first.next_cursor)
    assert [(t.id, t.state) for t in rest.messages] == [("d0", "consolidated")] and rest.next_cursor is None
    assert [t.id for t in first.messages + rest.messages] == ids[::-1]
    # and a retry names what it released
    assert client.retry_quarantined("dave", ["d1"]).message_ids == ["d1"]
    assert client.retry_quarantined("dave").released == 0
    with pytest.raises(BadRequest):
        client.list_messages("dave", cursor="not-a-cursor")
