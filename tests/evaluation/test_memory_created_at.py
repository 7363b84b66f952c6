"""POST /v1/memories takes an optional `created_at` (imports and evaluation replays date memories in the past)."""

import pytest

from tests.functions.api_calls import call_event

pytestmark = pytest.mark.usefixtures("local_services")


def test_custom_memory_keeps_the_given_time() -> None:
    body = {"user_id": "alice", "content": "Alice ran a charity race", "created_at": "2023-05-20T13:56:00+02:00"}
    status, got, _ = call_event("add_memory", body=body)
    assert status == 201
    assert got["memory"]["created_at"] == "2023-05-20T13:56:00+02:00"
    assert got["memory"]["updated_at"] == got["memory"]["created_at"]


def test_without_created_at_the_server_clock_dates_the_memory() -> None:
    status, got, _ = call_event("add_memory", body={"user_id": "alice", "content": "Alice likes tea"})
    assert status == 201
    assert got["memory"]["created_at"] != "2023-05-20T13:56:00+02:00"


@pytest.mark.parametrize("value", ["2023-05-20T13:56:00", "yesterday", "2023-13-01T00:00:00Z"])
def test_a_naive_or_malformed_time_is_a_422_naming_the_field(value: object) -> None:
    status, got, _ = call_event("add_memory", body={"user_id": "alice", "content": "x", "created_at": value})
    assert status == 422
    assert "created_at" in got["error"]["fields"]
