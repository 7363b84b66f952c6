"""The Serverless-constraints proxy refuses what a VECTORSEARCH collection refuses, and only that."""

import json

import pytest
from infra.opensearch.serverless_proxy import DOCUMENT_ID_REFUSED, Visibility, refusal


def _ndjson(*lines: dict[str, object]) -> bytes:
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "expected"),
    [
        ("PUT", "/idx/_doc/abc", {}, b"{}", DOCUMENT_ID_REFUSED),
        ("POST", "/idx/_doc/abc", {}, b"{}", DOCUMENT_ID_REFUSED),
        ("PUT", "/idx/_create/abc", {}, b"{}", DOCUMENT_ID_REFUSED),
        ("POST", "/idx/_bulk", {}, _ndjson({"index": {"_id": "x"}}, {"a": 1}), DOCUMENT_ID_REFUSED),
        ("POST", "/_bulk", {}, _ndjson({"create": {"_index": "i", "_id": "x"}}, {"a": 1}), DOCUMENT_ID_REFUSED),
        ("POST", "/idx/_bulk", {}, _ndjson({"update": {"_id": "x"}}, {"doc": {}}), "Update"),
        ("POST", "/idx/_update/x", {}, b"{}", "Update"),
        ("POST", "/idx/_delete_by_query", {}, b"{}", "_delete_by_query"),
        ("POST", "/idx/_update_by_query", {}, b"{}", "_update_by_query"),
        ("POST", "/idx/_refresh", {}, b"", "_refresh"),
        ("POST", "/_refresh", {}, b"", "_refresh"),
        ("POST", "/idx/_bulk", {"refresh": ["wait_for"]}, _ndjson({"index": {}}, {"a": 1}), "refresh"),
        ("POST", "/idx/_search", {"scroll": ["1m"]}, b"{}", "Scroll"),
        ("GET", "/_cluster/health", {}, b"", "_cluster"),
    ],
)
def test_what_a_vector_collection_refuses(
    method: str, path: str, query: dict[str, list[str]], body: bytes, expected: str
) -> None:
    reason = refusal(method, path, query, body)
    assert reason is not None
    assert expected in reason


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/idx/_doc", b"{}"),  # the server assigns the id
        ("POST", "/idx/_bulk", _ndjson({"index": {}}, {"_id_like": 1}, {"delete": {"_id": "server-id"}})),
        ("DELETE", "/idx/_doc/server-id", b""),
        ("POST", "/idx/_search", b"{}"),
        ("PUT", "/idx", b"{}"),
        ("HEAD", "/idx", b""),
        ("GET", "/idx/_mapping", b""),
        ("PUT", "/idx/_mapping", b"{}"),
        ("DELETE", "/idx", b""),
    ],
)
def test_what_a_vector_collection_accepts(method: str, path: str, body: bytes) -> None:
    assert refusal(method, path, {}, body) is None


def test_new_documents_stay_hidden_for_the_delay() -> None:
    now = [100.0]
    visibility = Visibility(2.0, clock=lambda: now[0])
    visibility.created(["a"])
    assert not visibility.visible("a")
    assert visibility.visible("older")
    now[0] += 2.0
    assert visibility.visible("a")
