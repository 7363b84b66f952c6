"""A Serverless-constraints proxy: a real OpenSearch node that behaves like a VECTORSEARCH collection.

    python infra/opensearch/serverless_proxy.py --upstream http://127.0.0.1:9200 --port 9201 --delay 2

It forwards every request to the node, except what Amazon OpenSearch Serverless refuses for vector search
collections ("Supported operations and plugins in Amazon OpenSearch Serverless"; "Working with vector search
collections"), which it answers itself with HTTP 400:
  * a custom `_id` on index/create: `PUT|POST <index>/_doc/<id>`, `<index>/_create/<id>`, or an `index`/`create`
    action with `_id` in `_bulk` (AWS's text: "Document ID is not supported in create/index operation request");
  * update and upsert: `<index>/_update/<id>`, `update` actions in `_bulk`;
  * APIs outside the Serverless list: `_delete_by_query`, `_update_by_query`, `_reindex`, `_refresh`, `_flush`,
    `_forcemerge`, `_cache/clear`, `_open`, `_close`, `_shrink`, `_split`, `_clone`, `_rollover`, `_cluster/*`,
    `_nodes/*`, `_tasks`, `_snapshot`, scroll searches;
  * the `refresh` parameter on any request.
Only the `_id` message is AWS's wording; the others name the refused feature the same way.

Serverless is eventually consistent, so the proxy also delays visibility by `delay` seconds: it remembers when
each server-assigned `_id` was created and removes younger hits from `_search` responses, and it applies
deletes (`DELETE <index>/_doc/<id>`, delete-only `_bulk`) on the node only after the delay, answering at once.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCUMENT_ID_REFUSED = "Document ID is not supported in create/index operation request"
UNSUPPORTED_APIS = frozenset(
    {
        "_delete_by_query",
        "_update_by_query",
        "_reindex",
        "_refresh",
        "_flush",
        "_forcemerge",
        "_cache",
        "_open",
        "_close",
        "_shrink",
        "_split",
        "_clone",
        "_rollover",
        "_cluster",
        "_nodes",
        "_tasks",
        "_snapshot",
    }
)


def refusal(method: str, path: str, query: dict[str, list[str]], body: bytes) -> str | None:  # noqa: PLR0911 - a rule per return
    """Why a VECTORSEARCH collection refuses this request, or None when it accepts it."""
    if "refresh" in query:
        return "The refresh parameter is not supported in OpenSearch Serverless"
    if "scroll" in query or path.startswith("/_search/scroll"):
        return "Scroll is not supported in OpenSearch Serverless vector search collections"
    parts = [part for part in path.split("/") if part]
    for part in parts:
        if part in UNSUPPORTED_APIS:
            return f"{part} is not supported in OpenSearch Serverless"
    if "_update" in parts:
        return "Update and upsert requests are not supported in OpenSearch Serverless vector search collections"
    if len(parts) >= 3 and parts[-2] in ("_doc", "_create") and method in ("PUT", "POST"):
        return DOCUMENT_ID_REFUSED
    if parts and parts[-1] == "_create" and method in ("PUT", "POST"):
        return DOCUMENT_ID_REFUSED
    if parts and parts[-1] == "_bulk":
        return _bulk_refusal(body)
    return None


def _bulk_refusal(body: bytes) -> str | None:
    expect_source = False
    for line in body.decode("utf-8").splitlines():
        if not line.strip():
            continue
        if expect_source:
            expect_source = False
            continue
        action, meta = next(iter(json.loads(line).items()))
        if action == "update":
            return "Update and upsert requests are not supported in OpenSearch Serverless vector search collections"
        if action in ("index", "create"):
            if isinstance(meta, dict) and "_id" in meta:
                return DOCUMENT_ID_REFUSED
            expect_source = True
    return None


def _bulk_deletes(body: bytes) -> list[tuple[str | None, str]] | None:
    """The (index, _id) pairs of a delete-only bulk body, or None when it holds other actions."""
    deletes: list[tuple[str | None, str]] = []
    for line in body.decode("utf-8").splitlines():
        if not line.strip():
            continue
        action, meta = next(iter(json.loads(line).items()))
        if action != "delete":
            return None
        deletes.append((meta.get("_index"), str(meta["_id"])))
    return deletes


class Visibility:
    """When each server-assigned `_id` was created, to hide documents younger than the delay."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self._clock = clock
        self._created: dict[str, float] = {}
        self._lock = threading.Lock()

    def created(self, doc_ids: list[str]) -> None:
        now = self._clock()
        with self._lock:
            for doc_id in doc_ids:
                self._created[doc_id] = now

    def visible(self, doc_id: str) -> bool:
        with self._lock:
            created = self._created.get(doc_id)
            if created is None:
                return True
            if self._clock() - created >= self.delay:
                del self._created[doc_id]  # old enough for good: forget it
                return True
            return False


class ServerlessProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, upstream: str, delay: float) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        target = urlsplit(upstream)
        self.upstream_host = target.hostname or "127.0.0.1"
        self.upstream_port = target.port or 9200
        self.visibility = Visibility(delay)
        self.refused: list[str] = []  # what was refused, for tests and logs

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "application/json")
        finally:
            connection.close()

    def forward_later(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        timer = threading.Timer(self.visibility.delay, self.forward, (method, path, body, headers))
        timer.daemon = True
        timer.start()


class _Handler(BaseHTTPRequestHandler):
    server: ServerlessProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the tests' output is what matters

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        reason = refusal(self.command, split.path, query, body)
        if reason is not None:
            self.server.refused.append(f"{self.command} {self.path}: {reason}")
            error = {"root_cause": [{"type": "illegal_argument_exception", "reason": reason}]}
            error |= {"type": "illegal_argument_exception", "reason": reason}
            self._reply(400, json.dumps({"error": error, "status": 400}).encode())
            return
        headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
        if self.server.visibility.delay > 0 and self._delete_later(split.path, body, headers):
            return
        status, payload, content_type = self.server.forward(self.command, self.path, body, headers)
        if status < 300:
            payload = self._after(split.path, payload)
        self._reply(status, payload, content_type)

    def _delete_later(self, path: str, body: bytes, headers: dict[str, str]) -> bool:
        parts = [part for part in path.split("/") if part]
        if self.command == "DELETE" and len(parts) == 3 and parts[1] == "_doc":
            self.server.forward_later("DELETE", self.path, b"", headers)
            answer = {"_index": parts[0], "_id": parts[2], "result": "deleted", "_version": 1}
            self._reply(200, json.dumps(answer).encode())
            return True
        deletes = _bulk_deletes(body) if parts and parts[-1] == "_bulk" else None
        if not deletes:
            return False
        self.server.forward_later("POST", self.path, body, headers)
        index = parts[0] if len(parts) == 2 else None
        items = [{"delete": {"_index": i or index, "_id": d, "result": "deleted", "status": 200}} for i, d in deletes]
        self._reply(200, json.dumps({"took": 0, "errors": False, "items": items}).encode())
        return True

    def _after(self, path: str, payload: bytes) -> bytes:
        parts = [part for part in path.split("/") if part]
        if not parts or self.server.visibility.delay <= 0:
            return payload
        if parts[-1] == "_bulk":
            answer = json.loads(payload)
            created = [next(iter(item.values())).get("_id") for item in answer.get("items", [])]
            self.server.visibility.created([str(doc_id) for doc_id in created if doc_id])
        elif parts[-1] == "_doc" and self.command == "POST":
            self.server.visibility.created([str(json.loads(payload)["_id"])])
        elif parts[-1] == "_search":
            answer = json.loads(payload)
            hits = answer.get("hits", {})
            hits["hits"] = [hit for hit in hits.get("hits", []) if self.server.visibility.visible(hit["_id"])]
            return json.dumps(answer).encode()
        return payload

    def _reply(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def start(upstream: str, delay: float, port: int = 0) -> ServerlessProxy:
    """Start the proxy on a background thread (port 0: any free port); stop it with `.shutdown()`."""
    proxy = ServerlessProxy(port, upstream, delay)
    threading.Thread(target=proxy.serve_forever, name="serverless-proxy", daemon=True).start()
    return proxy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", default="http://127.0.0.1:9200")
    parser.add_argument("--port", type=int, default=9201)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds before a new document is searchable")
    args = parser.parse_args(argv)
    proxy = ServerlessProxy(args.port, args.upstream, args.delay)
    print(f"serverless proxy on {proxy.url} -> {args.upstream} (visibility delay {args.delay} s)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
