"""EventBridgeMemoryEvents on botocore's Stubber: requests of at most 10 entries and 256 KB, failed entries (and only
those) sent again, a bounded number of times."""

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from mnemoscope.adapters.aws.eventbridge_memory_events import (
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    EventBridgeMemoryEvents,
    entry_size,
    requests_of,
)
from mnemoscope.domain import memory_events
from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable
from mnemoscope.domain.memory import MAX_MEMORY_CHARS
from mnemoscope.domain.memory_events import MemoryEvent
from tests.contracts.builders import T0, memory


def _events(count: int, content_chars: int = 0) -> list[MemoryEvent]:
    text = "记" * content_chars if content_chars else None  # 3 bytes each in UTF-8
    return [
        memory_events.created(
            memory(f"m{i}", text or f"fact {i}"), T0 + timedelta(seconds=i), include_content=bool(text)
        )
        for i in range(count)
    ]


@pytest.fixture
def client() -> Any:
    return boto3.client("events", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def _accepted(count: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e{i}"} for i in range(count)]}


def test_25_small_events_go_in_three_requests_of_at_most_ten(client: Any) -> None:
    # Given 25 events
    publisher = EventBridgeMemoryEvents("default", client=client, sleep=lambda _s: None)
    sent: list[list[dict[str, Any]]] = []
    client.meta.events.register(
        "provide-client-params.events.PutEvents", lambda params, **_: sent.append(params["Entries"])
    )
    with Stubber(client) as stub:
        for size in (10, 10, 5):
            stub.add_response("put_events", _accepted(size), {"Entries": ANY})
        # When they are published
        publisher.publish(_events(25))
        stub.assert_no_pending_responses()
    # Then in order, ten per request, each entry shaped for a rule on source and detail-type
    assert [len(request) for request in sent] == [10, 10, 5]
    first = sent[0][0]
    assert (first["EventBusName"], first["Source"], first["DetailType"]) == ("default", "mnemoscope", "Memory Created")
    assert json.loads(first["Detail"])["memory_id"] == "m0"
    assert [json.loads(e["Detail"])["memory_id"] for request in sent for e in request] == [f"m{i}" for i in range(25)]


def test_large_events_are_cut_by_bytes_before_the_count_limit() -> None:
    # Given nine events carrying the longest content a memory may have, in 3-byte characters (~48 KB each)
    publisher = EventBridgeMemoryEvents("default", client=object(), sleep=lambda _s: None)  # type: ignore[arg-type]
    entries = [publisher.entry(event) for event in _events(9, content_chars=MAX_MEMORY_CHARS)]
    assert all(entry_size(e) > MAX_MEMORY_CHARS * 3 for e in entries)
    # When they are cut into requests
    requests = list(requests_of(entries))
    # Then bytes, not the count, cut them: no request passes 256 KB, each is as full as the next entry allows
    sizes = [sum(entry_size(e) for e in r) for r in requests]
    assert len(requests) > 1
    assert all(len(r) < MAX_ENTRIES for r in requests)
    assert all(size <= MAX_REQUEST_BYTES for size in sizes)
    assert all(size + entry_size(r[0]) > MAX_REQUEST_BYTES for size, r in zip(sizes, requests[1:], strict=False))
    # And nothing is lost or reordered
    assert [e for r in requests for e in r] == entries


def test_an_entry_larger_than_a_request_is_refused_as_our_fault() -> None:
    entry = {"Source": "mnemoscope", "DetailType": "Memory Created", "Detail": "x" * MAX_REQUEST_BYTES}
    with pytest.raises(BackendRejected):
        list(requests_of([entry]))  # type: ignore[list-item]


def test_only_the_failed_entries_are_sent_again(client: Any) -> None:
    # Given a first answer that fails entries 2 and 4 (throttled), then accepts the retry
    publisher = EventBridgeMemoryEvents("bus", client=client, sleep=lambda _s: None)
    sent: list[list[str]] = []
    client.meta.events.register(
        "provide-client-params.events.PutEvents",
        lambda params, **_: sent.append([json.loads(e["Detail"])["memory_id"] for e in params["Entries"]]),
    )
    partial = {
        "FailedEntryCount": 2,
        "Entries": [
            {"EventId": "a"},
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
            {"EventId": "c"},
            {"ErrorCode": "InternalFailure", "ErrorMessage": "oops"},
        ],
    }
    with Stubber(client) as stub:
        stub.add_response("put_events", partial, {"Entries": ANY})
        stub.add_response("put_events", _accepted(2), {"Entries": ANY})
        # When four events are published
        publisher.publish(_events(4))
        stub.assert_no_pending_responses()
    # Then the retry carried exactly the two that failed
    assert sent == [["m0", "m1", "m2", "m3"], ["m1", "m3"]]


def test_entries_still_failing_after_the_retries_fail_the_publish(client: Any) -> None:
    publisher = EventBridgeMemoryEvents("bus", client=client, sleep=lambda _s: None)
    failing = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow"}]}
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_response("put_events", failing, {"Entries": ANY})
        with pytest.raises(DependencyUnavailable, match="ThrottlingException"):
            publisher.publish(_events(1))
        stub.assert_no_pending_responses()


def test_a_throttled_call_is_a_dependency_outage_and_a_refused_one_our_fault(client: Any) -> None:
    publisher = EventBridgeMemoryEvents("bus", client=client, sleep=lambda _s: None)
    with Stubber(client) as stub:
        stub.add_client_error("put_events", "ThrottlingException", http_status_code=400)
        stub.add_client_error("put_events", "AccessDeniedException", http_status_code=400)
        with pytest.raises(DependencyUnavailable):
            publisher.publish(_events(1))
        with pytest.raises(BackendRejected, match="AccessDeniedException"):
            publisher.publish(_events(1))
