"""Reranker port: scores documents against a query (a cross-encoder or a hosted rerank model)."""

from collections.abc import Sequence
from typing import Protocol


class Reranker(Protocol):
    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in input order (higher is more relevant).

        Raises DependencyUnavailable when the provider fails; callers fall back to the fused order."""
        ...
