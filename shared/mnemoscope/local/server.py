"""`mnemoscope serve`: the memory API on a local HTTP server, through the same handler as API Gateway."""

import ipaddress
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from mnemoscope.entrypoints.context import LocalLambdaContext
from mnemoscope.local.gateway import proxy_event, response_parts

MAX_BODY_BYTES = 1_000_000
DRAIN_LIMIT_BYTES = 10 * 1024 * 1024
LOCAL_TENANT = "local"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ApiRequestHandler(BaseHTTPRequestHandler):
    api_keys: ClassVar[dict[str, str]] = {}
    server_version = "mnemoscope"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("MNEMOSCOPE_ACCESS_LOG"):
            super().log_message(format, *args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            # Drain what API Gateway would have accepted (10 MB) so the client sees our answer, not a reset.
            self._drain(min(length, DRAIN_LIMIT_BYTES))
            self._send(
                413,
                [("Content-Type", "application/json")],
                b'{"error": {"code": "too_large", "message": "the body is over 1 MB", "fields": ["body"]}}',
            )
            self.close_connection = True
            return
        raw = self.rfile.read(length) if length else b""
        body = raw.decode("utf-8", errors="replace") if raw else None
        headers = dict(self.headers.items())
        event = proxy_event(self.command, self.path, headers, body, self._tenant(headers), self.client_address[0])
        from mnemoscope.entrypoints.api import lambda_handler

        status, out_headers, payload = response_parts(lambda_handler(event, LocalLambdaContext("api")))
        self._send(status, out_headers, payload)

    def _drain(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                return
            length -= len(chunk)

    def _tenant(self, headers: dict[str, str]) -> str | None:
        if not self.api_keys:
            return LOCAL_TENANT
        key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), None)
        return self.api_keys.get(key) if key else None

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status == 204:
            payload = b""
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)


def make_server(host: str, port: int, api_keys: dict[str, str]) -> ThreadingHTTPServer:
    """An HTTP server bound to host:port. Without API keys only loopback is allowed (single tenant 'local').

    Raises:
        PermissionError: when asked to serve without keys on a non-loopback address.
    """
    if not api_keys and not is_loopback(host):
        raise PermissionError(f"refusing to serve on {host} without MNEMOSCOPE_API_KEYS (key:tenant,...)")
    handler = type("ApiRequestHandler", (_ApiRequestHandler,), {"api_keys": dict(api_keys)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="mnemoscope-http", daemon=True)
    thread.start()
    return thread
