"""Embeddings through the OpenAI API (or any OpenAI-compatible server via base_url).

Input limit: OpenAI's embedding models take at most 8,191 tokens per input (and 300,000 per request). Texts are cut
to 8,191 UTF-8 bytes, which is at most 8,191 tokens for their byte-level BPE tokenizers, so a long memory is
embedded from its beginning instead of failing with a 400. An OpenAI-compatible server with a smaller window
can pass `max_input_tokens`. Batches stay under 300,000 bytes, hence tokens, too."""

from collections.abc import Sequence
from typing import Any

from mnemoscope.adapters.models.batching import in_batches, truncate_utf8
from mnemoscope.adapters.models.transient import call_with_retries

BATCH = 256
MAX_REQUEST_TOKENS = 300_000
MAX_INPUT_TOKENS = 8191
DEFAULT_MODEL = "text-embedding-3-small"
KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def _is_transient(error: Exception) -> bool:
    import openai

    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, openai.APIConnectionError | openai.APITimeoutError)


class OpenAIEmbedder:
    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        dimension: int | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        client: Any = None,
        max_input_tokens: int = MAX_INPUT_TOKENS,
    ) -> None:
        if client is None:
            import openai

            # Our own retry policy rules, so the SDK must not retry underneath it.
            client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._client = client
        self._model = model
        self._dimension = dimension or KNOWN_DIMENSIONS.get(model, 0)
        self._max_retries = max_retries
        self._max_input_bytes = max_input_tokens
        if not self._dimension:
            raise ValueError(f"set the embedding dimension for model {model!r}")

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}:{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        cut = [truncate_utf8(text, self._max_input_bytes) for text in texts]
        return in_batches(cut, BATCH, self._embed, max_batch_bytes=MAX_REQUEST_TOKENS)

    def embed_query(self, text: str) -> list[float]:
        return self._embed([truncate_utf8(text, self._max_input_bytes)])[0]

    def _embed(self, batch: list[str]) -> list[list[float]]:
        extra = {} if self._model == "text-embedding-ada-002" else {"dimensions": self._dimension}
        response = call_with_retries(
            lambda: self._client.embeddings.create(model=self._model, input=batch, **extra),
            _is_transient,
            what="OpenAI embeddings",
            max_retries=self._max_retries,
        )
        ordered = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]
