"""Embedding adapters: the local model for real, the hosted ones through injected SDK stand-ins."""

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from mnemoscope.adapters.models import transient
from mnemoscope.adapters.models.dashscope_embedder import DashScopeEmbedder
from mnemoscope.adapters.models.dashscope_reranker import DashScopeReranker
from mnemoscope.adapters.models.local_embedder import LocalE5Embedder
from mnemoscope.adapters.models.openai_embedder import OpenAIEmbedder
from mnemoscope.domain.errors import DependencyUnavailable


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transient.time, "sleep", lambda _: None)


@pytest.fixture(scope="module")
def local() -> LocalE5Embedder:
    return LocalE5Embedder()


def test_local_model_is_multilingual_and_normalised(local: LocalE5Embedder) -> None:
    # Given facts in Chinese and a question in English
    docs = local.embed_documents(["我的猫叫味噌。", "我在柏林当护士。", "明天会下雨。"])
    query = np.asarray(local.embed_query("What is the name of my cat?"))
    # Then the cat fact is nearest, and every vector has unit length
    scores = [float(np.dot(query, np.asarray(d))) for d in docs]
    assert scores.index(max(scores)) == 0
    assert local.dimension == 384 == len(docs[0])
    assert all(abs(float(np.linalg.norm(d)) - 1.0) < 1e-3 for d in docs)


def test_local_model_batches_large_inputs(local: LocalE5Embedder) -> None:
    texts = [f"fact number {i}" for i in range(70)]
    vectors = local.embed_documents(texts)
    assert len(vectors) == 70
    assert vectors[3] == local.embed_documents(["fact number 3"])[0]


@dataclass
class FakeOpenAIEmbeddings:
    failures: list[Exception] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.failures:
            raise self.failures.pop(0)
        data = [
            type("Item", (), {"index": i, "embedding": [float(i)] * kwargs.get("dimensions", 3)})()
            for i in range(len(kwargs["input"]))
        ]
        return type("Response", (), {"data": list(reversed(data))})()


def _status_error(code: int) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/embeddings")
    return openai.APIStatusError("boom", response=httpx.Response(code, request=request), body=None)


def _client(embeddings: FakeOpenAIEmbeddings) -> Any:
    return type("Client", (), {"embeddings": embeddings})()


def test_openai_sends_the_configured_model_and_keeps_order() -> None:
    fake = FakeOpenAIEmbeddings()
    embedder = OpenAIEmbedder("text-embedding-3-large", dimension=256, client=_client(fake))
    vectors = embedder.embed_documents(["a", "b", "c"])
    assert [v[0] for v in vectors] == [0.0, 1.0, 2.0]
    assert fake.calls[0]["model"] == "text-embedding-3-large"
    assert fake.calls[0]["dimensions"] == 256
    assert embedder.model_id == "openai:text-embedding-3-large:256"


def test_openai_batches_requests() -> None:
    fake = FakeOpenAIEmbeddings()
    OpenAIEmbedder(client=_client(fake)).embed_documents(["x"] * 600)
    assert [len(c["input"]) for c in fake.calls] == [256, 256, 88]


def test_openai_retries_transient_errors_then_gives_up() -> None:
    fake = FakeOpenAIEmbeddings(failures=[_status_error(429), _status_error(503)])
    assert len(OpenAIEmbedder(client=_client(fake), max_retries=2).embed_query("x")) == 1536
    fake = FakeOpenAIEmbeddings(failures=[_status_error(500)] * 3)
    with pytest.raises(DependencyUnavailable):
        OpenAIEmbedder(client=_client(fake), max_retries=2).embed_query("x")
    assert len(fake.calls) == 3


def test_openai_does_not_retry_client_errors() -> None:
    fake = FakeOpenAIEmbeddings(failures=[_status_error(400)])
    with pytest.raises(openai.APIStatusError):
        OpenAIEmbedder(client=_client(fake)).embed_query("x")
    assert len(fake.calls) == 1


def test_openai_unknown_model_needs_a_dimension() -> None:
    with pytest.raises(ValueError, match="dimension"):
        OpenAIEmbedder("my-local-model", client=_client(FakeOpenAIEmbeddings()))


@dataclass
class FakeDashScope:
    statuses: list[int] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def embed(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        status = self.statuses.pop(0) if self.statuses else HTTPStatus.OK
        items = [{"text_index": i, "embedding": [float(i)] * 4} for i in range(len(kwargs["input"]))]
        return type("Resp", (), {"status_code": status, "output": {"embeddings": list(reversed(items))}})()

    def rerank(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        status = self.statuses.pop(0) if self.statuses else HTTPStatus.OK
        results = [{"index": i, "relevance_score": 1.0 / (i + 1)} for i in range(len(kwargs["documents"]))]
        return type("Resp", (), {"status_code": status, "output": {"results": list(reversed(results))}})()


def test_dashscope_embedder_batches_by_ten_and_sends_model_and_text_type() -> None:
    fake = FakeDashScope()
    embedder = DashScopeEmbedder("text-embedding-v4", dimension=4, call=fake.embed)
    vectors = embedder.embed_documents([str(i) for i in range(23)])
    assert [len(c["input"]) for c in fake.calls] == [10, 10, 3]
    assert vectors[11][0] == 1.0
    assert fake.calls[0]["model"] == "text-embedding-v4"
    assert fake.calls[0]["text_type"] == "document"
    embedder.embed_query("q")
    assert fake.calls[-1]["text_type"] == "query"


def test_dashscope_embedder_retries_429_and_refuses_400() -> None:
    fake = FakeDashScope(statuses=[429, 500])
    assert DashScopeEmbedder(dimension=4, call=fake.embed, max_retries=2).embed_query("q") == [0.0] * 4
    with pytest.raises(DependencyUnavailable, match="refused"):
        DashScopeEmbedder(dimension=4, call=FakeDashScope(statuses=[400]).embed).embed_query("q")


def test_dashscope_reranker_scores_in_input_order() -> None:
    fake = FakeDashScope()
    scores = DashScopeReranker(call=fake.rerank).rerank("q", ["a", "b", "c"])
    assert scores == pytest.approx([1.0, 0.5, 1 / 3])
    assert fake.calls[0]["model"] == "gte-rerank"
    with pytest.raises(DependencyUnavailable):
        DashScopeReranker(call=FakeDashScope(statuses=[503, 503]).rerank, max_retries=1).rerank("q", ["a"])
