"""Where the sparse list is on (issue 18): wherever the embedder makes sparse vectors and the index stores them;
an explicit `true` that cannot be honoured is a configuration error, not a silent downgrade."""

from pathlib import Path

import pytest

from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.services.feedback import KeywordFeedback, RankingChain
from mnemoscope.services.retrieval import SearchQuery
from mnemoscope.services.sparse_ranking import SparseRanking
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, _extra_rankings, _sparse_ranking
from mnemoscope.wiring.infrastructure import local_infrastructure
from tests.contracts.builders import scope
from tests.fakes.concept_encoder import ConceptEncoder
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.recording_queue import RecordingJobQueue


class SparseHashEmbedder(HashEmbedder):
    """The hashing test embedder with a sparse side (a fake behind our own ports)."""

    def __init__(self, encoder: ConceptEncoder | None) -> None:
        super().__init__()
        self._encoder = encoder

    def sparse_encoder(self) -> ConceptEncoder | None:
        return self._encoder


def _infra(tmp_path: Path, embedder: HashEmbedder) -> Infrastructure:
    db = SqliteDatabase(tmp_path / "m.db")
    return Infrastructure(
        chat_log=SqliteChatLog(db),
        memory_index=SqliteMemoryIndex(db, embedder.dimension),
        job_queue=RecordingJobQueue(),
        embedder=embedder,
    )


@pytest.mark.parametrize(
    ("setting", "embedder", "on"),
    [
        (None, SparseHashEmbedder(ConceptEncoder()), True),
        (True, SparseHashEmbedder(ConceptEncoder()), True),
        (False, SparseHashEmbedder(ConceptEncoder()), False),
        (None, SparseHashEmbedder(None), False),  # the engine could not be built here
        (None, HashEmbedder(), False),  # a hosted embedder: no sparse side at all
    ],
)
def test_the_sparse_list_is_on_where_both_sides_can(
    tmp_path: Path, setting: bool | None, embedder: HashEmbedder, on: bool
) -> None:
    ranking = _sparse_ranking(Settings(sparse_ranking=setting), _infra(tmp_path, embedder))
    assert isinstance(ranking, SparseRanking) if on else ranking is None


@pytest.mark.parametrize("embedder", [SparseHashEmbedder(None), HashEmbedder()])
def test_asking_for_it_where_it_cannot_run_fails_at_start(tmp_path: Path, embedder: HashEmbedder) -> None:
    with pytest.raises(ConfigurationError, match="SPARSE_RANKING"):
        _sparse_ranking(Settings(sparse_ranking=True), _infra(tmp_path, embedder))


def test_feedback_then_sparse_are_chained_for_the_local_backend(tmp_path: Path) -> None:
    infra = _infra(tmp_path, SparseHashEmbedder(ConceptEncoder()))
    both = _extra_rankings(Settings(backend="local"), infra, infra.memory_index)
    assert isinstance(both, RankingChain) and both.min_candidates == 60
    only_feedback = _extra_rankings(Settings(backend="local", sparse_ranking=False), infra, infra.memory_index)
    assert isinstance(only_feedback, KeywordFeedback)
    assert _extra_rankings(Settings(backend="aws", sparse_ranking=False), infra, infra.memory_index) is None


def test_the_local_backend_stores_and_uses_sparse_vectors_with_the_real_engine(tmp_path: Path) -> None:
    from mnemoscope.wiring import assemble

    settings = Settings(backend="local", data_dir=tmp_path / "data", native_dir=tmp_path / "native")
    infra = local_infrastructure(settings, InProcessJobQueue(lambda event: None))
    try:
        index = infra.memory_index
        assert isinstance(index, SqliteMemoryIndex)
        services = assemble(settings, infra)
        cat = services.memories.add_custom(scope(), "My cat is called Miso and sleeps on the sofa.")
        services.memories.add_custom(scope(), "I work as a nurse in Berlin.")
        services.memories.add_custom(scope(), "It rained all week in Lisbon.")
        query = "what is the name of my cat"
        found = services.retrieval.search(scope(), SearchQuery(query=query, top_k=1, include_recent=False))
        assert [hit.node.id for hit in found.memories] == [cat.id]
        encoder = infra.embedder.sparse_encoder()  # type: ignore[attr-defined]
        dots = index.sparse_scores(scope(), encoder.encode_query(query), [cat.id])
        assert dots[cat.id] > 0  # stored with the write, from the same pass as the dense vector
    finally:
        infra.close()


@pytest.mark.parametrize(("backend", "embedder"), [("aws", "local"), ("aws", "openai"), ("local", "openai")])
def test_deferred_adapters_are_not_built_to_ask_whether_they_can(tmp_path: Path, backend: str, embedder: str) -> None:
    # On AWS the embedder and index are built on first use (SnapStart: never before the snapshot, never reading
    # secrets at init); asking them for a sparse side while assembling the graph must not build them.
    from typing import Any, cast

    from mnemoscope.wiring.deferred import Deferred

    def refuse() -> Any:
        raise AssertionError("a deferred adapter was built while the graph was assembled")

    infra = Infrastructure(
        chat_log=cast(Any, Deferred(refuse)),
        memory_index=cast(Any, Deferred(refuse)),
        job_queue=RecordingJobQueue(),
        embedder=cast(Any, Deferred(refuse)),
    )
    assert _sparse_ranking(Settings(backend=backend, embedder=embedder), infra) is None  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        _sparse_ranking(Settings(backend=backend, embedder=embedder, sparse_ranking=True), infra)  # type: ignore[arg-type]
