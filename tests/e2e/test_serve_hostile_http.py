"""`mnemoscope serve` against hostile or broken HTTP, over raw sockets: every answer is the API's JSON error shape
with the right status, nothing hangs a worker, and the server keeps serving afterwards."""

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_serve_http import Server

READ_TIMEOUT = 2
ORIGIN = "https://app.example"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, object]:
        assert self.headers.get("content-type") == "application/json", self.headers
        detail = json.loads(self.body)["error"]
        assert isinstance(detail, dict) and set(detail) <= {"code", "message", "fields"}
        assert isinstance(detail["message"], str) and detail["message"]
        return detail


def exchange(port: int, data: bytes, *, half_close: bool = False, head: bool = False) -> Answer:
    """Send raw bytes, read one response (by Content-Length, or to EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        # The server may answer and close before a big request is fully sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = _recv(sock)
            if not chunk:
                break
            raw += chunk
        head_part, _, body = raw.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = 0 if head else int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = _recv(sock)
            if not chunk:
                break
            body += chunk
        if not head and "content-length" not in headers:
            while chunk := _recv(sock):
                body += chunk
        return Answer(int(lines[0].split()[1]), headers, body)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def _request(method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _post_memory(raw_body: bytes, **headers: str) -> bytes:
    return _request("POST", "/v1/memories", {"Content-Type": "application/json", **headers}, raw_body)


def _chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory.mktemp("plain"), {})


@pytest.fixture(scope="module")
def cors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory.mktemp("cors"), {"MNEMOSCOPE_CORS_ORIGINS": ORIGIN})


def _serve(data_dir: Path, env: dict[str, str]) -> Iterator[Server]:
    server = Server(
        data_dir / "data",
        extra_env={"MNEMOSCOPE_HTTP_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT), **env},
        log_path=data_dir / "serve.log",
    )
    server.wait_ready()
    yield server
    assert server.stop() == 0
    assert "Traceback" not in (data_dir / "serve.log").read_text()


INVALID_UTF8 = b'{"user_id": "alice", "content": "caf\xe9"}'
MEMORY = json.dumps({"user_id": "alice", "content": "I keep bees on the roof."}).encode()

HOSTILE = [
    # (name, request bytes, status, error code, fields)
    (
        "content-length not a number",
        _post_memory(b"", **{"Content-Length": "abc"}),
        400,
        "bad_request",
        ["Content-Length"],
    ),
    ("negative content-length", _post_memory(b"", **{"Content-Length": "-1"}), 400, "bad_request", ["Content-Length"]),
    (
        "content-length far too large",
        _post_memory(b"", **{"Content-Length": "99999999999"}),
        413,
        "too_large",
        ["body"],
    ),
    ("body over 1 MB", _post_memory(b"x" * 1_000_001, **{"Content-Length": "1000001"}), 413, "too_large", ["body"]),
    ("unknown method", _request("BREW", "/v1/health"), 405, "method_not_allowed", None),
    ("PUT", _request("PUT", "/v1/memories/m1?user_id=alice", {"Content-Length": "0"}), 405, "method_not_allowed", None),
    ("TRACE", _request("TRACE", "/v1/health"), 405, "method_not_allowed", None),
    (
        "OPTIONS without CORS configured",
        _request("OPTIONS", "/v1/health", {"Origin": ORIGIN}),
        405,
        "method_not_allowed",
        None,
    ),
    ("URL over 8 KB", _request("GET", "/v1/memories?user_id=" + "a" * 9000), 414, "uri_too_long", None),
    ("headers over 64 KB", _request("GET", "/v1/health", {"X-Filler": "f" * 70_000}), 431, "headers_too_large", None),
    ("not HTTP at all", b"\x16\x03\x01\x00\x05hello\r\n\r\n", 400, "bad_request", None),
    ("broken header line", b"GET /v1/health HTTP/1.1\r\nno colon here\r\n\r\n", 400, "bad_request", None),
    (
        "two different content-lengths",
        _post_memory(b"ab", **{"Content-Length": "1", "content-length": "2"}),
        400,
        "bad_request",
        ["Content-Length"],
    ),
    (
        "broken chunked encoding",
        _post_memory(b"zz\r\nnot hex\r\n0\r\n\r\n", **{"Transfer-Encoding": "chunked"}),
        400,
        "bad_request",
        ["Transfer-Encoding"],
    ),
    (
        "unsupported transfer coding",
        _post_memory(MEMORY, **{"Transfer-Encoding": "gzip"}),
        501,
        "not_implemented",
        ["Transfer-Encoding"],
    ),
    (
        "invalid UTF-8 body",
        _post_memory(INVALID_UTF8, **{"Content-Length": str(len(INVALID_UTF8))}),
        400,
        "invalid_encoding",
        ["body"],
    ),
]


@pytest.mark.parametrize(("name", "data", "status", "code", "fields"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_request_gets_a_json_error(
    plain: Server, name: str, data: bytes, status: int, code: str, fields: list[str] | None
) -> None:
    answer = exchange(plain.port, data)
    assert answer.status == status, (name, answer)
    detail = answer.error()
    assert detail["code"] == code
    assert detail.get("fields") == fields


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("body stops arriving", _post_memory(b'{"user_id": "ali', **{"Content-Length": "60"}), "timeout"),
        ("headers stop arriving", b"POST /v1/memories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le", "timeout"),
    ],
)
def test_stalled_request_is_answered_408_after_the_read_timeout(
    plain: Server, name: str, data: bytes, code: str
) -> None:
    answer = exchange(plain.port, data)
    assert answer.status == 408 and answer.error()["code"] == code


def test_body_cut_short_by_the_client_is_answered_400(plain: Server) -> None:
    answer = exchange(plain.port, _post_memory(b'{"user_id": "ali', **{"Content-Length": "60"}), half_close=True)
    assert answer.status == 400 and answer.error()["code"] == "truncated"


def test_chunked_body_is_read_whole(plain: Server) -> None:
    answer = exchange(plain.port, _post_memory(_chunked(MEMORY[:20], MEMORY[20:]), **{"Transfer-Encoding": "chunked"}))
    assert answer.status == 201, answer
    assert json.loads(answer.body)["memory"]["content"] == "I keep bees on the roof."


def test_head_gives_get_headers_without_a_body(plain: Server) -> None:
    got = exchange(plain.port, _request("GET", "/v1/health"))
    head = exchange(plain.port, _request("HEAD", "/v1/health"), head=True)
    assert head.status == got.status == 200
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.body))
    assert head.body == b""
    missing = exchange(plain.port, _request("HEAD", "/v1/nowhere"), head=True)
    assert missing.status == 404 and missing.body == b""


def test_server_still_serves_after_the_hostile_requests(plain: Server) -> None:
    for data, *_ in (case[1:] for case in HOSTILE):
        exchange(plain.port, data)
    status, body, _ = plain.request("GET", "/v1/health")
    assert status == 200 and body["status"] == "ok"


def test_cors_preflight_answers_allowed_origins_only(cors: Server) -> None:
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key",
    }
    allowed = exchange(cors.port, _request("OPTIONS", "/v1/memories", preflight))
    assert allowed.status == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    refused = exchange(cors.port, _request("OPTIONS", "/v1/memories", {**preflight, "Origin": "https://evil.example"}))
    assert refused.status == 403 and refused.error() == {
        "code": "cors_forbidden",
        "message": "origin 'https://evil.example' is not allowed",
        "fields": ["Origin"],
    }


def test_cors_headers_on_answers_to_allowed_origins_only(cors: Server) -> None:
    ok = exchange(cors.port, _request("GET", "/v1/health", {"Origin": ORIGIN}))
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
    assert ok.headers["vary"] == "Origin"
    other = exchange(cors.port, _request("GET", "/v1/health", {"Origin": "https://evil.example"}))
    assert other.status == 200 and "access-control-allow-origin" not in other.headers
