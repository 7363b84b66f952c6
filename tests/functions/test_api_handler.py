"""The api function driven by API Gateway events (events/api/*.json) on real SQLite adapters."""

import json

import pytest

from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.fakes.recording_queue import RecordingJobQueue
from tests.functions.api_calls import call, call_event

pytestmark = pytest.mark.usefixtures("local_services")


def test_health() -> None:
    status, body, _ = call_event("health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["consolidation"] == "paused: no chat model configured"


def test_append_messages_stores_turns_and_enqueues_one_job(
    local_services: Services, job_queue: RecordingJobQueue
) -> None:
    # When
    status, body, _ = call_event("append_messages")
    # Then
    assert status == 202
    assert body["accepted"] == 3
    assert body["message_ids"][:2] == ["m-1", "m-2"]
    assert [job.kind for job in job_queue.jobs] == ["consolidate"]
    scope = job_queue.jobs[0].scope
    assert (scope.tenant_id, scope.agent_id, scope.user_id) == ("tenant-acme", "travel-bot", "alice")
    pending = local_services.ports.chat_log.pending(scope)
    assert [p.message.id for p in pending] == body["message_ids"]
    assert pending[2].message.created_at == local_services.clock.now()


def test_repeated_message_ids_are_stored_once(local_services: Services, job_queue: RecordingJobQueue) -> None:
    call_event("append_messages")
    status, _, _ = call_event("append_messages")
    assert status == 202
    assert len(local_services.ports.chat_log.pending(job_queue.jobs[0].scope)) == 3
    assert len(job_queue.jobs) == 1  # nothing new, nothing to consolidate


@pytest.mark.parametrize(
    ("event", "status", "field"),
    [
        ("append_messages_empty", 422, "messages"),
        ("append_messages_missing_user_id", 422, "user_id"),
        ("append_messages_bad_role", 422, "messages[0].role"),
        ("append_messages_wrong_types", 422, "user_id"),
        ("append_messages_bad_user_id", 422, "user_id"),
        ("append_messages_invalid_json", 400, "body"),
        ("add_memory_empty_content", 422, "content"),
        ("list_memories_bad_limit", 422, "limit"),
        ("list_memories_missing_user_id", 422, "user_id"),
        ("search_missing_query", 422, "query"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(event: str, status: int, field: str) -> None:
    got_status, body, _ = call_event(event)
    assert got_status == status
    assert field in body["error"]["fields"]
    assert "Traceback" not in json.dumps(body)


def test_101_messages_are_refused() -> None:
    messages = [{"role": "user", "content": f"turn {i}"} for i in range(101)]
    status, body, _ = call_event("append_messages", body={"user_id": "alice", "messages": messages})
    assert status == 422
    assert body["error"]["fields"] == ["messages"]


def test_content_over_16000_characters_is_refused() -> None:
    status, body, _ = call_event(
        "append_messages", body={"user_id": "a", "messages": [{"role": "user", "content": "x" * 16_001}]}
    )
    assert status == 422
    assert body["error"]["fields"] == ["messages[0].content"]


def test_body_over_1mb_is_413() -> None:
    event = load_event("api/add_memory.json")
    event["body"] = json.dumps({"user_id": "alice", "content": "x" * 1_000_001})
    status, body, _ = call(event)
    assert status == 413
    assert body["error"]["code"] == "too_large"


def test_no_tenant_is_401_except_for_health() -> None:
    assert call_event("health_no_api_key")[0] == 200
    status, body, _ = call_event("list_memories", tenant=None)
    assert status == 401
    assert body["error"]["code"] == "unauthenticated"


def test_unknown_route_is_a_json_404() -> None:
    status, body, _ = call_event("unknown_route")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_custom_memory_lifecycle() -> None:
    # Given a custom memory
    status, body, _ = call_event("add_memory")
    assert status == 201
    memory = body["memory"]
    assert memory["type"] == "custom"
    assert memory["status"] == "valid"
    assert memory["event_time"] is None
    assert memory["created_at"].endswith(("Z", "+00:00"))
    path = f"/v1/memories/{memory['id']}"
    # When / Then: get, list, search, delete, get again
    status, got, _ = call_event("get_memory", path=path)
    assert (status, got["memory"]) == (200, memory)
    status, listed, _ = call_event("list_memories")
    assert [m["id"] for m in listed["memories"]] == [memory["id"]]
    status, found, _ = call_event("search")
    assert found["memories"][0]["id"] == memory["id"]
    assert found["memories"][0]["score"] > 0
    status, _, _ = call_event("delete_memory", path=path)
    assert status == 204
    assert call_event("get_memory", path=path)[0] == 404
    assert call_event("delete_memory", path=path)[0] == 404


def test_another_tenants_or_users_memory_is_404() -> None:
    _, body, _ = call_event("add_memory")
    path = f"/v1/memories/{body['memory']['id']}"
    assert call_event("get_memory", path=path, tenant="tenant-other")[0] == 404
    assert call_event("get_memory", path=path, query={"user_id": "bob"})[0] == 404
    assert call_event("get_memory", path=path, query={"user_id": "alice", "agent_id": "other"})[0] == 404
    assert call_event("delete_memory", path=path, tenant="tenant-other")[0] == 404
    assert call_event("list_memories", tenant="tenant-other")[1]["memories"] == []
    assert call_event("get_memory", path=path)[0] == 200


def test_listing_pages_newest_first(local_services: Services) -> None:
    for i in range(5):
        call_event("add_memory", body={"user_id": "alice", "content": f"fact number {i}"})
        local_services.clock.advance(seconds=1)  # type: ignore[attr-defined]
    seen: list[str] = []
    query = {"user_id": "alice", "limit": "2"}
    while True:
        status, page, _ = call_event("list_memories", query=query)
        assert status == 200
        seen += [m["content"] for m in page["memories"]]
        if not page["next_cursor"]:
            break
        query = {**query, "cursor": page["next_cursor"]}
    assert seen == [f"fact number {i}" for i in reversed(range(5))]


def test_list_filters_by_type_and_status() -> None:
    call_event("add_memory")
    assert len(call_event("list_memories", query={"user_id": "alice", "type": "custom"})[1]["memories"]) == 1
    assert call_event("list_memories", query={"user_id": "alice", "type": "insight"})[1]["memories"] == []
    assert call_event("list_memories", query={"user_id": "alice", "status": "expired"})[1]["memories"] == []
    assert call_event("list_memories", query={"user_id": "alice", "type": "nonsense"})[0] == 422


def test_bad_cursor_is_400() -> None:
    status, body, _ = call_event("list_memories", query={"user_id": "alice", "cursor": "garbage!!"})
    assert status == 400
    assert body["error"]["fields"] == ["cursor"]


def test_forget_user_removes_log_and_memories(local_services: Services, job_queue: RecordingJobQueue) -> None:
    call_event("add_memory")
    call_event("append_messages", body={"user_id": "alice", "messages": [{"role": "user", "content": "hi"}]})
    scope = job_queue.jobs[0].scope
    # When
    status, _, _ = call_event("forget_user")
    # Then
    assert status == 204
    assert call_event("list_memories")[1]["memories"] == []
    assert local_services.ports.chat_log.recent(scope, 10) == []


def test_consolidate_and_reflect_enqueue_jobs(job_queue: RecordingJobQueue) -> None:
    assert call_event("consolidate")[0:2] == (202, {"status": "queued", "kind": "consolidate"})
    assert call_event("reflect")[0] == 202
    assert [j.kind for j in job_queue.jobs] == ["consolidate", "reflect"]


def test_dependency_down_is_503_with_retry_after(job_queue: RecordingJobQueue) -> None:
    job_queue.fail_with = DependencyUnavailable("queue down", retry_after_seconds=7)
    status, body, headers = call_event("consolidate")
    assert status == 503
    assert headers["Retry-After"] == "7"
    assert body["error"]["code"] == "unavailable"


def test_unexpected_error_is_a_generic_500(job_queue: RecordingJobQueue) -> None:
    job_queue.fail_with = RuntimeError("secret internals")
    status, body, _ = call_event("consolidate")
    assert status == 500
    assert "secret" not in json.dumps(body)


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"query": ""}, 422, "query"),
        ({"top_k": 0}, 422, "top_k"),
        ({"top_k": 51}, 422, "top_k"),
        ({"timezone": "Mars/Olympus"}, 422, "timezone"),
        ({"at": "yesterday-ish"}, 422, "at"),
        ({"at": "2024-08-02T10:00:00"}, 422, "at"),  # no offset: ambiguous
        ({"types": ["dream"]}, 422, "types[0]"),
    ],
)
def test_bad_search_requests_name_the_field(changes: dict[str, object], status: int, field: str) -> None:
    got, body, _ = call_event("search", body={"user_id": "alice", "query": "tea", **changes})
    assert got == status
    assert field in body["error"]["fields"]


def test_search_returns_context_lines_and_recent_turns_in_the_requested_timezone() -> None:
    call_event("add_memory")
    call_event("append_messages")
    status, body, _ = call_event(
        "search",
        body={"user_id": "alice", "query": "peanuts", "timezone": "Asia/Shanghai", "at": "2024-08-02T12:00:00+00:00"},
    )
    assert status == 200
    assert body["context"].startswith("[2024-08-02 18:00:00 Friday] Alice is allergic to peanuts.")
    assert body["memories"][0]["content"] == "Alice is allergic to peanuts."
    assert body["recent"] == []  # those turns were for agent travel-bot, another scope
    status, body, _ = call_event("search", body={"user_id": "alice", "agent_id": "travel-bot", "query": "move"})
    assert [m["id"] for m in body["recent"]][:2] == ["m-1", "m-2"]


@pytest.mark.parametrize("user_id", ["bad%20id", "a*b", "x" * 129])
def test_forget_user_with_a_forbidden_id_is_422(user_id: str) -> None:
    status, body, _ = call_event("forget_user", path=f"/v1/users/{user_id}")
    assert status == 422
    assert body["error"]["fields"] == ["user_id"]
