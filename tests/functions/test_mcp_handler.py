"""MCP over streamable HTTP against the api Lambda handler, through API-Gateway-shaped events (API key -> tenant),
driven by the MCP SDK's own client; and the SDK stays off the cold path of REST requests."""

import base64
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.fakes.handler_transport import AsyncHandlerTransport
from tests.functions.api_calls import call_event
from tests.mcp_scenario import call, error_of, full_conversation

AT = datetime(2024, 8, 2, tzinfo=UTC)
URL = "https://memory.example.com/mcp"  # API Gateway passes the path without the stage


@asynccontextmanager
async def mcp_client(tenant: str | None, mode: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(transport=AsyncHandlerTransport(tenant))
    async with http, Client(streamable_http_client(URL, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
        yield client


# "legacy": the initialize handshake (2025 protocol revisions, what desktop agents speak today);
# "auto": the SDK's default, server/discover and per-request envelopes (2026-07-28).
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_mcp_conversation_through_the_api_handler(local_services: Services, mode: str) -> None:
    async def conversation() -> None:
        async with mcp_client("tenant-a", mode) as owner, mcp_client("tenant-b", mode) as stranger:
            await full_conversation(owner, stranger)

    anyio.run(conversation)


def test_a_single_api_gateway_event_answers_a_tool_call(local_services: Services) -> None:
    # Stateless: a tools/call with no session before it is answered whole (any Lambda instance can take it).
    status, body, headers = call_event("mcp_search")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert body["id"] == 1
    assert body["result"]["isError"] is False
    assert body["result"]["structuredContent"]["memories"] == []
    assert "mcp-session-id" not in headers


def test_a_base64_body_is_read(local_services: Services) -> None:
    # API Gateway base64-encodes bodies of binary media types; the JSON-RPC inside is the same.
    plain = load_event("api/mcp_search.json")["body"]
    status, body, _ = call_event("mcp_search", body_text=base64.b64encode(plain.encode()).decode(), base64=True)
    assert (status, body["result"]["isError"]) == (200, False)


def test_mcp_without_an_api_key_is_refused(local_services: Services) -> None:
    status, body, _ = call_event("mcp_search", tenant=None)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


def test_mcp_get_opens_no_stream(local_services: Services) -> None:
    # Stateless JSON mode: there is no server-initiated SSE stream to open.
    for method in ("GET", "DELETE"):
        status, body, headers = call_event("mcp_search", method=method, body_text="")
        assert (status, headers["Allow"], body["error"]["code"]) == (405, "POST", "method_not_allowed")


def test_mcp_body_limits_are_the_apis(local_services: Services) -> None:
    status, body, _ = call_event("mcp_search", body_text='{"a": ' * 40 + "1" + "}" * 40)
    assert (status, body["error"]["fields"]) == (400, ["body"])
    status, body, _ = call_event("mcp_search", body_text=" " * 1_000_001)
    assert (status, body["error"]["code"]) == (413, "too_large")


def test_rest_requests_never_import_the_mcp_sdk() -> None:
    # A fresh interpreter: the api function's cold path for a REST request. Only the constant-only package
    # `mnemoscope.mcp_server` (its __init__) may load.
    code = (
        "import json, sys\n"
        "from tests.functions.api_calls import call_event\n"
        "status, _, _ = call_event('health')\n"
        "sdk = ('mcp', 'mcp_types', 'starlette', 'sse_starlette', 'uvicorn', 'jsonschema')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in sdk or m.startswith('mnemoscope.mcp_server.')]\n"
        "print(json.dumps({'status': status, 'loaded': sorted(loaded)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"status": 200, "loaded": []}


def test_get_memory_answers_exactly_what_rest_answers(local_services: Services) -> None:
    # Given a turn, an observation from it that replaced an older one, and an insight with an earlier value
    scope = Scope(tenant_id="tenant-acme", user_id="alice")
    local_services.ports.chat_log.append(
        scope, [Message(id="turn-1", role="user", content="I started at the hospital", created_at=AT)]
    )
    nodes = [
        _node(scope, "obs-old", "Alice works at a bakery", status="expired", superseded_by="obs-new"),
        _node(scope, "obs-new", "Alice works at a hospital", source_message_ids=("turn-1",)),
        _node(
            scope,
            "ins-job",
            "Job of Alice: nurse",
            type="insight",
            key="job",
            value="nurse",
            source_memory_ids=("obs-new",),
            history=({"value": "baker", "replaced_at": AT},),
        ),
    ]
    vector = tuple(local_services.ports.embedder.embed_query("x"))
    local_services.ports.memory_index.upsert([IndexEntry(node=n, vector=vector) for n in nodes])

    async def over_mcp() -> dict[str, Any]:
        async with mcp_client("tenant-acme", "legacy") as client:
            return {n.id: await call(client, "get_memory", user_id="alice", memory_id=n.id) for n in nodes}

    # When the same memories are read over MCP and over REST
    answers = anyio.run(over_mcp)
    for node in nodes:
        status, rest, _ = call_event("get_memory", path=f"/v1/memories/{node.id}")
        # Then the answers are the same document: history, lineage and all
        assert status == 200
        assert answers[node.id] == rest
    assert answers["ins-job"]["memory"]["history"][0]["value"] == "baker"
    assert [m["id"] for m in answers["obs-new"]["lineage"]["source_messages"]] == ["turn-1"]
    assert answers["obs-old"]["lineage"]["superseded_by"]["id"] == "obs-new"


def _node(scope: Scope, node_id: str, content: str, **extra: object) -> MemoryNode:
    data = {"id": node_id, "scope": scope, "type": "observation", "content": content, "created_at": AT}
    return MemoryNode.model_validate(data | {"updated_at": AT} | extra)


def test_search_in_an_explicit_time_window(local_services: Services) -> None:
    # Given two observations about events in May and in July
    scope = Scope(tenant_id="tenant-acme", user_id="alice")
    may = {"start": datetime(2024, 5, 10, tzinfo=UTC), "end": datetime(2024, 5, 11, tzinfo=UTC)}
    july = {"start": datetime(2024, 7, 3, tzinfo=UTC), "end": datetime(2024, 7, 4, tzinfo=UTC)}
    nodes = [
        _node(scope, "obs-may", "Alice ran a marathon", event_time=may),
        _node(scope, "obs-july", "Alice ran a half marathon", event_time=july),
    ]
    vector = tuple(local_services.ports.embedder.embed_query("x"))
    local_services.ports.memory_index.upsert([IndexEntry(node=n, vector=vector) for n in nodes])
    window = {"start": "2024-05-01T00:00:00+02:00", "end": "2024-06-01T00:00:00+02:00"}
    search = {"user_id": "alice", "query": "running", "time_window": window, "time_filter": True}
    backwards = search | {"time_window": {**window, "end": "2024-04-01T00:00:00Z"}}

    async def over_mcp() -> tuple[dict[str, Any], dict[str, Any]]:
        async with mcp_client("tenant-acme", "legacy") as client:
            found = await call(client, "search_memory", **search)
            backwards = await error_of(
                client, "search_memory", **search | {"time_window": {**window, "end": "2024-04-01T00:00:00Z"}}
            )
            return found, backwards

    # When the window is searched over MCP and over REST
    found, refused_over_mcp = anyio.run(over_mcp)
    status, rest, _ = call_event("search", body=search)
    # Then only the May memory is in it, both ways; a window that ends before it starts is refused naming the field
    assert [m["id"] for m in found["memories"]] == ["obs-may"]
    assert status == 200
    assert [m["id"] for m in rest["memories"]] == ["obs-may"]
    assert refused_over_mcp["fields"] == ["time_window.end"]
    status, refused, _ = call_event("search", body=backwards)
    assert (status, refused["error"]["fields"]) == (422, ["time_window.end"])
