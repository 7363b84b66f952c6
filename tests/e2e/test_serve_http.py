"""End to end: `mnemoscope serve` as a real process on a free port, spoken to over HTTP; data survive a restart."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# `serve` prints this once its services are built, just before its HTTP loop starts.
_SERVING = re.compile(r"mnemoscope serving on http://\S+:(\d+) ")
# A cold start loads the local embedder; on a loaded CI machine that can take far longer than on a laptop.
STARTUP_SECONDS = 120.0


class Server:
    """`mnemoscope serve --port 0` in a subprocess: the server binds a free port itself (no port picked here and
    raced for), and the port is read from its "serving on" line. Output goes to a file, never a pipe (a busy server
    could fill a pipe nobody reads and block)."""

    def __init__(
        self,
        data_dir: Path,
        api_keys: str = "",
        host: str = "127.0.0.1",
        extra_env: dict[str, str] | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path or data_dir.parent / f"serve-{uuid.uuid4().hex[:8]}.log"
        self.port = 0
        self.base = ""
        env = {**os.environ, "MNEMOSCOPE_API_KEYS": api_keys, "MNEMOSCOPE_EMBEDDER": "local", **(extra_env or {})}
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mnemoscope.cli.main",
                    "serve",
                    "--host",
                    host,
                    "--port",
                    "0",
                    "--data-dir",
                    str(data_dir),
                    *extra_args,
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Wait for the "serving on" line (services built, port known), then for a health answer."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (found := _SERVING.search(self.output())):
            self._check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not start in {STARTUP_SECONDS:.0f} s:\n{self.output()[-2000:]}")
            time.sleep(0.1)
        self.port = int(found.group(1))
        self.base = f"http://127.0.0.1:{self.port}"
        while True:
            self._check_alive()
            try:
                self.request("GET", "/v1/health")
                return
            except OSError as error:  # refused, reset or timed out (URLError and TimeoutError are OSErrors)
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve did not answer: {error}\n{self.output()[-2000:]}") from error
                time.sleep(0.2)

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited ({self.process.returncode}):\n{self.output()[-2000:]}")

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None, dict(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None, dict(error.headers)

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=15)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path) -> Iterator[Server]:
    srv = Server(data_dir)
    srv.wait_ready()
    yield srv
    srv.stop()


def test_contract_over_http_and_restart(server: Server, data_dir: Path) -> None:
    # Given turns and a custom memory
    status, body, _ = server.request(
        "POST",
        "/v1/messages",
        {
            "user_id": "alice",
            "messages": [
                {"role": "user", "content": "I just adopted a cat named Miso.", "id": "t1"},
                {"role": "assistant", "content": "Miso is a lovely name!", "id": "t2"},
            ],
        },
    )
    assert (status, body) == (202, {"accepted": 2, "message_ids": ["t1", "t2"]})
    status, body, _ = server.request(
        "POST", "/v1/memories", {"user_id": "alice", "content": "Alice is allergic to peanuts"}
    )
    assert status == 201
    memory_id = body["memory"]["id"]
    server.request("POST", "/v1/memories", {"user_id": "alice", "content": "Alice works night shifts as a nurse"})
    # When searching
    status, found, _ = server.request("POST", "/v1/memories/search", {"user_id": "alice", "query": "food allergy"})
    # Then the allergy ranks first and the fresh turns are already usable
    assert status == 200
    assert found["memories"][0]["id"] == memory_id
    assert [m["id"] for m in found["recent"]] == ["t1", "t2"]
    # And everything survives a restart
    assert server.stop() == 0
    again = Server(data_dir)
    again.wait_ready()
    try:
        status, got, _ = again.request("GET", f"/v1/memories/{memory_id}?user_id=alice")
        assert (status, got["memory"]["content"]) == (200, "Alice is allergic to peanuts")
        _, listed, _ = again.request("GET", "/v1/memories?user_id=alice")
        assert len(listed["memories"]) == 2
        status, _, _ = again.request("DELETE", f"/v1/memories/{memory_id}?user_id=alice")
        assert status == 204
        assert again.request("GET", f"/v1/memories/{memory_id}?user_id=alice")[0] == 404
        assert again.request("DELETE", "/v1/users/alice")[0] == 204
        _, found, _ = again.request("POST", "/v1/memories/search", {"user_id": "alice", "query": "cat"})
        assert found["memories"] == [] and found["recent"] == []
    finally:
        again.stop()


def test_bad_requests_over_http(server: Server) -> None:
    assert server.request("POST", "/v1/messages", raw=b"{not json")[0] == 400
    status, body, _ = server.request("POST", "/v1/messages", {"messages": [{"role": "user", "content": "x"}]})
    assert status == 422 and body["error"]["fields"] == ["user_id"]
    assert server.request("POST", "/v1/memories", raw=b"x" * 1_000_001)[0] == 413
    assert server.request("GET", "/v1/memories/nope?user_id=alice")[0] == 404


def test_api_keys_map_callers_to_tenants(data_dir: Path) -> None:
    srv = Server(data_dir, api_keys="key-a:acme,key-b:globex")
    srv.wait_ready()
    try:
        a, b = {"x-api-key": "key-a"}, {"x-api-key": "key-b"}
        _, body, _ = srv.request("POST", "/v1/memories", {"user_id": "u1", "content": "acme secret"}, headers=a)
        path = f"/v1/memories/{body['memory']['id']}?user_id=u1"
        assert srv.request("GET", path, headers=a)[0] == 200
        assert srv.request("GET", path, headers=b)[0] == 404
        assert srv.request("GET", path)[0] == 401
        assert srv.request("GET", path, headers={"x-api-key": "wrong"})[0] == 401
    finally:
        srv.stop()


def test_refuses_a_public_address_without_api_keys(data_dir: Path) -> None:
    srv = Server(data_dir, host="0.0.0.0")
    assert srv.process.wait(timeout=30) == 2
    assert "refusing" in srv.output()
    srv.stop()
