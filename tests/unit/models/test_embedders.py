"""Embedding adapters: the local model for real, the hosted ones through injected SDK stand-ins."""

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from mnemoscope.adapters.models import transient
from mnemoscope.adapters.models.batching import truncate_utf8
from mnemoscope.adapters.models.dashscope_embedder import DashScopeEmbedder
from mnemoscope.adapters.models.dashscope_reranker import DashScopeReranker
from mnemoscope.adapters.models.local_embedder import LocalE5Embedder, query_form
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


# --- input limits: long texts are cut to what the model reads, never sent (or windowed) whole ---

LONG_ENGLISH = "The committee met again on Tuesday to discuss the river project and its budget. " * 200
LONG_CHINESE = "我们今天在公园里散步，讨论了明年的旅行计划。" * 700


@pytest.mark.parametrize("text", [LONG_ENGLISH, LONG_CHINESE, "x" * 20_000])
@pytest.mark.parametrize("is_query", [False, True])
def test_local_truncation_keeps_the_longest_prefix_that_fits_512_tokens(
    local: LocalE5Embedder, text: str, is_query: bool
) -> None:
    cut = local.truncate(text, is_query=is_query)
    assert text.startswith(cut) and len(cut) < len(text)
    assert local.token_count(cut, is_query=is_query) <= 512
    # Not cut much shorter than needed: the proportional steps stop within a few tokens of the limit.
    assert local.token_count(text[: len(cut) + 40], is_query=is_query) > 512 - 16


def test_local_short_text_is_untouched_and_long_text_embeds_as_its_prefix(local: LocalE5Embedder) -> None:
    assert local.truncate("my cat is called Miso", is_query=False) == "my cat is called Miso"
    prefix = local.truncate(LONG_ENGLISH, is_query=False)
    whole, head = local.embed_documents([LONG_ENGLISH, prefix])
    assert whole == head
    assert local.embed_query(LONG_CHINESE) == local.embed_query(local.truncate(LONG_CHINESE, is_query=True))


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("When did Caroline go to the LGBTQ support group?", "when did caroline go to the lgbtq support group"),
        ("  Where's Miso?? ", "where's miso"),
        ("我的狗叫什么名字？", "我的狗叫什么名字？"),  # no case, and the full-width mark stays
        ("?", "?"),  # nothing left: the text as given
    ],
)
def test_query_form_is_lower_case_without_a_trailing_question_mark(text: str, form: str) -> None:
    assert query_form(text) == form


def test_local_queries_are_embedded_in_their_query_form(local: LocalE5Embedder) -> None:
    # Given a question as a user types it
    asked = local.embed_query("What did Melanie paint?")
    # Then it is embedded as its search-query form, and a document keeps its own case
    assert asked == local.embed_query("what did melanie paint")
    assert local.embed_documents(["Melanie painted"]) != local.embed_documents(["melanie painted"])


def test_utf8_truncation_cuts_whole_characters_within_the_byte_bound() -> None:
    assert truncate_utf8("short", 10) == "short"
    cut = truncate_utf8("猫" * 10, 10)  # 3 bytes each: 3 whole characters fit
    assert cut == "猫" * 3
    assert len("a😀b".encode()) == 6 and truncate_utf8("a😀b", 4) == "a"


def test_openai_cuts_each_input_to_8191_bytes_and_keeps_requests_under_300k() -> None:
    fake = FakeOpenAIEmbeddings()
    embedder = OpenAIEmbedder(client=_client(fake))
    embedder.embed_documents(["é" * 10_000] * 40 + ["short"])
    embedder.embed_query("q" * 50_000)
    sent = [text for call in fake.calls for text in call["input"]]
    assert len(sent) == 42
    assert all(len(text.encode()) <= 8191 for text in sent)
    assert sent[0] == "é" * 4095 and sent[40] == "short"
    assert all(sum(len(t.encode()) for t in call["input"]) <= 300_000 for call in fake.calls)
    assert len(fake.calls) > 2  # 40 x 8,190 bytes does not fit one request


def test_openai_compatible_server_can_set_a_smaller_window() -> None:
    fake = FakeOpenAIEmbeddings()
    OpenAIEmbedder("e5", dimension=3, client=_client(fake), max_input_tokens=512).embed_query("w" * 2000)
    assert fake.calls[0]["input"] == ["w" * 512]


@pytest.mark.parametrize(("model", "limit"), [("text-embedding-v3", 8192), ("text-embedding-v2", 2048), ("new", 2048)])
def test_dashscope_cuts_inputs_to_the_model_limit(model: str, limit: int) -> None:
    fake = FakeDashScope()
    embedder = DashScopeEmbedder(model, dimension=4, call=fake.embed)
    embedder.embed_documents(["z" * 20_000, "ok"])
    embedder.embed_query("中" * 20_000)
    assert fake.calls[0]["input"] == ["z" * limit, "ok"]
    assert fake.calls[1]["input"] == ["中" * (limit // 3)]
