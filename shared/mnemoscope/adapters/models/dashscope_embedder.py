"""Embeddings through DashScope's native SDK (text-embedding-v3 by default).

Input limit: text-embedding-v3/v4 take at most 8,192 tokens per input, v1/v2 2,048 (Model Studio docs). Texts are
cut to that many UTF-8 bytes, which is at most that many tokens for Qwen's byte-level BPE tokenizer; an unknown
model gets the smaller 2,048."""

from collections.abc import Callable, Sequence
from typing import Any

from mnemoscope.adapters.models.batching import in_batches, truncate_utf8
from mnemoscope.adapters.models.dashscope_status import checked, is_transient
from mnemoscope.adapters.models.transient import call_with_retries

BATCH = 10  # text-embedding-v3 accepts at most 10 texts per request
DEFAULT_MODEL = "text-embedding-v3"
MAX_INPUT_TOKENS = {
    "text-embedding-v1": 2048,
    "text-embedding-v2": 2048,
    "text-embedding-v3": 8192,
    "text-embedding-v4": 8192,
}
FALLBACK_MAX_INPUT_TOKENS = 2048


class DashScopeEmbedder:
    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        dimension: int = 1024,
        max_retries: int = 2,
        call: Callable[..., Any] | None = None,
    ) -> None:
        if call is None:
            import dashscope

            call = dashscope.TextEmbedding.call
        self._call = call
        self._model = model
        self._api_key = api_key
        self._dimension = dimension
        self._max_retries = max_retries
        self._max_input_bytes = MAX_INPUT_TOKENS.get(model, FALLBACK_MAX_INPUT_TOKENS)

    @property
    def model_id(self) -> str:
        return f"dashscope:{self._model}:{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return in_batches(texts, BATCH, lambda batch: self._embed(batch, "document"))

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "query")[0]

    def _embed(self, texts: list[str], text_type: str) -> list[list[float]]:
        batch = [truncate_utf8(text, self._max_input_bytes) for text in texts]

        def once() -> Any:
            response = self._call(
                model=self._model, input=batch, api_key=self._api_key, text_type=text_type, dimension=self._dimension
            )
            return checked(response, "DashScope embeddings")

        response = call_with_retries(once, is_transient, what="DashScope embeddings", max_retries=self._max_retries)
        items = sorted(response.output["embeddings"], key=lambda item: item["text_index"])
        return [list(item["embedding"]) for item in items]
