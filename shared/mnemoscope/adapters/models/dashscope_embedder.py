"""Embeddings through DashScope's native SDK (text-embedding-v3 by default)."""

from collections.abc import Callable, Sequence
from typing import Any

from mnemoscope.adapters.models.batching import in_batches
from mnemoscope.adapters.models.dashscope_status import checked, is_transient
from mnemoscope.adapters.models.transient import call_with_retries

BATCH = 10  # text-embedding-v3 accepts at most 10 texts per request
DEFAULT_MODEL = "text-embedding-v3"


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

    def _embed(self, batch: list[str], text_type: str) -> list[list[float]]:
        def once() -> Any:
            response = self._call(
                model=self._model, input=batch, api_key=self._api_key, text_type=text_type, dimension=self._dimension
            )
            return checked(response, "DashScope embeddings")

        response = call_with_retries(once, is_transient, what="DashScope embeddings", max_retries=self._max_retries)
        items = sorted(response.output["embeddings"], key=lambda item: item["text_index"])
        return [list(item["embedding"]) for item in items]
