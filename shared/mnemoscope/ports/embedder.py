"""Embedder port: text to unit-length vectors."""

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Identifies the model; vectors of different models are never mixed in one index."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed memories for storage (batched). Raises DependencyUnavailable on provider failure."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (some models use a different prefix for queries)."""
        ...
