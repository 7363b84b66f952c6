"""The chat CLI's command layer, driven line by line against the api handler (in process)."""

import io

import pytest

from mnemoscope.cli.chat import ChatSession
from mnemoscope.client import MemoryClient
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import QuarantineRecord
from mnemoscope.wiring import Services
from tests.contracts.builders import message
from tests.fakes.handler_transport import HandlerTransport
from tests.fakes.recording_queue import RecordingJobQueue
from tests.fakes.scripted_chat_model import ScriptedChatModel


@pytest.fixture
def chat_model(scripted_model: ScriptedChatModel) -> ScriptedChatModel:
    return scripted_model


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def session(local_services: Services, out: io.StringIO) -> ChatSession:
    client = MemoryClient("http://mnemoscope.test", transport=HandlerTransport())
    return ChatSession(client, "alice", out, confirm=lambda _: True)


def run(session: ChatSession, out: io.StringIO, *lines: str) -> str:
    out.seek(0)
    out.truncate()
    for line in lines:
        assert session.handle(line)
    return out.getvalue()


def test_add_list_retrieve_delete_keep_spaces_and_case(session: ChatSession, out: io.StringIO) -> None:
    printed = run(session, out, "/add_memory   I prefer  Earl Grey, NOT green tea  ")
    assert "remembered" in printed
    listing = run(session, out, "/list_memory")
    assert "I prefer  Earl Grey, NOT green tea" in listing
    assert "observations (1)" in listing and "insights (0)" in listing and "expired (0)" in listing
    memory_id = listing.split("(custom, ")[1].split(")")[0]
    assert "Earl Grey" in run(session, out, "/retrieve_memory what TEA do I like")
    assert f"deleted {memory_id}" in run(session, out, f"/delete_memory {memory_id}")
    assert "observations (0)" in run(session, out, "/list_memory")


def test_chat_message_prints_the_reply(
    session: ChatSession, out: io.StringIO, scripted_model: ScriptedChatModel
) -> None:
    scripted_model.script("Hello Alice!")
    assert "assistant: Hello Alice!" in run(session, out, "hi there")


def test_jobs_and_delete_all(session: ChatSession, out: io.StringIO, job_queue: RecordingJobQueue) -> None:
    assert "consolidate job queued" in run(session, out, "/consolidate_memory")
    assert "reflect job queued" in run(session, out, "/reflect_and_reconsolidate")
    assert [j.kind for j in job_queue.jobs] == ["consolidate", "reflect"]
    run(session, out, "/add_memory something")
    assert "forgotten" in run(session, out, "/delete_all")
    assert "observations (0)" in run(session, out, "/list_memory")


def test_delete_all_asks_first(local_services: Services, out: io.StringIO) -> None:
    client = MemoryClient("http://x", transport=HandlerTransport())
    cautious = ChatSession(client, "alice", out, confirm=lambda _: False)
    run(cautious, out, "/add_memory keep me")
    assert "kept" in run(cautious, out, "/delete_all")
    assert "keep me" in run(cautious, out, "/list_memory")


def test_help_usage_errors_and_exit(session: ChatSession, out: io.StringIO) -> None:
    assert "/reflect_and_reconsolidate" in run(session, out, "/help")
    assert "unknown command /nope" in run(session, out, "/nope")
    assert "usage: /add_memory" in run(session, out, "/add_memory")
    assert "usage: /retrieve_memory" in run(session, out, "/retrieve_memory")
    assert "HTTP 404" in run(session, out, "/delete_memory does-not-exist")
    assert session.handle("/exit") is False
    assert session.handle("   ") is True


def test_list_messages_shows_states_and_retry_releases_quarantined_turns(
    session: ChatSession, out: io.StringIO, local_services: Services, job_queue: RecordingJobQueue
) -> None:
    # Given two turns, the first quarantined
    alice = Scope(tenant_id="local", user_id="alice")
    local_services.ports.chat_log.append(alice, [message(1, content="a poison turn"), message(2, content="fine")])
    record = QuarantineRecord(
        error="LlmOutputInvalid", reason="did not validate", attempts=5, quarantined_at=local_services.clock.now()
    )
    local_services.ports.chat_log.quarantine(alice, [1], record)

    # When / Then: the listing shows newest first with the state and the reason
    listing = run(session, out, "/list_messages limit=5").splitlines()
    assert "fine" in listing[0] and "(m2, pending)" in listing[0]
    assert "a poison turn" in listing[1] and "quarantined: LlmOutputInvalid after 5 attempts" in listing[1]
    # and a retry releases it and queues a job
    assert "retrying 1: m1" in run(session, out, "/retry_quarantined m1")
    assert [j.kind for j in job_queue.jobs] == ["consolidate"]
    assert "(m1, pending)" in run(session, out, "/list_messages")
    assert "no quarantined turns to retry" in run(session, out, "/retry_quarantined")
