"""The AWS MemoryIndex (DynamoDB records under moto + the projection on the real OpenSearch node), in both
roles of the node: a managed domain, and a Serverless VECTORSEARCH collection (through the constraints proxy).

Run with a node: `make opensearch`, then
MNEMOSCOPE_TEST_OPENSEARCH_URL=http://127.0.0.1:9200 pytest tests/adapters/test_opensearch_index.py
"""

import socket
from collections.abc import Iterator

import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.ports.memory_index import ANY, IndexEntry
from tests import opensearch_target
from tests.contracts.builders import DIM, entry, memory, scope, unit_vector
from tests.contracts.memory_index_contract import MemoryIndexContract
from tests.opensearch_target import SearchTarget

pytestmark = pytest.mark.opensearch
search_target = opensearch_target.search_target  # the node as a domain, then as a Serverless collection


@pytest.fixture
def aws_index(search_target: SearchTarget) -> Iterator[ProjectedMemoryIndex]:
    with mock_aws():
        yield search_target.memory_index("memories", DIM)


@pytest.fixture(autouse=True)
def _no_refusal_was_needed(search_target: SearchTarget) -> Iterator[None]:
    """Every test also proves the adapter sent nothing a Serverless collection refuses."""
    before = len(search_target.proxy.refused) if search_target.proxy else 0
    yield
    if search_target.proxy:
        assert search_target.proxy.refused[before:] == []


class TestProjectedMemoryIndex(MemoryIndexContract):
    @pytest.fixture
    def memory_index(self, aws_index: ProjectedMemoryIndex, search_target: SearchTarget) -> ProjectedMemoryIndex:
        self.target = search_target
        return aws_index

    def settle(self) -> None:
        self.target.settle()


def _documents(target: SearchTarget, index: ProjectedMemoryIndex, **term: str) -> list[dict[str, object]]:
    return target.node_documents(index.projection.index_name, {"term": term})


def test_read_your_writes_without_waiting(aws_index: ProjectedMemoryIndex) -> None:
    # add → get / list → delete → get is None, all at once: the records answer, not the eventually consistent index
    node = memory("a1", "Alice keeps bees")
    aws_index.upsert([entry(node, 1.0)])
    assert aws_index.get(scope(), "a1") == node
    assert [n.id for n in aws_index.list(scope()).items] == ["a1"]
    assert aws_index.delete(scope(), "a1") is True
    assert aws_index.get(scope(), "a1") is None
    assert aws_index.list(scope()).items == ()


def test_a_superseded_memory_never_comes_back_from_a_stale_projection(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget
) -> None:
    node = memory("a1", "Alice lives in Paris")
    aws_index.upsert([entry(node, 1.0)])
    search_target.settle()
    aws_index.upsert([IndexEntry(node=node.expire("a2", node.updated_at))])
    # The projection may still say "valid" here; the record re-check does not.
    assert aws_index.keyword_search(scope(), "Paris", k=5) == []
    assert aws_index.vector_search(scope(), unit_vector(1.0), k=5) == []


def test_every_change_leaves_one_document_per_memory(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget
) -> None:
    node = memory("a1", "Alice likes tea")
    for content in ("Alice likes tea", "Alice likes green tea", "Alice likes oolong"):
        aws_index.upsert([entry(node.model_copy(update={"content": content}), 1.0)])
    aws_index.upsert([entry(node.model_copy(update={"content": "Alice likes oolong"}), 1.0)])  # a redelivery
    search_target.settle()
    # A search de-duplicates on read and deletes what it found stale; a later write cleans the rest.
    assert [h.node.content for h in aws_index.keyword_search(scope(), "Alice", k=5)] == ["Alice likes oolong"]
    aws_index.upsert([entry(node.model_copy(update={"content": "Alice likes oolong tea"}), 1.0)])
    search_target.settle()
    aws_index.keyword_search(scope(), "Alice", k=5)
    search_target.settle()
    documents = _documents(search_target, aws_index, memory_id="a1")
    assert len(documents) == 1
    assert documents[0]["_source"]["content"] == "Alice likes oolong tea"  # type: ignore[index]


def test_forget_removes_every_record_and_every_document(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget
) -> None:
    alice, bob = scope(), scope("bob")
    aws_index.upsert([entry(memory(f"a{i}", f"alice {i}"), 1.0) for i in range(30)])
    aws_index.upsert([entry(memory("b1", "bob", bob), 1.0)])
    search_target.settle()
    # Written just before the forget: on Serverless still invisible to the first sweep.
    aws_index.upsert([entry(memory("late", "alice late"), 1.0)])
    assert aws_index.delete_scope(alice) == 31
    assert aws_index.list(alice).items == ()
    assert aws_index.records.get_many([(alice, f"a{i}") for i in range(30)] + [(alice, "late")]) == {}
    # Checked on the node itself (deletes on Serverless may take the visibility delay to land).
    assert search_target.eventually(lambda: _documents(search_target, aws_index, scope_key=alice.key) == [])
    assert len(_documents(search_target, aws_index, scope_key=bob.key)) == 1


def test_same_id_in_two_scopes_are_two_memories(aws_index: ProjectedMemoryIndex, search_target: SearchTarget) -> None:
    aws_index.upsert([entry(memory("m1", "alice tea"), 1.0), entry(memory("m1", "bob coffee", scope("bob")), 1.0)])
    assert aws_index.get(scope(), "m1").content == "alice tea"  # type: ignore[union-attr]
    assert aws_index.get(scope("bob"), "m1").content == "bob coffee"  # type: ignore[union-attr]
    search_target.settle()
    assert [h.node.content for h in aws_index.keyword_search(scope("bob"), "coffee tea", k=5)] == ["bob coffee"]


def test_upsert_without_vector_of_a_missing_memory_writes_nothing(aws_index: ProjectedMemoryIndex) -> None:
    with pytest.raises(InvalidMemoryRequest, match="no stored vector"):
        aws_index.upsert([entry(memory("new", "new"), 1.0), IndexEntry(node=memory("ghost", "ghost"))])
    assert aws_index.get(scope(), "new") is None


def test_a_batch_may_update_a_memory_it_indexes_first(aws_index: ProjectedMemoryIndex) -> None:
    node = memory("a1", "Alice likes tea")
    aws_index.upsert([entry(node, 1.0), IndexEntry(node=node.expire("a2", node.updated_at))])
    assert aws_index.get(scope(), "a1").status == "expired"  # type: ignore[union-attr]


def test_wrong_vector_dimension_is_refused_before_anything_is_written(aws_index: ProjectedMemoryIndex) -> None:
    with pytest.raises(InvalidMemoryRequest):
        aws_index.upsert([entry(memory("a1", "x"), *([1.0] * (DIM + 1)))])
    assert aws_index.get(scope(), "a1") is None


@pytest.mark.parametrize(("query", "expected"), [("杭州", ["zh1"]), ("茶", ["zh2"]), ("绿茶", ["zh2"])])
def test_chinese_keywords_match_bigrams_and_single_characters(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget, query: str, expected: list[str]
) -> None:
    aws_index.upsert(
        [
            entry(memory("zh1", "用户下周要去杭州出差"), 1.0),
            entry(memory("zh2", "用户喜欢喝绿茶"), 1.0),
            entry(memory("en", "Alice is running in Hangzhou"), 1.0),
        ]
    )
    search_target.settle()
    assert [h.node.id for h in aws_index.keyword_search(scope(), query, k=5)] == expected


def test_opposite_vectors_score_minus_one(aws_index: ProjectedMemoryIndex, search_target: SearchTarget) -> None:
    aws_index.upsert([entry(memory("neg", "neg"), -1.0)])
    search_target.settle()
    hits = aws_index.vector_search(scope(), unit_vector(1.0), k=1, memory_filter=ANY)
    assert hits[0].score == pytest.approx(-1.0, abs=1e-3)


def test_the_node_refusing_our_request_is_a_server_fault(search_target: SearchTarget) -> None:
    # An index made for 4 dimensions, used without the bootstrap check: the node answers 400 to *our* request.
    name = search_target.new_index_name()
    OpenSearchProjection(search_target.client(), name, 4).ensure_ready()
    unchecked = OpenSearchProjection(search_target.client(), name, DIM, bootstrap=False)
    with pytest.raises(BackendRejected, match="rejected"):
        unchecked.vector_search(scope(), unit_vector(1.0), 3, ANY)


def test_an_existing_index_of_another_dimension_is_refused(search_target: SearchTarget) -> None:
    name = search_target.new_index_name()
    OpenSearchProjection(search_target.client(), name, DIM).ensure_ready()
    with pytest.raises(InvalidMemoryRequest, match="dimension"):
        OpenSearchProjection(search_target.client(), name, DIM * 2).ensure_ready()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_dependency_unavailable() -> None:
    dead = opensearch_client(f"http://127.0.0.1:{_closed_port()}", timeout_seconds=1.0)
    with pytest.raises(DependencyUnavailable):
        OpenSearchProjection(dead, "mnemoscope-nowhere", DIM).keyword_search(scope(), "tea", 5, ANY)


def test_a_missing_index_without_bootstrap_is_dependency_unavailable(search_target: SearchTarget) -> None:
    projection = OpenSearchProjection(search_target.client(), search_target.new_index_name(), DIM, bootstrap=False)
    with pytest.raises(DependencyUnavailable):
        projection.vector_search(scope(), unit_vector(1.0), 3, ANY)
