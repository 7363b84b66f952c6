"""Streamable HTTP at `/mcp`, stateless with JSON responses: one API Gateway proxy event in, one proxy response
out. The SDK's own transport handles the request (protocol version, Accept and Content-Type checks, JSON-RPC),
driven here as an ASGI app for the length of the request; no session outlives it, so any Lambda instance or
`serve` thread can answer any request."""

import base64
from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

import anyio
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from mnemoscope.api.errors import error_response
from mnemoscope.api.tenancy import Unauthenticated, tenant_of
from mnemoscope.mcp_server import MCP_PATH
from mnemoscope.mcp_server.binding import Binding
from mnemoscope.mcp_server.server import build_server
from mnemoscope.observability import logger


def handle_mcp_event(event: dict[str, Any]) -> dict[str, Any]:
    """Answer one MCP request for the caller's tenant (401 without one, as every REST route but health)."""
    try:
        binding = Binding(tenant_id=tenant_of(event))
    except Unauthenticated:
        return _refusal(HTTPStatus.UNAUTHORIZED, "unauthenticated", "missing or unknown API key")
    if str(event.get("httpMethod") or "").upper() != "POST":
        # Stateless: no server-initiated stream to GET (the SDK would hold it open until the function times out)
        # and no session to DELETE.
        return _refusal(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "MCP here is POST only", Allow="POST")
    try:
        status, headers, body = anyio.run(_serve_one, binding, _asgi_scope(event), _body(event))
    except Exception:  # tool failures are answered inside the protocol; this is the transport failing
        logger.exception("MCP transport failed")
        return _refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")
    return {
        "statusCode": status,
        "multiValueHeaders": headers,
        "body": body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def _refusal(status: HTTPStatus, code: str, message: str, **headers: str) -> dict[str, Any]:
    response = error_response(status, code, message)
    out_headers = {"Content-Type": "application/json", **headers}
    return {"statusCode": status.value, "headers": out_headers, "body": response.body}


async def _serve_one(binding: Binding, scope: dict[str, Any], body: bytes) -> tuple[int, dict[str, list[str]], bytes]:
    # A manager runs once (the SDK's rule), so each request gets its own; stateless, so nothing is lost.
    manager = StreamableHTTPSessionManager(build_server(binding), json_response=True, stateless=True)
    answered = anyio.Event()
    sent = False
    status = HTTPStatus.INTERNAL_SERVER_ERROR.value
    headers: dict[str, list[str]] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # the client stays connected until the answer is written
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                answered.set()

    async with manager.run():
        await manager.handle_request(scope, receive, send)
    return status, headers, b"".join(chunks)


def _asgi_scope(event: Mapping[str, Any]) -> dict[str, Any]:
    multi = event.get("multiValueHeaders") or {}
    pairs = [(k, v) for k, values in multi.items() for v in values] or list((event.get("headers") or {}).items())
    context = event.get("requestContext") or {}
    source_ip = str((context.get("identity") or {}).get("sourceIp") or "")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": str(event.get("httpMethod") or "POST").upper(),
        "scheme": "https",
        "path": MCP_PATH,
        "raw_path": MCP_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(str(k).lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in pairs],
        "client": (source_ip, 0),
        "server": ("mnemoscope", 443),
    }


def _body(event: Mapping[str, Any]) -> bytes:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(raw)
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
