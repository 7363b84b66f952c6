"""The AWS MemoryIndex without a node: DynamoDB records under moto, an unreachable OpenSearch, and the pure
choice of search hits. (The node-backed suites are test_opensearch_index.py and test_opensearch_reindex.py.)"""

import socket
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_memory_records import (
    MEMORY_TABLE_DEFINITION,
    ConcurrentChange,
    DynamoDbMemoryRecords,
    MemoryRecord,
    RecordChange,
    decode_vector,
    encode_vector,
)
from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection, ProjectionHit
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex, choose_hits
from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import MemoryFilter
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, assemble, override_services
from tests.contracts.builders import DIM, entry, memory, scope, unit_vector
from tests.fakes.hash_embedder import HashEmbedder
from tests.functions.api_calls import call_event


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def records() -> Iterator[DynamoDbMemoryRecords]:
    with mock_aws():
        boto3.client("dynamodb").create_table(TableName="memories", **MEMORY_TABLE_DEFINITION)
        yield DynamoDbMemoryRecords("memories")


@pytest.fixture
def offline_index(records: DynamoDbMemoryRecords) -> ProjectedMemoryIndex:
    dead = opensearch_client(f"http://127.0.0.1:{_closed_port()}", timeout_seconds=1.0)
    return ProjectedMemoryIndex(records, OpenSearchProjection(dead, "memories", DIM))


def test_a_failed_projection_write_keeps_the_memory(offline_index: ProjectedMemoryIndex) -> None:
    node = memory("a1", "Alice keeps bees")
    with pytest.raises(DependencyUnavailable, match="search index not updated"):
        offline_index.upsert([entry(node, 1.0)])
    # The record is written: get and list work, a retry rewrites both, reindex heals the search index.
    assert offline_index.get(scope(), "a1") == node
    assert [n.id for n in offline_index.list(scope()).items] == ["a1"]


def test_a_write_on_a_moved_record_is_refused(records: DynamoDbMemoryRecords) -> None:
    node = memory("a1", "Alice keeps bees")
    records.put([RecordChange(node, unit_vector(1.0), None)])
    with pytest.raises(ConcurrentChange):
        records.put([RecordChange(node, unit_vector(1.0), None)])  # it exists already
    with pytest.raises(ConcurrentChange):
        records.put([RecordChange(node, unit_vector(1.0), 7), RecordChange(memory("a2", "x"), unit_vector(1.0), None)])
    assert records.get_many([(scope(), "a2")]) == {}  # the transaction wrote nothing
    records.put([RecordChange(node.expire("a2", node.updated_at), unit_vector(1.0), 1)])
    assert records.get_many([(scope(), "a1")])[(scope(), "a1")].version == 2


def test_vectors_round_trip_as_float32(records: DynamoDbMemoryRecords) -> None:
    vector = unit_vector(0.3, -0.7, 0.2)
    assert decode_vector(encode_vector(vector)) == pytest.approx(vector, abs=1e-7)
    records.put([RecordChange(memory("a1", "x"), vector, None)])
    stored = records.get_many([(scope(), "a1")], with_vectors=True)[(scope(), "a1")].vector
    assert stored == pytest.approx(vector, abs=1e-7)


def test_a_vector_less_update_of_a_missing_memory_is_refused(offline_index: ProjectedMemoryIndex) -> None:
    from mnemoscope.ports.memory_index import IndexEntry

    with pytest.raises(InvalidMemoryRequest, match="no stored vector"):
        offline_index.upsert([IndexEntry(node=memory("ghost", "ghost"))])


def test_list_pages_and_refuses_a_forged_cursor(records: DynamoDbMemoryRecords) -> None:
    records.put([RecordChange(memory(f"m{i}", f"fact {i}", minutes=i), unit_vector(1.0), None) for i in range(5)])
    first = records.list(scope(), MemoryFilter(statuses=None), 2, None)
    assert [n.id for n in first.items] == ["m4", "m3"]
    second = records.list(scope(), MemoryFilter(statuses=None), 2, first.next_cursor)
    assert [n.id for n in second.items] == ["m2", "m1"]
    with pytest.raises(InvalidMemoryRequest) as refused:
        records.list(scope(), MemoryFilter(), 2, "bm90LWEtY3Vyc29y")
    assert refused.value.field == "cursor"


def test_a_dynamodb_rejection_is_a_server_fault_not_the_callers() -> None:
    with mock_aws():
        missing = DynamoDbMemoryRecords("no-such-table")
        with pytest.raises(BackendRejected, match="ResourceNotFoundException"):
            missing.get_many([(scope(), "a1")])


def test_the_api_answers_500_when_a_store_rejects_our_request() -> None:
    with mock_aws():
        dead = opensearch_client(f"http://127.0.0.1:{_closed_port()}", timeout_seconds=1.0)
        index = ProjectedMemoryIndex(DynamoDbMemoryRecords("no-such-table"), OpenSearchProjection(dead, "m", DIM))
        infra = Infrastructure(chat_log=None, memory_index=index, job_queue=None, embedder=HashEmbedder())  # type: ignore[arg-type]
        override_services(assemble(Settings(), infra))
        try:
            status, body, _ = call_event("get_memory")
        finally:
            override_services(None)
    assert status == 500
    assert body["error"]["code"] == "backend_rejected"


def _record(memory_id: str, version: int) -> MemoryRecord:
    return MemoryRecord(node=memory(memory_id, memory_id), version=version, written_at_ms=0)


def test_hits_are_rechecked_and_deduplicated_against_the_records() -> None:
    hits = [
        ProjectionHit("d-gone", "gone", 1, 0.99),  # no record: deleted
        ProjectionHit("d-a-old", "a", 1, 0.95),  # an older version next to the current one
        ProjectionHit("d-b-old", "b", 1, 0.90),  # the only document of b: kept, though stale
        ProjectionHit("d-a-new", "a", 2, 0.80),
        ProjectionHit("d-c-2", "c", 1, 0.70),  # two documents of one version (a redelivered write)
        ProjectionHit("d-c-1", "c", 1, 0.70),
    ]
    chosen, stale = choose_hits(hits, {"a": _record("a", 2), "b": _record("b", 3), "c": _record("c", 1)})
    assert [(h.memory_id, h.doc_id) for h in chosen] == [("b", "d-b-old"), ("a", "d-a-new"), ("c", "d-c-1")]
    assert sorted(stale) == ["d-a-old", "d-c-2", "d-gone"]


class _ScriptedProjection:
    """The two projection searches answer fixed hits; what is discarded is recorded."""

    def __init__(self, vector: list[ProjectionHit], keyword: list[ProjectionHit]) -> None:
        self._vector, self._keyword = vector, keyword
        self.discarded: list[list[str]] = []

    def vector_search(self, *args: object) -> list[ProjectionHit]:
        return self._vector

    def keyword_search(self, *args: object) -> list[ProjectionHit]:
        return self._keyword

    def discard(self, doc_ids: list[str]) -> None:
        self.discarded.append(list(doc_ids))


def test_hybrid_search_reads_the_records_once_and_repairs_both_lists(
    records: DynamoDbMemoryRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two live memories and a deleted one that both projection lists still return
    for node in (memory("a", "Alice keeps bees"), memory("b", "Alice has bees and a cat", kind="insight")):
        records.put([RecordChange(node, unit_vector(1.0), None)])
    projection = _ScriptedProjection(
        vector=[ProjectionHit("d-gone", "gone", 1, 0.9), ProjectionHit("d-a", "a", 1, 0.8)],
        keyword=[ProjectionHit("d-b", "b", 1, 7.0), ProjectionHit("d-gone", "gone", 1, 3.0)],
    )
    index = ProjectedMemoryIndex(records, projection)  # type: ignore[arg-type]
    reads: list[int] = []
    real_get_many = records.get_many

    def counted_get_many(keys: list[tuple[Scope, str]]) -> dict[tuple[Scope, str], MemoryRecord]:
        reads.append(len(keys))
        return real_get_many(keys)

    monkeypatch.setattr(records, "get_many", counted_get_many)
    # When
    both = index.hybrid_search(scope(), unit_vector(1.0), "bees", 10)
    # Then one record read answered both lists, and the dead document was repaired once
    assert reads == [3]
    assert [h.node.id for h in both.vector] == ["a"] and [h.node.id for h in both.keyword] == ["b"]
    assert projection.discarded == [["d-gone"]]
    only_observations = index.hybrid_search(
        scope(), unit_vector(1.0), "bees", 10, MemoryFilter(types=frozenset({"observation"}))
    )
    assert only_observations.keyword == [] and [h.node.id for h in only_observations.vector] == ["a"]


def test_hybrid_search_fails_as_unavailable_when_the_projection_is_down(offline_index: ProjectedMemoryIndex) -> None:
    with pytest.raises(DependencyUnavailable):
        offline_index.hybrid_search(scope(), unit_vector(1.0), "bees", 5)
