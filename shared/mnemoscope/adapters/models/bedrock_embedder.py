"""Embeddings on Amazon Bedrock through InvokeModel: Amazon Titan Text Embeddings V2 and Cohere Embed v3.

Titan V2 embeds one text per request (`inputText`), 256/512/1024 dimensions, normalised by the service; input up to
8,192 tokens or 50,000 characters. Cohere Embed v3 (multilingual: zh + en in one space) takes up to 96 texts of at
most 2,048 characters per request, 1,024 dimensions, and an `input_type`: `search_document` for memories,
`search_query` for queries (the Embedder port's embed_documents / embed_query). Texts are cut to those character
limits (memories are at most 4,000 characters, queries 2,000), and Cohere is told to cut at the end
(`truncate: END`) should a text still exceed its token window."""

import json
import math
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from mnemoscope.adapters.models.batching import in_batches
from mnemoscope.adapters.models.bedrock_runtime import LazyBedrockClient, error_code, is_transient
from mnemoscope.adapters.models.transient import call_with_retries
from mnemoscope.domain.errors import ConfigurationError, DependencyUnavailable

TITAN_V2 = "amazon.titan-embed-text-v2:0"
COHERE_MULTILINGUAL_V3 = "cohere.embed-multilingual-v3"
TITAN_DIMENSIONS = (256, 512, 1024)
TITAN_MAX_CHARS = 50_000
COHERE_BATCH = 96
COHERE_MAX_CHARS = 2_048
COHERE_DIMENSION = 1024


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


class _BedrockEmbedder:
    """InvokeModel with JSON in and out, retried on throttling like the other hosted embedders."""

    def __init__(self, model: str, dimension: int, region: str | None, max_retries: int, client: Any | None) -> None:
        self._model = model
        self._dimension = dimension
        self._max_retries = max_retries
        self._client = LazyBedrockClient(region, read_timeout=10.0, client=client)

    @property
    def model_id(self) -> str:
        return f"bedrock:{self._model}:{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _invoke(self, body: dict[str, Any]) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            response = self._client.get().invoke_model(
                modelId=self._model,
                body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                contentType="application/json",
                accept="application/json",
            )
            payload: dict[str, Any] = json.loads(response["body"].read())
            return payload

        try:
            return call_with_retries(once, is_transient, what="Bedrock embeddings", max_retries=self._max_retries)
        except ClientError as error:  # access not enabled, unknown model id: like DashScope's refusals
            raise DependencyUnavailable(f"Bedrock embeddings refused the request ({error_code(error)})") from error

    def _checked(self, vector: list[float]) -> list[float]:
        if len(vector) != self._dimension:  # a model id and dimension that do not match would poison the index
            raise ValueError(f"{self._model} returned {len(vector)} dimensions, configured {self._dimension}")
        return vector


class BedrockTitanEmbedder(_BedrockEmbedder):
    """Amazon Titan Text Embeddings V2: one text per InvokeModel, vectors normalised by the service."""

    def __init__(
        self,
        model: str = TITAN_V2,
        *,
        dimension: int = 1024,
        region: str | None = None,
        max_retries: int = 2,
        client: Any | None = None,
    ) -> None:
        if dimension not in TITAN_DIMENSIONS:
            raise ValueError(f"Titan Text Embeddings V2 makes {TITAN_DIMENSIONS} dimensions, not {dimension}")
        super().__init__(model, dimension, region, max_retries, client)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)  # Titan has no query/document distinction

    def _embed(self, text: str) -> list[float]:
        body = {"inputText": text[:TITAN_MAX_CHARS], "dimensions": self._dimension, "normalize": True}
        return self._checked([float(v) for v in self._invoke(body)["embedding"]])


class BedrockCohereEmbedder(_BedrockEmbedder):
    """Cohere Embed v3 (multilingual by default): batches of 96, `search_document` vs `search_query`."""

    def __init__(
        self,
        model: str = COHERE_MULTILINGUAL_V3,
        *,
        dimension: int = COHERE_DIMENSION,
        region: str | None = None,
        max_retries: int = 2,
        client: Any | None = None,
    ) -> None:
        super().__init__(model, dimension, region, max_retries, client)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return in_batches(texts, COHERE_BATCH, lambda batch: self._embed(batch, "search_document"))

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "search_query")[0]

    def _embed(self, texts: list[str], input_type: str) -> list[list[float]]:
        body = {"texts": [t[:COHERE_MAX_CHARS] for t in texts], "input_type": input_type, "truncate": "END"}
        embeddings = self._invoke(body)["embeddings"]
        if isinstance(embeddings, dict):  # the by-type form, had `embedding_types` been sent
            embeddings = embeddings["float"]
        if len(embeddings) != len(texts):
            raise ValueError(f"{self._model} returned {len(embeddings)} vectors for {len(texts)} texts")
        # Cohere's vectors are meant for cosine; the port promises unit length, so normalise here.
        return [self._checked(_unit([float(v) for v in vector])) for vector in embeddings]


def bedrock_embedder(
    model: str, dimension: int | None, region: str | None, max_retries: int
) -> BedrockTitanEmbedder | BedrockCohereEmbedder:
    """The adapter for a Bedrock embedding model id (Titan V2 or a Cohere Embed v3 id).

    Raises:
        ConfigurationError: another model id.
    """
    if model.startswith("cohere.embed"):
        return BedrockCohereEmbedder(
            model, dimension=dimension or COHERE_DIMENSION, region=region, max_retries=max_retries
        )
    if model.startswith("amazon.titan-embed-text-v2"):
        return BedrockTitanEmbedder(model, dimension=dimension or 1024, region=region, max_retries=max_retries)
    raise ConfigurationError(
        f"unsupported Bedrock embedding model {model!r}: use {TITAN_V2} or {COHERE_MULTILINGUAL_V3}"
    )
