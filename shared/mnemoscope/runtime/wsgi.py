"""The WSGI application `mnemoscope serve` runs: HTTP in, the API Gateway event the api function expects, and
its answer back out. Tenancy (API key -> tenant), CORS and the HTTP rules API Gateway would apply live here."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.observability import logger
from mnemoscope.runtime.export_stream import JSONL, export_chunks, export_scope
from mnemoscope.runtime.gateway import proxy_event, response_parts
from mnemoscope.runtime.http_errors import error_body

LOCAL_TENANT = "local"
MAX_URL_BYTES = 8192
MAX_BODY_BYTES = 1_000_000
SERVED_METHODS = ("GET", "HEAD", "POST", "DELETE")
# The MCP headers let a browser MCP client (an inspector, a web agent) call /mcp once its origin is allowed.
CORS_HEADERS = "Content-Type, X-Api-Key, Mcp-Protocol-Version, Mcp-Method, Mcp-Name"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


def _error(status: HTTPStatus, code: str, message: str, fields: list[str] | None = None, **headers: str) -> Reply:
    extra = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return Reply(status, [("Content-Type", "application/json"), *extra], error_body(code, message, fields))


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").title(): str(value) for key, value in environ.items() if key[:5] == "HTTP_"}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    return headers


class ApiWsgiApp:
    """One instance per server; holds no per-request state (waitress calls it from several threads)."""

    def __init__(self, api_keys: Mapping[str, str], cors_origins: Iterable[str] = ()) -> None:
        self._api_keys = dict(api_keys)
        self._cors_origins = frozenset(cors_origins)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = _headers(environ)
        stream = self._export_stream(environ, headers)
        if stream is not None:  # no Content-Length: waitress sends it chunked
            start_response("200 OK", [("Content-Type", JSONL), *self._cors_headers(headers.get("Origin"))])
            return stream
        try:
            reply = self._reply(environ, headers)
        except Exception:  # the handler maps every error itself; this is the last guard, never a traceback page
            logger.exception("unexpected error in the HTTP layer")
            reply = _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")
        out = reply.headers + self._cors_headers(headers.get("Origin"))
        out.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", out)
        # HEAD: the headers (Content-Length included) GET would send, no body.
        bodyless = reply.status == HTTPStatus.NO_CONTENT or environ["REQUEST_METHOD"].upper() == "HEAD"
        return [] if bodyless else [reply.body]

    def _export_stream(self, environ: Mapping[str, Any], headers: Mapping[str, str]) -> Iterable[bytes] | None:
        target = str(environ.get("REQUEST_URI") or quote(str(environ.get("PATH_INFO") or "/")))
        if len(target) > MAX_URL_BYTES:
            return None
        scope = export_scope(str(environ["REQUEST_METHOD"]).upper(), target, self._tenant(headers))
        return export_chunks(scope) if scope is not None else None

    def _reply(self, environ: Mapping[str, Any], headers: dict[str, str]) -> Reply:
        method = str(environ["REQUEST_METHOD"]).upper()
        target = str(environ.get("REQUEST_URI") or quote(str(environ.get("PATH_INFO") or "/")))
        if len(target.encode("latin-1", errors="replace")) > MAX_URL_BYTES:
            return _error(HTTPStatus.REQUEST_URI_TOO_LONG, "uri_too_long", f"the URL is over {MAX_URL_BYTES} bytes")
        if method == "OPTIONS" and self._cors_origins:
            return self._preflight(headers)
        if method not in SERVED_METHODS:
            return _not_allowed(method, target)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", "the body is over 1 MB", ["body"])
        raw = environ["wsgi.input"].read(length)
        try:
            body = raw.decode("utf-8") if raw else None
        except UnicodeDecodeError as error:
            message = f"the body is not UTF-8: {error.reason}"
            return _error(HTTPStatus.BAD_REQUEST, "invalid_encoding", message, ["body"])
        # HEAD is GET without the body: routed as GET.
        routed = "GET" if method == "HEAD" else method
        event = proxy_event(routed, target, headers, body, self._tenant(headers), str(environ.get("REMOTE_ADDR", "")))
        status, out_headers, payload = response_parts(self._handle(event))
        kept = [(k, v) for k, v in out_headers if k.lower() not in ("content-length", "connection")]
        return Reply(status, kept, payload)

    def _handle(self, event: dict[str, Any]) -> Mapping[str, Any]:
        from mnemoscope.entrypoints.api import lambda_handler  # imported on first use, as the old server did

        return lambda_handler(event, LocalLambdaContext("api"))

    def _tenant(self, headers: Mapping[str, str]) -> str | None:
        if not self._api_keys:
            return LOCAL_TENANT
        key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), None)
        return self._api_keys.get(key) if key else None

    def _preflight(self, headers: Mapping[str, str]) -> Reply:
        origin = headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            return _error(HTTPStatus.FORBIDDEN, "cors_forbidden", f"origin {origin!r} is not allowed", ["Origin"])
        preflight = [
            ("Allow", ", ".join((*SERVED_METHODS, "OPTIONS"))),
            ("Access-Control-Allow-Methods", ", ".join(SERVED_METHODS)),
            ("Access-Control-Allow-Headers", CORS_HEADERS),
            ("Access-Control-Max-Age", "600"),
        ]
        return Reply(HTTPStatus.NO_CONTENT, preflight)

    def _origin_allowed(self, origin: str) -> bool:
        return "*" in self._cors_origins or origin in self._cors_origins

    def _cors_headers(self, origin: str | None) -> list[tuple[str, str]]:
        if not origin or not self._cors_origins or not self._origin_allowed(origin):
            return []
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]


def _not_allowed(method: str, target: str) -> Reply:
    """405 with the path's own methods in `Allow` (OPTIONS without CORS configured, TRACE, PUT...); 404 when
    the API has no such path."""
    from mnemoscope.api.app import methods_for  # the route table, built with the API on first use
    from mnemoscope.mcp_server import MCP_PATH

    path = unquote(urlsplit(target).path)
    allowed = ["POST"] if path.rstrip("/") == MCP_PATH else methods_for(path)
    if not allowed:
        return _error(HTTPStatus.NOT_FOUND, "not_found", "no such route")
    message = (
        f"{method} is not served here; CORS preflight needs MNEMOSCOPE_CORS_ORIGINS"
        if method == "OPTIONS"
        else (f"{method} is not served here")
    )
    return _error(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", message, Allow=", ".join(allowed))
