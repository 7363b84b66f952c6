"""Sparse "latent terms" vectors beside the dense ones (issue 18): who makes them and who scores them.

Optional capabilities: only the embedded default has them (the local e5 model's sparse head, the SQLite index).
The retrieval service's sparse list (`services/sparse_ranking.py`) needs both."""

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from mnemoscope.domain.scope import Scope
from mnemoscope.domain.sparse import SparseVector


class SparseEncoder(Protocol):
    def encode_query(self, text: str) -> SparseVector:
        """The sparse vector of a search query (the same text the dense embedder was given)."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """The sparse vectors of memories to store (cheap right after embedding the same texts)."""
        ...


@runtime_checkable
class SparseCapable(Protocol):
    """An embedder that can also make sparse vectors (None when its engine cannot, e.g. no C compiler)."""

    def sparse_encoder(self) -> SparseEncoder | None: ...


@runtime_checkable
class SparseScores(Protocol):
    """A memory index that stores memories' sparse vectors and scores them against a query's."""

    def sparse_scores(self, scope: Scope, query: SparseVector, memory_ids: Sequence[str]) -> Mapping[str, float]:
        """Dot products of `query` with the stored vectors of these memories; memories without one are left out."""
        ...
