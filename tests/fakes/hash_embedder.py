"""A deterministic embedder for unit tests only: hashed word and character-bigram features, L2-normalised."""

import hashlib
import itertools
import math
import re
from collections.abc import Sequence

_WORD = re.compile(r"[\u4e00-\u9fff]|[^\W_]+", re.UNICODE)


class HashEmbedder:
    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.calls = 0

    @property
    def model_id(self) -> str:
        return f"hash-{self._dimension}"

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
        tokens = _WORD.findall(text.lower())
        for token in tokens + [a + b for a, b in itertools.pairwise(tokens)]:
            digest = hashlib.md5(token.encode()).digest()
            vector[int.from_bytes(digest[:4], "little") % self._dimension] += 1.0 if digest[4] % 2 else -1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector] if any(vector) else [1.0 / math.sqrt(self._dimension)] * self._dimension
