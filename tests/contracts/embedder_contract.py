"""What every Embedder must do, whatever model is behind it. Subclass and provide the `embedder` fixture."""

import math

import pytest

from mnemoscope.ports.embedder import Embedder

TEXTS = ["Alice likes green tea", "我的猫叫味噌。", "Bob moved to Berlin last spring", "明天会下雨"]


def _is_unit(vector: list[float]) -> bool:
    return abs(math.sqrt(sum(v * v for v in vector)) - 1.0) < 1e-3


class EmbedderContract:
    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_one_unit_vector_of_the_declared_dimension_per_text(self, embedder: Embedder) -> None:
        vectors = embedder.embed_documents(TEXTS)
        assert len(vectors) == len(TEXTS)
        assert all(len(v) == embedder.dimension for v in vectors)
        assert all(_is_unit(v) for v in vectors)

    def test_vectors_come_back_in_input_order(self, embedder: Embedder) -> None:
        together = embedder.embed_documents(TEXTS)
        alone = [embedder.embed_documents([text])[0] for text in TEXTS]
        for joint, single in zip(together, alone, strict=True):
            assert joint == pytest.approx(single, abs=1e-5)
        assert together[0] != pytest.approx(together[1], abs=1e-3)

    def test_a_batch_larger_than_any_request_keeps_count_and_order(self, embedder: Embedder) -> None:
        texts = [f"memory number {i}: the user mentioned item {i * 7}" for i in range(230)]
        vectors = embedder.embed_documents(texts)
        assert len(vectors) == 230
        for i in (0, 95, 96, 229):
            assert vectors[i] == pytest.approx(embedder.embed_documents([texts[i]])[0], abs=1e-5)

    def test_no_texts_no_vectors(self, embedder: Embedder) -> None:
        assert embedder.embed_documents([]) == []

    def test_a_query_is_one_unit_vector_of_the_dimension(self, embedder: Embedder) -> None:
        vector = embedder.embed_query("what does Alice drink?")
        assert len(vector) == embedder.dimension
        assert _is_unit(vector)
        assert vector == pytest.approx(embedder.embed_query("what does Alice drink?"), abs=1e-6)

    @pytest.mark.parametrize("text", ["tea " * 15_000, "茶" * 60_000])
    def test_an_over_long_text_is_embedded_not_refused(self, embedder: Embedder, text: str) -> None:
        assert len(embedder.embed_documents([text])[0]) == embedder.dimension
        assert len(embedder.embed_query(text)) == embedder.dimension

    def test_the_model_id_names_the_model_and_stays_the_same(self, embedder: Embedder) -> None:
        assert embedder.model_id and embedder.model_id == embedder.model_id
        assert embedder.dimension > 0
