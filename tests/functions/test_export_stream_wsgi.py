"""`serve`'s WSGI app streams the export (in process, on SQLite): lines as a generator, a store down before the
first byte still answers 503, a failure mid-way ends the body without the end line."""

import io
import json
from typing import Any

import pytest

from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.scope import Scope
from mnemoscope.runtime.wsgi import ApiWsgiApp
from mnemoscope.wiring import Services
from tests.functions.portability_seed import seed

LOCAL = Scope(tenant_id="local", user_id="alice")


def get(path: str) -> tuple[str, dict[str, str], Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "REQUEST_URI": path,
        "PATH_INFO": path.split("?", maxsplit=1)[0],
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
    }
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        started.update(status=status, headers=dict(headers))

    body = ApiWsgiApp({})(environ, start_response)
    return started["status"], started["headers"], body


def test_the_export_is_a_stream_of_lines(local_services: Services) -> None:
    seed(local_services, LOCAL)
    status, headers, body = get("/v1/users/alice/export")
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/x-ndjson"
    assert "Content-Length" not in headers
    assert not isinstance(body, list)  # produced as it is sent
    lines = [json.loads(chunk) for chunk in body]
    assert lines[-1] == {"kind": "end", "messages": 5, "memories": 4}


def test_a_store_down_before_the_first_byte_is_a_503(local_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise DependencyUnavailable("log down")

    monkeypatch.setattr(local_services.ports.chat_log, "list_turns", down)
    status, headers, body = get("/v1/users/alice/export")
    assert status.startswith("503")
    assert headers["Retry-After"] == "5"
    assert json.loads(b"".join(body))["error"]["code"] == "unavailable"


def test_a_failure_mid_stream_leaves_the_end_line_out(
    local_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(local_services, LOCAL)

    def down(*args: Any, **kwargs: Any) -> Any:
        raise DependencyUnavailable("index down")

    monkeypatch.setattr(local_services.ports.memory_index, "list", down)
    status, _, body = get("/v1/users/alice/export")
    assert status == "200 OK"
    kinds = [json.loads(chunk)["kind"] for chunk in body]
    assert kinds == ["header"] + ["message"] * 5  # cut off: an import refuses it


def test_a_request_it_cannot_stream_goes_through_the_handler(local_services: Services) -> None:
    status, _, body = get("/v1/users/al!ce/export")
    assert status.startswith("422")
    assert json.loads(b"".join(body))["error"]["fields"] == ["user_id"]
