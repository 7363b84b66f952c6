"""`mnemoscope reindex` and the reflect function's reindex action rebuild the search projection from the records
(DynamoDB under moto, the real OpenSearch node as a domain and behind the Serverless-constraints proxy)."""

import json
import math
from collections.abc import Iterator

import pytest
from moto import mock_aws

from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.adapters.aws.opensearch_projection import Projected
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
from mnemoscope.adapters.aws.reindex import reindex
from mnemoscope.cli.main import main
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.ports.memory_index import ANY, IndexEntry
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, assemble, override_services
from tests import opensearch_target
from tests.conftest import load_event
from tests.contracts.builders import DIM, memory, scope, unit_vector
from tests.fakes.hash_embedder import HashEmbedder
from tests.opensearch_target import SearchTarget

pytestmark = pytest.mark.opensearch
search_target = opensearch_target.search_target  # the node as a domain, then as a Serverless collection
TOPICS = ["tea", "coffee", "hiking", "chess", "piano", "sailing"]


@pytest.fixture
def aws_index(search_target: SearchTarget) -> Iterator[ProjectedMemoryIndex]:
    with mock_aws():
        yield search_target.memory_index("memories", DIM)


def _fill(index: ProjectedMemoryIndex) -> None:
    entries = []
    for i in range(40):
        angle = i * 0.15
        topic = TOPICS[i % len(TOPICS)]
        node = memory(f"m{i:02d}", f"Alice talked about {topic} on day {i}", minutes=i)
        entries.append(IndexEntry(node=node, vector=unit_vector(math.cos(angle), math.sin(angle), 0.1 * (i % 3))))
    index.upsert(entries)
    index.upsert([IndexEntry(node=entries[0].node.expire("m01", entries[0].node.updated_at))])  # one superseded


def _top_results(index: ProjectedMemoryIndex) -> list[list[tuple[str, float]]]:
    answers = []
    for angle in (0.0, 1.0, 2.5):
        hits = index.vector_search(scope(), unit_vector(math.cos(angle), math.sin(angle)), k=5)
        answers.append([(h.node.id, round(h.score, 4)) for h in hits])
    for topic in ("tea", "chess piano"):
        # BM25 scores depend on index statistics and equal contents tie: compare every match, not the order.
        answers.append(sorted((h.node.id, 0.0) for h in index.keyword_search(scope(), topic, k=20)))
    answers.append([(h.node.id, 0.0) for h in index.vector_search(scope(), unit_vector(1.0), k=5, memory_filter=ANY)])
    return answers


@pytest.mark.parametrize("recreate", [False, True])
def test_a_lost_index_is_rebuilt_and_search_answers_as_before(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget, recreate: bool
) -> None:
    # Given memories searchable in the index
    _fill(aws_index)
    search_target.settle()
    before = _top_results(aws_index)
    assert all(before)
    # When the index is lost, then rebuilt from the records
    search_target.node.indices.delete(index=aws_index.projection.index_name)
    report = reindex(aws_index, recreate=recreate)
    # Then search gives the same top results
    assert report.records == 40
    search_target.settle()
    assert _top_results(aws_index) == before


def test_reindex_removes_documents_without_a_record(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget
) -> None:
    _fill(aws_index)
    ghost = memory("ghost", "Alice talked about tea in a dream")
    aws_index.projection.write([Projected(ghost, unit_vector(1.0), 1)])  # a document whose record never existed
    search_target.settle()
    assert reindex(aws_index).orphans_removed == 1
    search_target.settle()
    ids = {
        hit["_source"]["memory_id"]
        for hit in search_target.node_documents(aws_index.projection.index_name, {"match_all": {}})
    }  # type: ignore[index]
    assert len(ids) == 40
    assert "ghost" not in ids


def test_the_cli_rebuilds_from_the_settings(
    aws_index: ProjectedMemoryIndex,
    search_target: SearchTarget,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(aws_index)
    search_target.settle()
    before = _top_results(aws_index)
    search_target.node.indices.delete(index=aws_index.projection.index_name)
    for name, value in {
        "MNEMOSCOPE_BACKEND": "aws",
        "MNEMOSCOPE_MEMORY_TABLE": "memories",
        "MNEMOSCOPE_OPENSEARCH_ENDPOINT": search_target.url,
        "MNEMOSCOPE_OPENSEARCH_AUTH": "none",
        "MNEMOSCOPE_OPENSEARCH_ENGINE": "lucene",
        "MNEMOSCOPE_OPENSEARCH_INDEX": aws_index.projection.index_name,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["reindex"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 40
    search_target.settle()
    assert _top_results(aws_index) == before


def test_the_reflect_function_reindexes_on_request(
    aws_index: ProjectedMemoryIndex, search_target: SearchTarget
) -> None:
    _fill(aws_index)
    search_target.settle()
    before = _top_results(aws_index)
    search_target.node.indices.delete(index=aws_index.projection.index_name)
    infra = Infrastructure(chat_log=None, memory_index=aws_index, job_queue=None, embedder=HashEmbedder())  # type: ignore[arg-type]
    override_services(assemble(Settings(), infra))
    try:
        answer = reflect_handler(load_event("reflect/reindex.json"), LocalLambdaContext("reflect"))
    finally:
        override_services(None)
    assert answer == {"records": 40, "orphans_removed": 0, "recreated": False}
    search_target.settle()
    assert _top_results(aws_index) == before
