"""OpenSearchMemoryIndex against a real OpenSearch + k-NN node (lucene engine): the contract plus specifics.

Run with a node: `make opensearch` (or infra/opensearch/start.sh), then
MNEMOSCOPE_TEST_OPENSEARCH_URL=http://127.0.0.1:9200 pytest tests/adapters/test_opensearch_index.py
"""

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch

from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_index import OpenSearchMemoryIndex
from mnemoscope.domain.errors import DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.ports.memory_index import ANY, IndexEntry
from tests.contracts.builders import DIM, entry, memory, scope, unit_vector
from tests.contracts.memory_index_contract import MemoryIndexContract

pytestmark = pytest.mark.opensearch
URL_VARIABLE = "MNEMOSCOPE_TEST_OPENSEARCH_URL"


@pytest.fixture(scope="module")
def client() -> OpenSearch:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{URL_VARIABLE} is not set: CI must start the OpenSearch node (infra/opensearch/start.sh)")
        pytest.skip(f"no OpenSearch node: run `make opensearch`, then set {URL_VARIABLE}=http://127.0.0.1:9200")
    return opensearch_client(url, timeout_seconds=30.0)


@pytest.fixture
def index_name(client: OpenSearch) -> Iterator[str]:
    name = f"mnemoscope-test-{uuid.uuid4().hex[:12]}"
    yield name
    client.indices.delete(index=name, params={"ignore_unavailable": "true"})


@pytest.fixture
def os_index(client: OpenSearch, index_name: str) -> OpenSearchMemoryIndex:
    return OpenSearchMemoryIndex(client, index_name, dimension=DIM, engine="lucene")


class TestOpenSearchMemoryIndex(MemoryIndexContract):
    @pytest.fixture
    def memory_index(self, os_index: OpenSearchMemoryIndex) -> OpenSearchMemoryIndex:
        return os_index


def test_constructor_makes_no_request_and_first_use_creates_the_index(client: OpenSearch, index_name: str) -> None:
    index = OpenSearchMemoryIndex(client, index_name, dimension=DIM)
    assert not client.indices.exists(index=index_name)
    assert index.list(scope()).items == ()
    assert client.indices.exists(index=index_name)


def test_bootstrap_is_idempotent_across_instances(client: OpenSearch, index_name: str) -> None:
    first = OpenSearchMemoryIndex(client, index_name, dimension=DIM)
    first.upsert([entry(memory("a1", "Alice likes tea"), 1.0)])
    second = OpenSearchMemoryIndex(client, index_name, dimension=DIM)
    second.upsert([entry(memory("a2", "Alice likes coffee"), 1.0)])
    assert sorted(n.id for n in first.list(scope()).items) == ["a1", "a2"]


def test_an_existing_index_of_another_dimension_is_refused(client: OpenSearch, index_name: str) -> None:
    OpenSearchMemoryIndex(client, index_name, dimension=DIM).list(scope())
    with pytest.raises(InvalidMemoryRequest, match="dimension"):
        OpenSearchMemoryIndex(client, index_name, dimension=DIM * 2).list(scope())


def test_wrong_vector_dimension_is_an_invalid_request(os_index: OpenSearchMemoryIndex) -> None:
    with pytest.raises(InvalidMemoryRequest):
        os_index.upsert([entry(memory("a1", "x"), *([1.0] * (DIM + 1)))])
    with pytest.raises(InvalidMemoryRequest):
        os_index.vector_search(scope(), [1.0] * (DIM - 1), k=3)


def test_the_node_rejecting_a_document_is_an_invalid_request(client: OpenSearch, index_name: str) -> None:
    # An index made for 4 dimensions, used without the bootstrap check: the node itself answers 400.
    OpenSearchMemoryIndex(client, index_name, dimension=4).list(scope())
    unchecked = OpenSearchMemoryIndex(client, index_name, dimension=DIM, bootstrap=False)
    with pytest.raises(InvalidMemoryRequest, match="rejected"):
        unchecked.upsert([entry(memory("a1", "x"), 1.0)])


@pytest.mark.parametrize(("query", "expected"), [("杭州", ["zh1"]), ("茶", ["zh2"]), ("绿茶", ["zh2"])])
def test_chinese_keywords_match_bigrams_and_single_characters(
    os_index: OpenSearchMemoryIndex, query: str, expected: list[str]
) -> None:
    os_index.upsert(
        [
            entry(memory("zh1", "用户下周要去杭州出差"), 1.0),
            entry(memory("zh2", "用户喜欢喝绿茶"), 1.0),
            entry(memory("en", "Alice is running in Hangzhou"), 1.0),
        ]
    )
    assert [h.node.id for h in os_index.keyword_search(scope(), query, k=5)] == expected


def test_english_words_match_their_stems(os_index: OpenSearchMemoryIndex) -> None:
    os_index.upsert([entry(memory("run", "Alice goes running with her dogs"), 1.0)])
    assert [h.node.id for h in os_index.keyword_search(scope(), "she runs with a dog", k=5)] == ["run"]


def test_upsert_without_vector_keeps_the_vector_and_updates_fields(os_index: OpenSearchMemoryIndex) -> None:
    node = memory("a1", "Alice likes tea")
    os_index.upsert([entry(node, 0.0, 1.0)])
    changed = node.model_copy(update={"content": "Alice loves oolong", "keywords": ("oolong",), "reflected": True})
    os_index.upsert([IndexEntry(node=changed, vector=None)])
    hits = os_index.vector_search(scope(), unit_vector(0.0, 1.0), k=1, memory_filter=ANY)
    assert [(h.node, round(h.score, 3)) for h in hits] == [(changed, 1.0)]
    assert [h.node.id for h in os_index.keyword_search(scope(), "oolong", k=5)] == ["a1"]
    assert os_index.keyword_search(scope(), "tea", k=5) == []


def test_upsert_without_vector_of_a_missing_memory_writes_nothing(os_index: OpenSearchMemoryIndex) -> None:
    with pytest.raises(InvalidMemoryRequest, match="no stored vector"):
        os_index.upsert([entry(memory("new", "new"), 1.0), IndexEntry(node=memory("ghost", "ghost"))])
    assert os_index.get(scope(), "new") is None


def test_same_id_in_two_scopes_are_two_memories(os_index: OpenSearchMemoryIndex) -> None:
    os_index.upsert([entry(memory("m1", "alice tea"), 1.0), entry(memory("m1", "bob coffee", scope("bob")), 0.0, 1.0)])
    assert os_index.get(scope(), "m1").content == "alice tea"  # type: ignore[union-attr]
    assert os_index.get(scope("bob"), "m1").content == "bob coffee"  # type: ignore[union-attr]


def test_opposite_vectors_score_minus_one(os_index: OpenSearchMemoryIndex) -> None:
    os_index.upsert([entry(memory("neg", "neg"), -1.0)])
    hits = os_index.vector_search(scope(), unit_vector(1.0), k=1)
    assert hits[0].score == pytest.approx(-1.0, abs=1e-3)


def test_long_query_text_does_not_fail(os_index: OpenSearchMemoryIndex) -> None:
    os_index.upsert([entry(memory("zh", "用户喜欢喝绿茶"), 1.0)])
    hits = os_index.keyword_search(scope(), "我想知道他平时喜欢喝什么茶" * 200, k=5)
    assert [h.node.id for h in hits] == ["zh"]


def test_bad_cursor_is_an_invalid_request(os_index: OpenSearchMemoryIndex) -> None:
    with pytest.raises(InvalidMemoryRequest):
        os_index.list(scope(), cursor="not-a-cursor!")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_dependency_unavailable(client: OpenSearch) -> None:
    dead = opensearch_client(f"http://127.0.0.1:{_closed_port()}", timeout_seconds=1.0)
    index = OpenSearchMemoryIndex(dead, "mnemoscope-nowhere", dimension=DIM)
    with pytest.raises(DependencyUnavailable):
        index.get(scope(), "a1")
    with pytest.raises(DependencyUnavailable):
        OpenSearchMemoryIndex(dead, "mnemoscope-nowhere", DIM, bootstrap=False).keyword_search(scope(), "tea", 5)


def test_a_missing_index_without_bootstrap_is_dependency_unavailable(client: OpenSearch, index_name: str) -> None:
    index = OpenSearchMemoryIndex(client, index_name, dimension=DIM, bootstrap=False)
    with pytest.raises(DependencyUnavailable):
        index.vector_search(scope(), unit_vector(1.0), k=3)


def test_a_batch_may_update_a_memory_it_indexes_first(os_index: OpenSearchMemoryIndex) -> None:
    node = memory("a1", "Alice likes tea")
    os_index.upsert([entry(node, 1.0), IndexEntry(node=node.expire("a2", node.updated_at))])
    assert os_index.get(scope(), "a1").status == "expired"  # type: ignore[union-attr]
