"""Dense and sparse vectors of the shipped local embedder (the one-pass e5 engine, issue 18), cached on disk.

The recall benches measure the default as it ships: dense vectors and sparse "latent terms" from the same pass of
`LocalE5Embedder` with the one-pass engine. Keys include the engine's recipe (`e5_onepass.RECIPE`, bumped when its
vectors change), the kind (passage/query, with the query form) and the text.
`LookupSparse` then serves the cached sparse vectors as a SparseEncoder (ports/sparse.py), like LookupEmbedder
serves dense ones."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import np

BATCH = 64


class OnePassCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._items: dict[str, tuple[Any, Any]] = pickle.loads(path.read_bytes()) if path.exists() else {}
        self._model: Any = None
        self._engine_id = ""
        self.embed_seconds = 0.0
        self.embedded = 0

    def _embedder(self) -> Any:
        if self._model is None:
            from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

            self._model = LocalE5Embedder(num_threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
            if self._model.sparse_encoder() is None:
                raise RuntimeError("the one-pass engine is unavailable here (see the warning above)")
        return self._model

    def _key(self, kind: str, text: str) -> str:
        if not self._engine_id:
            from mnemoscope.adapters.models.e5_onepass import RECIPE
            from mnemoscope.adapters.models.local_embedder import QUERY_FORM

            self._engine_id = f"{RECIPE}\x00{QUERY_FORM}"
        return hashlib.sha1(f"{self._engine_id}\x00{kind}\x00{text}".encode()).hexdigest()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(pickle.dumps(self._items))
        temporary.replace(self.path)

    def passages(self, texts: Sequence[str], progress: str = "") -> tuple[np.ndarray, list[Any]]:
        missing = [t for t in dict.fromkeys(texts) if self._key("passage", t) not in self._items]
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            began = time.perf_counter()
            dense = self._embedder().embed_documents(chunk)
            sparse = self._embedder().encode_documents(chunk)  # the memo of the pass above
            self.embed_seconds += time.perf_counter() - began
            self.embedded += len(chunk)
            for text, vector, latent in zip(chunk, dense, sparse, strict=True):
                self._items[self._key("passage", text)] = (np.asarray(vector, dtype=np.float32), latent)
            self._save()
            if progress:
                print(f"  {progress}: {start + len(chunk)}/{len(missing)}", flush=True)
        return self._both("passage", texts)

    def queries(self, texts: Sequence[str]) -> tuple[np.ndarray, list[Any]]:
        missing = [t for t in dict.fromkeys(texts) if self._key("query", t) not in self._items]
        for text in missing:
            dense = self._embedder().embed_query(text)
            self._items[self._key("query", text)] = (
                np.asarray(dense, dtype=np.float32),
                self._embedder().encode_query(text),
            )
        if missing:
            self._save()
        return self._both("query", texts)

    def _both(self, kind: str, texts: Sequence[str]) -> tuple[np.ndarray, list[Any]]:
        items = [self._items[self._key(kind, t)] for t in texts]
        dense = np.stack([d for d, _ in items]) if items else np.zeros((0, 384), dtype=np.float32)
        return dense, [s for _, s in items]


class LookupSparse:
    """A SparseEncoder serving cached vectors: queries by their text, documents by theirs."""

    def __init__(self, queries: dict[str, Any], documents: dict[str, Any]) -> None:
        self._queries = queries
        self._documents = documents

    def encode_query(self, text: str) -> Any:
        return self._queries[text]

    def encode_documents(self, texts: Sequence[str]) -> list[Any]:
        return [self._documents[text] for text in texts]
