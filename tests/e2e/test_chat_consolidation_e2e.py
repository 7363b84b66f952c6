"""End to end with a model: `serve` + the real OpenAI adapter talking to an OpenAI-compatible server on 127.0.0.1.

chat → both turns logged → the in-process queue runs the consolidate handler → an observation appears; the turns
leave `recent` once consolidated; a job change supersedes the old job with history."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_openai import REPLY, FakeOpenAI
from tests.e2e.test_serve_http import Server


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    yield fake
    fake.close()


@pytest.fixture
def server(tmp_path: Path, model: FakeOpenAI) -> Iterator[Server]:
    env = {
        "MNEMOSCOPE_CHAT_PROVIDER": "openai",
        "MNEMOSCOPE_CHAT_MODEL": "my-local-llm",
        "MNEMOSCOPE_OPENAI_BASE_URL": model.url,
        "MNEMOSCOPE_OPENAI_API_KEY": "test-key",
    }
    srv = Server(tmp_path / "data", extra_env=env)
    srv.wait_ready()
    yield srv
    srv.stop()


def _observations(server: Server, status: str) -> list[dict[str, Any]]:
    _, body, _ = server.request("GET", f"/v1/memories?user_id=alice&type=observation&status={status}")
    return list(body["memories"])


def _wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_chat_consolidates_and_supersedes(server: Server, model: FakeOpenAI) -> None:
    # Given a configured model
    assert server.request("GET", "/v1/health")[1]["consolidation"] == "active"
    # When the user tells their job through chat
    status, body, _ = server.request("POST", "/v1/chat", {"user_id": "alice", "message": "I work as a baker."})
    assert (status, body["reply"]) == (200, REPLY)
    assert model.requests[0]["model"] == "my-local-llm"  # the configured model name reaches the provider
    # Then consolidation turns it into an observation, with lineage to the turn
    first = _wait_for(lambda: _observations(server, "valid"))
    assert first[0]["content"] == "The user works as a baker."
    _, got, _ = server.request("GET", f"/v1/memories/{first[0]['id']}?user_id=alice")
    assert [m["content"] for m in got["lineage"]["source_messages"]] == ["I work as a baker."]
    _, found, _ = server.request("POST", "/v1/memories/search", {"user_id": "alice", "query": "what is my job"})
    assert found["memories"][0]["id"] == first[0]["id"]
    assert found["recent"] == []  # consolidated turns leave the read-your-writes tail
    # When the job changes (the model is asked to reconcile with the old memory)
    server.request(
        "POST",
        "/v1/messages",
        {"user_id": "alice", "messages": [{"role": "user", "content": "I work as a nurse now."}]},
    )
    expired = _wait_for(lambda: _observations(server, "expired"), timeout=30)
    # Then the old job is history and the new one is current
    assert expired[0]["id"] == first[0]["id"]
    current = _observations(server, "valid")
    assert [m["content"] for m in current] == ["The user works as a nurse."]
    assert expired[0]["superseded_by"] == current[0]["id"]
