"""Bedrock embedders against botocore's Stubber: the InvokeModel request each sends, batching, retries, refusals."""

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from mnemoscope.adapters.models import transient
from mnemoscope.adapters.models.bedrock_embedder import (
    BedrockCohereEmbedder,
    BedrockTitanEmbedder,
    bedrock_embedder,
)
from mnemoscope.domain.errors import ConfigurationError, DependencyUnavailable


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transient.time, "sleep", lambda _: None)


@pytest.fixture
def client() -> Iterator[Any]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def body(payload: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def sent(client: Any) -> list[dict[str, Any]]:
    """The JSON bodies the adapter passed to invoke_model (recorded before the Stubber answers)."""
    return client.sent  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _record(client: Any) -> None:
    client.sent = []

    def record(params: dict[str, Any], **_: Any) -> None:
        client.sent.append({"modelId": params["modelId"], **json.loads(params["body"])})

    client.meta.events.register("provide-client-params.bedrock-runtime.InvokeModel", record)


def unit(dimension: int, index: int = 0) -> list[float]:
    vector = [0.0] * dimension
    vector[index % dimension] = 1.0
    return vector


def test_titan_sends_one_text_per_request_with_dimension_and_normalize(client: Any) -> None:
    # Given
    for i in range(3):
        client.stubber.add_response("invoke_model", body({"embedding": unit(256, i), "inputTextTokenCount": 4}))
    embedder = BedrockTitanEmbedder(dimension=256, client=client)
    # When
    vectors = embedder.embed_documents(["a", "b", "c"])
    # Then
    assert [v.index(1.0) for v in vectors] == [0, 1, 2]
    assert sent(client) == [
        {"modelId": "amazon.titan-embed-text-v2:0", "inputText": t, "dimensions": 256, "normalize": True}
        for t in ("a", "b", "c")
    ]
    assert embedder.model_id == "bedrock:amazon.titan-embed-text-v2:0:256"


def test_titan_refuses_a_dimension_it_cannot_make() -> None:
    with pytest.raises(ValueError, match="768"):
        BedrockTitanEmbedder(dimension=768, client=object())


def test_cohere_batches_by_96_and_marks_documents_and_queries(client: Any) -> None:
    # Given 200 memories and a query
    for size in (96, 96, 8):
        client.stubber.add_response("invoke_model", body({"embeddings": [unit(1024, i) for i in range(size)]}))
    client.stubber.add_response("invoke_model", body({"embeddings": {"float": [unit(1024, 5)]}}))
    embedder = BedrockCohereEmbedder(client=client)
    # When
    vectors = embedder.embed_documents([f"fact {i}" for i in range(200)])
    query = embedder.embed_query("which fact?")
    # Then
    requests = sent(client)
    assert [len(r["texts"]) for r in requests[:3]] == [96, 96, 8]
    assert {r["input_type"] for r in requests[:3]} == {"search_document"}
    assert requests[3]["input_type"] == "search_query" and requests[3]["texts"] == ["which fact?"]
    assert all(r["modelId"] == "cohere.embed-multilingual-v3" and r["truncate"] == "END" for r in requests)
    assert len(vectors) == 200 and vectors[97].index(1.0) == 1
    assert query.index(1.0) == 5


def test_cohere_cuts_texts_to_2048_characters(client: Any) -> None:
    client.stubber.add_response("invoke_model", body({"embeddings": [unit(1024), unit(1024)]}))
    BedrockCohereEmbedder(client=client).embed_documents(["長" * 5000, "short"])
    assert sent(client)[0]["texts"] == ["長" * 2048, "short"]


def test_throttling_is_retried_then_reported_unavailable(client: Any) -> None:
    # Given two throttles, then a vector
    client.stubber.add_client_error("invoke_model", "ThrottlingException", http_status_code=429)
    client.stubber.add_client_error("invoke_model", "ServiceUnavailableException", http_status_code=503)
    client.stubber.add_response("invoke_model", body({"embedding": unit(1024)}))
    assert BedrockTitanEmbedder(client=client, max_retries=2).embed_query("q") == unit(1024)
    # And when every attempt is throttled
    for _ in range(2):
        client.stubber.add_client_error("invoke_model", "ThrottlingException", http_status_code=429)
    with pytest.raises(DependencyUnavailable, match="2 attempts"):
        BedrockTitanEmbedder(client=client, max_retries=1).embed_query("q")


def test_access_denied_is_not_retried(client: Any) -> None:
    client.stubber.add_client_error("invoke_model", "AccessDeniedException", http_status_code=403)
    with pytest.raises(DependencyUnavailable, match="AccessDeniedException"):
        BedrockTitanEmbedder(client=client).embed_query("q")


def test_a_vector_of_another_size_is_refused(client: Any) -> None:
    client.stubber.add_response("invoke_model", body({"embedding": unit(512)}))
    with pytest.raises(ValueError, match="512"):
        BedrockTitanEmbedder(dimension=1024, client=client).embed_query("q")


def test_the_factory_picks_the_adapter_by_model_id() -> None:
    assert isinstance(bedrock_embedder("cohere.embed-multilingual-v3", None, "eu-west-1", 2), BedrockCohereEmbedder)
    titan = bedrock_embedder("amazon.titan-embed-text-v2:0", 512, "eu-west-1", 2)
    assert isinstance(titan, BedrockTitanEmbedder) and titan.dimension == 512
    with pytest.raises(ConfigurationError, match="unsupported"):
        bedrock_embedder("amazon.titan-embed-text-v1", None, None, 2)
