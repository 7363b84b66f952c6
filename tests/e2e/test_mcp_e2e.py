"""MCP end to end with the SDK's own client: `mnemoscope mcp` spawned over stdio, and streamable HTTP at `/mcp` on a
real `mnemoscope serve` process (API keys -> tenants). The local embedder is the real one."""

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from mnemoscope.cli.main import main
from mnemoscope.cli.mcp import _stdout_on_stderr
from tests.e2e.test_serve_http import STARTUP_SECONDS, Server
from tests.mcp_scenario import call, error_of, full_conversation


def stdio_params(data_dir: Path, *flags: str) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNEMOSCOPE_")} | {"MNEMOSCOPE_EMBEDDER": "local"}
    # Every log line the process writes (Powertools logs to stdout) must stay off the protocol's wire.
    env["POWERTOOLS_LOG_LEVEL"] = "DEBUG"
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "mnemoscope.cli.main", "mcp", "--data-dir", str(data_dir), *flags],
        env=env,
        cwd=str(Path(__file__).resolve().parents[2]),
    )


@asynccontextmanager
async def stdio_client(data_dir: Path, *flags: str) -> AsyncIterator[Client]:
    # The first request waits for the local model to load.
    async with Client(stdio_params(data_dir, *flags), read_timeout_seconds=STARTUP_SECONDS) as client:
        yield client


def test_stdio_conversation(tmp_path: Path) -> None:
    async def conversation() -> None:
        async with stdio_client(tmp_path / "data") as client:
            await full_conversation(client, stranger=None)

    anyio.run(conversation)


def test_stdio_bound_to_one_user(tmp_path: Path) -> None:
    """`--user` fixes the scope: the tools take no user_id, another user's memory is out of reach, and what the
    bound server stores is the user's for every other entry point (same data dir, same tenant)."""

    async def conversation() -> None:
        async with stdio_client(tmp_path / "data", "--user", "bob") as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert all("user_id" not in tool.input_schema["properties"] for tool in tools.values())
            added = await call(client, "add_memory", content="Bob keeps bees")
            elsewhere = await error_of(client, "list_memories", user_id="alice")
            assert (elsewhere["code"], elsewhere["fields"]) == ("invalid_request", ["user_id"])
            resources = (await client.list_resources()).resources
            assert [r.uri for r in resources] == ["mnemoscope://users/bob/memories"]
        async with stdio_client(tmp_path / "data") as unbound:
            seen = await call(unbound, "get_memory", user_id="bob", memory_id=added["memory"]["id"])
            assert seen["memory"]["content"] == "Bob keeps bees"

    anyio.run(conversation)


def test_output_while_the_services_are_built_goes_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    # Given the guard `mnemoscope mcp` puts around building its services
    with _stdout_on_stderr():
        os.write(1, b"a log line\n")  # where Powertools' stdout handler ends up writing in a real process
    os.write(1, b"after\n")
    # Then nothing reached stdout (the protocol's wire) until the guard ended
    out, err = capfd.readouterr()
    assert (out, err) == ("after\n", "a log line\n")


def test_stdio_refuses_a_bad_user_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp", "--user", "no spaces"]) == 2
    assert "--user 'no spaces' is not a valid id" in capsys.readouterr().err


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    cors = {"MNEMOSCOPE_CORS_ORIGINS": "https://inspector.example"}
    srv = Server(tmp_path / "data", api_keys="key-a:tenant-a,key-b:tenant-b", extra_env=cors)
    srv.wait_ready()
    yield srv
    srv.stop()


@asynccontextmanager
async def http_client(server: Server, api_key: str, mode: str = "legacy") -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"x-api-key": api_key}, timeout=60)
    transport = streamable_http_client(f"{server.base}/mcp", http_client=http)
    async with http, Client(transport, mode=mode) as client:  # type: ignore[arg-type]
        yield client


def test_streamable_http_on_serve(server: Server) -> None:
    async def conversation() -> None:
        async with http_client(server, "key-a") as owner, http_client(server, "key-b", mode="auto") as stranger:
            await full_conversation(owner, stranger)

    anyio.run(conversation)
    status, body, _ = server.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    preflight = {"Origin": "https://inspector.example", "Access-Control-Request-Method": "POST"}
    status, _, headers = server.request("OPTIONS", "/mcp", headers=preflight)
    assert status == 204
    assert "Mcp-Protocol-Version" in headers["Access-Control-Allow-Headers"].split(", ")
    for method in ("GET", "DELETE", "PUT"):
        status, _, headers = server.request(method, "/mcp", headers={"x-api-key": "key-a"})
        assert (status, headers["Allow"]) == (405, "POST")


def test_stdio_sweeps_for_reflection_while_it_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like `serve`, `mnemoscope mcp` runs the reflection sweep (the reflect handler) on its schedule, and stops it
    when the client goes away."""
    import threading

    import mnemoscope.entrypoints.reflect as reflect_entry
    from mnemoscope.mcp_server import stdio

    sweeps: list[dict[str, object]] = []
    swept = threading.Event()

    def sweep(event: dict[str, object], context: object) -> dict[str, object]:
        sweeps.append(event)
        if len(sweeps) >= 2:
            swept.set()
        return {}

    def client_session(binding: object) -> None:  # the stdio session: ends when the client hangs up
        assert swept.wait(30), "no reflection sweep while serving"

    monkeypatch.setattr(reflect_entry, "lambda_handler", sweep)
    monkeypatch.setattr(stdio, "serve_stdio", client_session)
    monkeypatch.setenv("MNEMOSCOPE_EMBEDDER", "local")
    try:
        assert main(["mcp", "--data-dir", str(tmp_path / "data"), "--reflect-every", "0.05"]) == 0
    finally:
        from mnemoscope.wiring import install

        install(None)
    count = len(sweeps)
    assert count >= 2
    assert not any(t.name == "mnemoscope-reflect" for t in threading.enumerate())
    threading.Event().wait(0.2)
    assert len(sweeps) == count  # no sweep after the session ended
    assert main(["mcp", "--reflect-every", "0"]) == 2
