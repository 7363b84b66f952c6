"""A deterministic embedder for tests only: signed hashed bag-of-terms vectors (words, CJK characters and CJK
bigrams, the same terms as the SQLite keyword index), L2-normalised. Texts sharing terms come out similar."""

import hashlib
import math
from collections.abc import Sequence

from mnemoscope.adapters.local.text_terms import terms

DIM = 64


class HashEmbedder:
    def __init__(self, dimension: int = DIM) -> None:
        self._dimension = dimension
        self.calls = 0

    @property
    def model_id(self) -> str:
        return f"test:token-hash-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self._vector(text)

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self._dimension
        for term in terms(text):
            digest = hashlib.sha256(term.encode()).digest()
            vector[digest[0] % self._dimension] += 1.0 if digest[1] % 2 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        # A text without terms still needs a unit vector (cosine is undefined for zero).
        return [v / norm for v in vector] if norm else [1.0 / math.sqrt(self._dimension)] * self._dimension
