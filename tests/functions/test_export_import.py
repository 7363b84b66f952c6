"""GET /v1/users/{user_id}/export and POST /v1/import through the api function, on the SQLite backend."""

import json
from typing import Any

import pytest

from mnemoscope.api import portability_routes
from mnemoscope.domain.scope import Scope
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.functions.api_calls import call, call_event
from tests.functions.portability_seed import seed

TENANT = "tenant-acme"  # the events' API key id
ALICE = Scope(tenant_id=TENANT, user_id="alice")
BOB = Scope(tenant_id=TENANT, user_id="bob")


def export(user_id: str = "alice", tenant: str = TENANT) -> str:
    event = load_event("api/export_user.json")
    event["path"] = f"/v1/users/{user_id}/export"
    event["requestContext"]["identity"]["apiKeyId"] = tenant
    result = call_raw(event)
    assert result["statusCode"] == 200, result["body"]
    assert result["multiValueHeaders"]["Content-Type"] == ["application/x-ndjson"]
    return str(result["body"])


def call_raw(event: dict[str, Any]) -> dict[str, Any]:
    from functions.api.handler import lambda_handler
    from mnemoscope.entrypoints.lambda_context import LocalLambdaContext

    return dict(lambda_handler(event, LocalLambdaContext("api")))


def import_into(user_id: str, jsonl: str) -> tuple[int, Any]:
    status, body, _ = call_event("import_file", body={"user_id": user_id, "agent_id": "default", "jsonl": jsonl})
    return status, body


def without_header(jsonl: str) -> list[str]:
    return jsonl.splitlines()[1:]


def test_export_lists_turns_memories_history_and_lineage(local_services: Services) -> None:
    # Given a scope with turns in every state and memories with history
    seed(local_services, ALICE)
    # When it is exported
    lines = [json.loads(line) for line in export().splitlines()]
    # Then the header names the format and scope, the end line the counts
    assert lines[0] == {
        "kind": "header", "format": "mnemoscope-export", "version": 1, "user_id": "alice", "agent_id": "default"
    }  # fmt: skip
    assert lines[-1] == {"kind": "end", "messages": 5, "memories": 4}
    turns = {line["id"]: line for line in lines if line["kind"] == "message"}
    assert {i: t["state"] for i, t in turns.items()} == {
        "t1": "consolidated", "t2": "consolidated", "t3": "quarantined", "t4": "consolidated", "t5": "pending"
    }  # fmt: skip
    assert turns["t3"]["quarantine"]["error"] == "LlmOutputInvalid"
    memories = {line["id"]: line for line in lines if line["kind"] == "memory"}
    assert memories["obs-bakery"]["status"] == "expired"
    assert memories["obs-bakery"]["superseded_by"] == "obs-hospital"
    assert memories["ins-job"]["history"] == [{"value": "baker", "replaced_at": "2024-08-04T09:30:00Z"}]
    assert memories["ins-job"]["source_memory_ids"] == ["obs-hospital"]


def test_import_into_another_scope_is_identical_and_idempotent(local_services: Services) -> None:
    # Given alice's export
    seed(local_services, ALICE)
    exported = export()
    # When it is imported into bob, twice
    first = import_into("bob", exported)
    second = import_into("bob", exported)
    # Then both succeed, and bob's export holds exactly alice's records and states (no duplicates)
    assert first == (200, first[1]) and first[1]["messages"] == 5 and first[1]["memories"] == 4
    assert second[0] == 200
    assert without_header(export("bob")) == without_header(exported)
    # the imported memories are searchable (embedded by the target)
    hits = local_services.retrieval.search(BOB, _query("where does Alice work?")).memories
    assert "obs-hospital" in [hit.node.id for hit in hits]
    # and the one pending turn queued consolidation
    jobs = local_services.ports.job_queue.jobs  # type: ignore[attr-defined]
    assert [(job.kind, job.scope) for job in jobs] == [("consolidate", BOB)]


def test_a_malformed_line_is_named_by_number_and_nothing_is_stored(local_services: Services) -> None:
    # Given an export with one line broken and another invalid
    seed(local_services, ALICE)
    lines = export().splitlines()
    lines[2] = lines[2][:-5]  # cut JSON
    lines[8] = lines[8].replace('"type":"custom"', '"type":"rumour"')  # newest first: cus-tea is the third memory
    # When it is imported
    status, body = import_into("bob", "\n".join(lines))
    # Then 422 names both lines, and bob has nothing
    assert status == 422
    assert body["error"]["code"] == "invalid_file"
    assert body["error"]["fields"] == ["jsonl:3", "jsonl:9.type"]
    assert "line 3: not a JSON object" in body["error"]["message"]
    assert export("bob").splitlines()[1:] == ['{"kind":"end","messages":0,"memories":0}']


@pytest.mark.parametrize(
    ("mangle", "field", "message"),
    [
        (lambda lines: lines[:-1], "jsonl:11", "the end line is missing"),
        (lambda lines: lines[1:], "jsonl:1.kind", "the first line must be the header"),
        (lambda lines: [*lines[:2], lines[1], *lines[2:]], "jsonl:3.id", "message id repeated (first on line 2)"),
        (lambda lines: [*lines[:-1], '{"kind":"end","messages":5,"memories":9}'], "jsonl:11", "the file holds"),
        (lambda lines: [lines[0].replace('"version":1', '"version":2'), *lines[1:]], "jsonl:1.version", "Input"),
    ],
)
def test_a_file_out_of_shape_is_refused(local_services: Services, mangle: Any, field: str, message: str) -> None:
    seed(local_services, ALICE)
    status, body = import_into("bob", "\n".join(mangle(export().splitlines())))
    assert status == 422
    assert field in body["error"]["fields"]
    assert message in body["error"]["message"]
    assert local_services.ports.chat_log.state(BOB).last_seq == 0


def test_a_turn_id_naming_another_stored_turn_is_a_conflict(local_services: Services) -> None:
    seed(local_services, ALICE)
    exported = export()
    # bob already has a turn "t1" that says something else
    status, _, _ = call_event(
        "append_messages", body={"user_id": "bob", "messages": [{"id": "t1", "role": "user", "content": "hi"}]}
    )
    assert status == 202
    status, body = import_into("bob", exported)
    assert status == 409
    assert body["error"]["fields"] == ["jsonl:6.id"]  # t1 is the file's oldest turn: after t5..t2


def test_another_tenant_sees_nothing_and_a_big_export_is_refused(
    local_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(local_services, ALICE)
    assert export(tenant="tenant-other").splitlines()[1:] == ['{"kind":"end","messages":0,"memories":0}']
    monkeypatch.setattr(portability_routes, "MAX_BUFFERED_EXPORT_BYTES", 500)
    result = call_raw(load_event("api/export_user.json"))
    assert result["statusCode"] == 413
    assert json.loads(result["body"])["error"]["code"] == "export_too_large"


def test_the_import_body_is_validated_like_any_other(local_services: Services) -> None:
    status, body, _ = call_event("import_file", body={"user_id": "bob", "jsonl": ""})
    assert status == 422
    assert body["error"]["fields"] == ["jsonl"]
    status, body = call(load_event("api/import_file.json"))[:2]
    assert status == 200
    assert body["messages"] == 1


def _query(text: str) -> Any:
    from mnemoscope.services.retrieval import SearchQuery

    return SearchQuery(query=text, top_k=5)


def test_a_file_split_in_parts_imports_like_the_whole(local_services: Services) -> None:
    # Given alice's file cut into parts small enough for one or two records each
    from mnemoscope.cli.portability import split_export

    seed(local_services, ALICE)
    exported = export()
    parts = split_export(exported, part_chars=700)
    assert len(parts) > 3
    # When the parts are imported into bob in order (as `mnemoscope import` does over HTTP)
    for part in parts:
        assert import_into("bob", part)[0] == 200
    # Then bob's file is alice's: same records, same turn order and states
    assert without_header(export("bob")) == without_header(exported)
