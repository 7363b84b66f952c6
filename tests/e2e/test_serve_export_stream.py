"""`serve` streams an export chunked; a request it cannot stream gets the api handler's usual answer."""

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_serve_http import Server

KEY = {"x-api-key": "k1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("stream") / "data", api_keys="k1:acme")
    srv.wait_ready()
    yield srv
    srv.stop()


def _get(server: Server, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


def test_the_export_is_streamed_in_chunks(server: Server, tmp_path: Path) -> None:
    # Given a user with 300 turns (more than one page of the log)
    for batch in range(3):
        turns = [{"role": "user", "content": f"turn {batch}-{i}", "id": f"t{batch}-{i}"} for i in range(100)]
        assert server.request("POST", "/v1/messages", {"user_id": "alice", "messages": turns}, KEY)[0] == 202
    # When it is exported
    response = _get(server, "/v1/users/alice/export", KEY)
    # Then the body comes chunked (no length known up front), as JSONL with all the turns and the end line
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert response.getheader("Content-Type") == "application/x-ndjson"
    lines = [json.loads(line) for line in response.read().decode().splitlines()]
    assert lines[0]["kind"] == "header"
    assert lines[-1] == {"kind": "end", "messages": 300, "memories": 0}
    assert [line["id"] for line in lines[1:4]] == ["t2-99", "t2-98", "t2-97"]  # newest first


@pytest.mark.parametrize(
    ("path", "headers", "status", "fields"),
    [
        ("/v1/users/alice/export", {}, 401, None),
        ("/v1/users/al%20ice/export", KEY, 422, ["user_id"]),
        ("/v1/users/alice/export?agent_id=a/b", KEY, 422, ["agent_id"]),
    ],
)
def test_a_request_it_cannot_stream_gets_the_usual_error(
    server: Server, path: str, headers: dict[str, str], status: int, fields: list[str] | None
) -> None:
    response = _get(server, path, headers)
    assert response.status == status
    body = json.loads(response.read())
    assert body["error"].get("fields") == fields


def test_the_cli_moves_a_user_through_the_server_in_parts(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnemoscope.cli import portability
    from mnemoscope.cli.main import main

    # Given carol's turns, exported through the server by the CLI
    turns = [{"role": "user", "content": f"carol says {i}", "id": f"c{i}"} for i in range(30)]
    assert server.request("POST", "/v1/messages", {"user_id": "carol", "messages": turns}, KEY)[0] == 202
    file, copy = tmp_path / "carol.jsonl", tmp_path / "copy.jsonl"
    where = ["--url", server.base, "--api-key", "k1"]
    assert main(["export", "--user", "carol", *where, "-o", str(file)]) == 0
    # When it is imported into dave in parts of a few turns each (as a file over 1 MB would be)
    monkeypatch.setattr(portability, "PART_CHARS", 1_000)
    assert main(["import", str(file), "--user", "dave", *where]) == 0
    # Then dave's export holds carol's turns in the same order
    assert main(["export", "--user", "dave", *where, "-o", str(copy)]) == 0
    assert copy.read_text().splitlines()[1:] == file.read_text().splitlines()[1:]
    assert len(portability.split_export(file.read_text(), 1_000)) > 1  # it was sent in several requests
