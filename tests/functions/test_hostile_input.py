"""Hostile and careless input through the api function: always a 4xx naming the field, never a 500, never stored
differently from what was sent."""

import base64
import json
from typing import Any

import pytest

from mnemoscope.api.body_limits import MAX_JSON_DEPTH
from mnemoscope.contracts.api import MAX_CUSTOM_MEMORY_CHARS, MAX_QUERY_CHARS
from mnemoscope.wiring import Services
from tests.fakes.recording_queue import RecordingJobQueue
from tests.functions.api_calls import call_event

pytestmark = pytest.mark.usefixtures("local_services")


def _search(**fields: Any) -> dict[str, Any]:
    return {"body": {"user_id": "alice", "query": "tea", **fields}}


def _search_text(fragment: str) -> dict[str, Any]:
    """A search body with a member written as raw JSON text, for values json.dumps cannot write."""
    return {"body_text": '{"user_id": "alice", "query": "tea", ' + fragment + "}"}


def _turn(**fields: Any) -> dict[str, Any]:
    return {"body": {"user_id": "alice", "messages": [{"role": "user", "content": "hi", **fields}]}}


def _memory(content: Any) -> dict[str, Any]:
    return {"body": {"user_id": "alice", "content": content}}


def _nested(depth: int) -> str:
    return '{"user_id": "alice", "messages": ' + "[" * depth + "]" * depth + "}"


# (case, event, changes, status, field); no field for a path that no route can match
CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    # The JSON body itself
    ("nested 1,200 deep", "append_messages", {"body_text": "[" * 1200 + "]" * 1200}, 400, "body"),
    ("objects nested 1,200 deep", "add_memory", {"body_text": '{"a":' * 1200 + "1" + "}" * 1200}, 400, "body"),
    ("one level past the depth limit", "append_messages", {"body_text": _nested(MAX_JSON_DEPTH)}, 400, "body"),
    ("at the depth limit", "append_messages", {"body_text": _nested(MAX_JSON_DEPTH - 1)}, 422, "messages[0]"),
    ("not JSON", "add_memory", {"body_text": "{user_id: alice"}, 400, "body"),
    ("a JSON array", "add_memory", {"body_text": "[]"}, 422, "body"),
    ("JSON null", "add_memory", {"body_text": "null"}, 422, "body"),
    ("a repeated key", "add_memory", {"body_text": '{"user_id": "a", "content": "x", "content": "y"}'}, 422, "content"),
    ("an unknown field", "add_memory", {"body": {"user_id": "a", "content": "x", "admin": True}}, 422, "admin"),
    # Numbers
    ("a 5,000-digit integer", "search", _search_text('"top_k": ' + "9" * 5000), 422, "top_k"),
    ("NaN", "search", _search_text('"top_k": NaN'), 422, "top_k"),
    ("Infinity", "search", _search_text('"top_k": -Infinity'), 422, "top_k"),
    ("1e400", "search", _search_text('"top_k": 1e400'), 422, "top_k"),
    ("a fraction where an integer is expected", "search", _search(top_k=5.5), 422, "top_k"),
    ("a numeric string where an integer is expected", "search", _search(top_k="5"), 422, "top_k"),
    ("true where an integer is expected", "search", _search(top_k=True), 422, "top_k"),
    ("0 where a boolean is expected", "search", _search(include_recent=0), 422, "include_recent"),
    (
        "a fraction in a union",
        "search",
        {"path": "/v1/chat", "body": {"user_id": "a", "message": "hi", "history": 1.5}},
        422,
        "history",
    ),
    # Lists and enums
    ("null in a list", "search", _search(types=[None]), 422, "types[0]"),
    ("an unknown enum value", "search", _search(types=["dream"]), 422, "types[0]"),
    ("more types than exist", "search", _search(types=["custom"] * 4), 422, "types"),
    ("null in the turns", "append_messages", {"body": {"user_id": "a", "messages": [None]}}, 422, "messages[0]"),
    ("an unknown role", "append_messages", _turn(role="wizard"), 422, "messages[0].role"),
    # Strings
    ("a lone surrogate in an id", "search", _search_text('"agent_id": "\\ud800"'), 422, "agent_id"),
    ("a lone surrogate in the query", "search", {"body_text": '{"user_id": "a", "query": "\\udfff"}'}, 422, "query"),
    ("NUL in a memory", "add_memory", _memory("peanuts\u0000"), 422, "content"),
    ("NUL in a speaker name", "append_messages", _turn(name="a\u0000b"), 422, "messages[0].name"),
    ("a blank query", "search", _search(query=" \t\n"), 422, "query"),
    ("a blank memory", "add_memory", _memory("\u3000\u00a0 "), 422, "content"),
    ("a blank turn", "append_messages", _turn(content="\u2028\r\n"), 422, "messages[0].content"),
    ("an empty memory", "add_memory", _memory(""), 422, "content"),
    ("a memory over the limit", "add_memory", _memory("x" * (MAX_CUSTOM_MEMORY_CHARS + 1)), 422, "content"),
    ("a query over the limit", "search", _search(query="x" * (MAX_QUERY_CHARS + 1)), 422, "query"),
    ("a 5,000-character user id", "search", {"body": {"user_id": "u" * 5000, "query": "tea"}}, 422, "user_id"),
    ("a user id with a slash", "add_memory", {"body": {"user_id": "../b", "content": "x"}}, 422, "user_id"),
    # Times
    ("at in year 1 with an offset", "search", _search(at="0001-01-01T00:00:00+05:00"), 422, "at"),
    ("at in year 9999 with an offset", "search", _search(at="9999-12-31T23:00:00-05:00"), 422, "at"),
    ("at without an offset", "search", _search(at="2024-08-02T10:00:00"), 422, "at"),
    ("at as a number", "search", _search(at=1722592800), 422, "at"),
    ("created_at 0", "append_messages", _turn(created_at=0), 422, "messages[0].created_at"),
    ("created_at '0'", "append_messages", _turn(created_at="0"), 422, "messages[0].created_at"),
    (
        "created_at with a space",
        "append_messages",
        _turn(created_at="2024-08-02 10:00:00+00:00"),
        422,
        "messages[0].created_at",
    ),
    ("created_at as a date", "append_messages", _turn(created_at="2024-08-02"), 422, "messages[0].created_at"),
    (
        "created_at in year 9999",
        "append_messages",
        _turn(created_at="9999-12-31T23:59:59-05:00"),
        422,
        "messages[0].created_at",
    ),
    # Timezones
    ("a timezone that is a folder", "search", _search(timezone="America"), 422, "timezone"),
    ("a timezone that is a path", "search", _search(timezone="../etc"), 422, "timezone"),
    ("an absolute path", "search", _search(timezone="/etc/passwd"), 422, "timezone"),
    ("an empty timezone", "search", _search(timezone=""), 422, "timezone"),
    ("a timezone with NUL", "search", _search(timezone="UTC\u0000"), 422, "timezone"),
    (
        "a chat timezone that is a folder",
        "search",
        {"path": "/v1/chat", "body": {"user_id": "a", "message": "hi", "timezone": "Europe"}},
        422,
        "timezone",
    ),
    # Query string and path
    ("a garbage cursor", "list_memories", {"query": {"user_id": "alice", "cursor": "garbage!!"}}, 400, "cursor"),
    ("a cursor with NUL", "list_memories", {"query": {"user_id": "alice", "cursor": "\u0000"}}, 400, "cursor"),
    ("a 500-digit limit", "list_memories", {"query": {"user_id": "alice", "limit": "9" * 500}}, 422, "limit"),
    ("an unknown type filter", "list_memories", {"query": {"user_id": "alice", "type": "dream"}}, 422, "type"),
    ("a 5,000-character memory id", "get_memory", {"path": "/v1/memories/" + "m" * 5000}, 422, "memory_id"),
    ("an encoded slash in a memory id", "delete_memory", {"path": "/v1/memories/a%2Fb"}, 404, ""),
    ("an encoded NUL in a memory id", "delete_memory", {"path": "/v1/memories/a%00b"}, 400, "path"),
    ("an encoded é in a memory id", "delete_memory", {"path": "/v1/memories/caf%C3%A9"}, 422, "memory_id"),
    ("an encoded space as a user id", "forget_user", {"path": "/v1/users/%20"}, 422, "user_id"),
]


@pytest.mark.parametrize(("case", "event", "changes", "status", "field"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_a_4xx_naming_the_field(
    case: str, event: str, changes: dict[str, Any], status: int, field: str
) -> None:
    got, body, _ = call_event(event, **changes)
    assert (got, body["error"].get("fields")) == (status, [field] if field else None), body
    assert "Traceback" not in json.dumps(body)


def test_the_same_turn_twice_in_a_batch_is_stored_once(local_services: Services, job_queue: RecordingJobQueue) -> None:
    turn = {"role": "user", "content": "I moved to Lisbon", "id": "t1"}
    status, body, _ = call_event("append_messages", body={"user_id": "alice", "messages": [turn, turn]})
    assert (status, body["message_ids"]) == (202, ["t1", "t1"])
    assert [p.message.content for p in local_services.ports.chat_log.pending(job_queue.jobs[0].scope)] == [
        turn["content"]
    ]


def test_a_different_turn_under_a_repeated_id_is_a_409_naming_its_index(
    local_services: Services, job_queue: RecordingJobQueue
) -> None:
    turns = [
        {"role": "user", "content": "first", "id": "a"},
        {"role": "user", "content": "second", "id": "b"},
        {"role": "user", "content": "not the first", "id": "a"},
    ]
    status, body, _ = call_event("append_messages", body={"user_id": "alice", "messages": turns})
    assert (status, body["error"]["code"], body["error"]["fields"]) == (409, "id_conflict", ["messages[2].id"])
    assert job_queue.jobs == []  # nothing stored, nothing to consolidate


def test_a_different_turn_under_a_stored_id_is_a_409_and_a_retry_of_the_same_turn_is_not() -> None:
    said = {"role": "user", "content": "I like tea", "id": "t1", "created_at": "2024-08-01T09:00:00+02:00"}
    assert call_event("append_messages", body={"user_id": "alice", "messages": [said]})[0] == 202
    # The same turn again (a retry), also without its time: accepted, nothing changes
    retry = {k: v for k, v in said.items() if k != "created_at"}
    assert call_event("append_messages", body={"user_id": "alice", "messages": [said, retry]})[0] == 202
    # Another text under the stored id
    changed = {**said, "content": "I like coffee"}
    status, body, _ = call_event("append_messages", body={"user_id": "alice", "messages": [changed]})
    assert (status, body["error"]["fields"]) == (409, ["messages[0].id"])
    # Another time under the stored id
    moved = {**said, "created_at": "2024-08-01T10:00:00+02:00"}
    assert call_event("append_messages", body={"user_id": "alice", "messages": [moved]})[0] == 409


def test_created_at_keeps_the_instant_sent(local_services: Services, job_queue: RecordingJobQueue) -> None:
    call_event("append_messages", **_turn(id="t1", created_at="2024-08-01t23:30:00.123456789z"))
    stored = local_services.ports.chat_log.pending(job_queue.jobs[0].scope)[0].message.created_at
    assert stored.isoformat() == "2024-08-01T23:30:00.123456+00:00"


def test_a_percent_encoded_user_id_in_the_path_is_decoded() -> None:
    assert call_event("add_memory", body={"user_id": "alice@example.com", "content": "likes tea"})[0] == 201
    assert call_event("forget_user", path="/v1/users/alice%40example.com")[0] == 204
    _, listed, _ = call_event("list_memories", query={"user_id": "alice@example.com"})
    assert listed["memories"] == []


@pytest.mark.parametrize(
    ("event", "method", "allowed"),
    [("health", "POST", "GET"), ("add_memory", "PUT", "GET, POST"), ("get_memory", "PATCH", "DELETE, GET")],
)
def test_a_method_a_path_does_not_have_is_a_405_with_allow(event: str, method: str, allowed: str) -> None:
    status, body, headers = call_event(event, method=method)
    assert (status, body["error"]["code"], headers.get("Allow")) == (405, "method_not_allowed", allowed)


@pytest.mark.parametrize(
    ("event", "method"), [("get_memory", "DELETE"), ("get_memory", "GET"), ("list_memories", "GET")]
)
@pytest.mark.parametrize("suffix", ["%0A", "%0D", "%00", "%1F", "%7F", "\n"])
def test_a_control_character_in_the_path_is_a_400_naming_it(event: str, method: str, suffix: str) -> None:
    # `$` in the router's patterns also matches before a final newline: /v1/memories/%0A was /v1/memories.
    path = "/v1/memories/" + suffix if event == "get_memory" else "/v1/memories" + suffix
    status, body, _ = call_event(event, method=method, path=path, query={"user_id": "alice"})
    assert (status, body["error"]["code"], body["error"]["fields"]) == (400, "invalid_path", ["path"])


def test_brackets_inside_strings_are_not_nesting() -> None:
    status, _, _ = call_event("search", body={"user_id": "alice", "query": "[{" * 100 + "tea" + "}]" * 100})
    assert status == 200


def test_a_base64_body_is_checked_after_decoding() -> None:
    deep = base64.b64encode(("[" * 1200 + "]" * 1200).encode()).decode()
    assert call_event("append_messages", body_text=deep, base64=True)[:2] == (
        400,
        {
            "error": {
                "code": "too_deep",
                "message": f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels",
                "fields": ["body"],
            }
        },
    )
    status, body, _ = call_event("append_messages", body_text="not base64!", base64=True)
    assert (status, body["error"]["fields"]) == (400, ["body"])
