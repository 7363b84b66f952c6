"""The OpenSearch request builders and client factory, without a node."""

import json
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.aws import opensearch_queries as q
from mnemoscope.adapters.aws.opensearch_client import build_opensearch_client
from mnemoscope.adapters.aws.opensearch_index import status_error
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection, stale_documents
from mnemoscope.domain.errors import BackendRejected, ConfigurationError, DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.ports.memory_index import ANY, VALID, MemoryFilter
from mnemoscope.settings import Settings
from tests.contracts.builders import memory, scope

INDEX_JSON = Path(__file__).resolve().parents[2] / "infra" / "opensearch" / "index.json"


def _vector_mapping(body: dict[str, Any]) -> dict[str, Any]:
    mapping: dict[str, Any] = body["mappings"]["properties"]["vector"]
    return mapping


def test_mapping_uses_the_configured_engine_and_dimension() -> None:
    vector = _vector_mapping(q.index_definition(384, "lucene"))
    assert vector["dimension"] == 384
    assert vector["method"]["name"] == "hnsw"
    assert vector["method"]["engine"] == "lucene"
    assert vector["method"]["space_type"] == "cosinesimil"


def test_faiss_mapping_uses_inner_product_on_normalised_vectors() -> None:
    body = q.index_definition(1024, "faiss")
    assert body["settings"]["index"]["knn"] is True
    assert _vector_mapping(body)["method"] == {
        "name": "hnsw",
        "engine": "faiss",
        "space_type": "innerproduct",
        "parameters": {"m": q.HNSW_M, "ef_construction": q.HNSW_EF_CONSTRUCTION},
    }


def test_mapping_stores_the_node_unindexed_and_analyses_text_for_cjk() -> None:
    body = q.index_definition(8, "lucene")
    properties = body["mappings"]["properties"]
    assert properties["doc"] == {"type": "object", "enabled": False}
    assert properties["content"]["analyzer"] == properties["keywords"]["analyzer"] == q.TEXT_ANALYZER
    filters = body["settings"]["analysis"]["analyzer"][q.TEXT_ANALYZER]["filter"]
    assert filters.index("memory_cjk_bigram") < filters.index("memory_stemmer")
    assert body["settings"]["analysis"]["filter"]["memory_cjk_bigram"]["output_unigrams"] is True


def test_zero_dimension_is_refused() -> None:
    with pytest.raises(InvalidMemoryRequest):
        q.index_definition(0, "lucene")


@pytest.mark.parametrize("engine", ["lucene", "faiss"])
def test_index_json_is_the_same_definition_as_data(engine: q.Engine) -> None:
    template = json.loads(INDEX_JSON.read_text(encoding="utf-8"))
    assert q.render_index_template(template, 384, engine) == q.index_definition(384, engine)


def test_document_ids_are_scope_qualified() -> None:
    assert q.document_id(scope(), "m1") != q.document_id(scope("bob"), "m1")
    assert q.document_id(scope(), "m1") == q.document_id(scope(), "m1")
    assert len(q.document_id(scope(), "x" * 128)) <= 512


def test_projection_document_carries_memory_id_and_version_but_no_id() -> None:
    node = memory("a1", "Alice likes tea")
    document = q.to_document(node, [1.0, 0.0], 3, "key-1")
    assert document["vector"] == [1.0, 0.0]
    assert (document["memory_id"], document["record_version"], document["projection_key"]) == ("a1", 3, "key-1")
    assert document["scope_key"] == node.scope.key
    assert document["created_at"] == "2024-08-01T09:00:00.000000Z"
    assert "_id" not in document
    assert set(document) <= set(q.index_definition(2, "lucene")["mappings"]["properties"])


def test_old_documents_are_found_by_a_term_query_on_the_memory_id() -> None:
    body = q.versions_body(scope(), ["a1", "a2"])
    assert body["query"]["bool"]["filter"] == [
        {"term": {"scope_key": scope().key}},
        {"terms": {"memory_id": ["a1", "a2"]}},
    ]
    assert body["_source"] == ["memory_id", "record_version"]


@pytest.mark.parametrize(
    ("visible", "written", "stale"),
    [
        ([], (1, "n"), []),  # nothing visible yet
        ([(1, "o")], (2, "n"), ["o"]),  # an older version
        ([(2, "a")], (2, "n"), ["n"]),  # a redelivery: the smaller _id of the same version stays
        ([(2, "z")], (2, "n"), ["z"]),
        ([(3, "newer")], (2, "n"), ["n"]),  # a concurrent newer write wins
        ([(1, "o"), (2, "n")], (2, "n"), ["o"]),  # our own document may already be visible
    ],
)
def test_every_writer_keeps_the_same_document(
    visible: list[tuple[int, str]], written: tuple[int, str], stale: list[str]
) -> None:
    assert stale_documents(visible, written) == stale


def test_unit_vector_normalises_and_checks_dimension() -> None:
    assert q.unit_vector([3.0, 4.0], 2) == pytest.approx([0.6, 0.8])
    with pytest.raises(InvalidMemoryRequest):
        q.unit_vector([1.0, 0.0, 0.0], 2)
    with pytest.raises(InvalidMemoryRequest):
        q.unit_vector([0.0, 0.0], 2)


def test_knn_query_carries_the_scope_and_filters_inside_the_knn_clause() -> None:
    wanted = MemoryFilter(types=frozenset({"insight", "custom"}), reflected=False)
    body = q.knn_search_body(scope(), [1.0, 0.0], 5, wanted)
    knn = body["query"]["knn"]["vector"]
    assert body["size"] == 5
    assert knn["k"] == q.MIN_KNN_CANDIDATES
    assert knn["filter"]["bool"]["filter"] == [
        {"term": {"scope_key": "t1/default/alice"}},
        {"terms": {"type": ["custom", "insight"]}},
        {"terms": {"status": ["valid"]}},
        {"term": {"reflected": False}},
    ]


def test_knn_candidates_grow_with_k_and_are_capped() -> None:
    assert q.knn_candidates(3) == q.MIN_KNN_CANDIDATES
    assert q.knn_candidates(500) == 500
    assert q.knn_candidates(10**6) == q.MAX_KNN_CANDIDATES


def test_any_filter_keeps_only_the_scope() -> None:
    assert q.filter_clauses(scope(), ANY) == [{"term": {"scope_key": "t1/default/alice"}}]


def test_keyword_query_is_a_match_never_query_syntax() -> None:
    body = q.keyword_search_body(scope(), 'tea AND "x" OR (*)', 7, VALID)
    (match,) = body["query"]["bool"]["must"]
    assert match["multi_match"]["query"] == 'tea AND "x" OR (*)'
    assert set(match["multi_match"]["fields"]) == {"content", "keywords"}
    assert {"term": {"scope_key": "t1/default/alice"}} in body["query"]["bool"]["filter"]
    assert "query_string" not in json.dumps(body)


def test_long_query_text_is_bounded() -> None:
    assert q.bounded_query_text("茶" * 1000) == "茶" * q.MAX_QUERY_TOKENS
    assert q.bounded_query_text("short text") == "short text"


def test_list_sorts_newest_first_and_resumes_after_the_cursor() -> None:
    cursor = q.encode_cursor([1722502800123456000, "m03"])
    body = q.list_body(scope(), ANY, 3, cursor)
    assert body["size"] == 4
    assert body["sort"] == [{"created_at": "desc"}, {"memory_id": "desc"}]
    assert body["search_after"] == [1722502800123456000, "m03"]
    assert "search_after" not in q.list_body(scope(), ANY, 3, None)


def test_cursor_round_trip_and_garbage() -> None:
    assert q.decode_cursor(q.encode_cursor([5, "id"])) == [5, "id"]
    for bad in ("not-a-cursor!", q.encode_cursor(["x", "id"]), q.encode_cursor([1]), "e30"):
        with pytest.raises(InvalidMemoryRequest):
            q.decode_cursor(bad)


@pytest.mark.parametrize("cosine", [1.0, 0.5, 0.0, -0.5, -1.0])
def test_score_conversion_inverts_each_engines_formula(cosine: float) -> None:
    lucene_score = (2 - (1 - cosine)) / 2
    faiss_score = 1 + cosine if cosine > 0 else 1 / (1 - cosine)
    assert q.cosine_from_score(lucene_score, "lucene") == pytest.approx(cosine)
    assert q.cosine_from_score(faiss_score, "faiss") == pytest.approx(cosine)


def test_status_mapping() -> None:
    # OpenSearch refusing a request we built is our fault, never the caller's: no 4xx for it.
    assert isinstance(status_error(400, "op", "bad"), BackendRejected)
    assert isinstance(status_error(404, "op", "gone", "index_not_found_exception"), DependencyUnavailable)
    for status in (401, 403, 429, 500, 503, "N/A"):
        assert isinstance(status_error(status, "op", "x"), DependencyUnavailable)


def test_constructor_makes_no_request() -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"unexpected client call {name}")

    OpenSearchProjection(NoCalls(), "idx", dimension=8)  # type: ignore[arg-type]


def test_client_from_settings_signs_for_serverless() -> None:
    settings = Settings(
        opensearch_endpoint="https://abc.us-east-1.aoss.amazonaws.com",
        opensearch_auth="sigv4-aoss",
        aws_region="us-east-1",
    )
    client = build_opensearch_client(settings)
    connection = client.transport.connection_pool.connections[0]
    assert connection.http_auth.service == "aoss"
    assert connection.host == "https://abc.us-east-1.aoss.amazonaws.com:443"


def test_client_needs_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNEMOSCOPE_OPENSEARCH_ENDPOINT", raising=False)
    with pytest.raises(ConfigurationError):
        build_opensearch_client(Settings())
