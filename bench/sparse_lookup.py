"""Sparse "latent terms" vectors for the latency benchmarks (issue 18's sparse list), without the model in the loop.

* `SparseCache`: the real one-pass engine's sparse vectors (via `LocalE5Embedder`, so queries get the same query
  form as in the service), on disk in $MNEMOSCOPE_BENCH_WORK keyed like `VectorCache`'s dense vectors.
* `SparseLookupEmbedder`: `LookupEmbedder` that is also SparseCapable: its `sparse_encoder()` serves precomputed
  query sparse vectors, so a timed search excludes the query's encoder pass exactly as it does for the dense vector.
* `ContentSparseEncoder`: a SparseEncoder for memory writes that maps a memory's text to a precomputed vector
  (the benchmark's memories reuse their pool fact's vector), and `backfill_sparse`, which gives rows of an existing
  database that lack a sparse vector theirs."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import LookupEmbedder, text_key  # first: it pins the BLAS threads before numpy loads


def _sparse_vector(features: Any, weights: Any) -> Any:
    from mnemoscope.domain.sparse import SparseVector

    return SparseVector(tuple(int(f) for f in features), tuple(float(w) for w in weights))


class SparseCache:
    """Sparse vectors of the real local model on disk, keyed by sha1(model, kind, text) (bench.common.text_key).

    The file name carries the engine's feature cap (TOP_FEATURES): vectors cut differently are not reused."""

    def __init__(self, directory: Path) -> None:
        import numpy as np

        from mnemoscope.adapters.models.e5_onepass import TOP_FEATURES

        self.path = directory / f"sparse-vectors-top{TOP_FEATURES}.npz"
        self._vectors: dict[str, Any] = {}
        self.encoded = 0
        self.encode_seconds = 0.0
        if self.path.exists():
            with np.load(self.path) as data:
                bounds = data["offsets"].tolist()
                features, weights = data["features"], data["weights"]
                for n, key in enumerate(data["keys"].tolist()):
                    start, end = bounds[n], bounds[n + 1]
                    self._vectors[str(key)] = _sparse_vector(features[start:end], weights[start:end])

    def _save(self) -> None:
        import numpy as np

        self.path.parent.mkdir(parents=True, exist_ok=True)
        vectors = list(self._vectors.values())
        offsets = np.cumsum([0] + [len(v.features) for v in vectors]).astype(np.int64)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            keys=np.array(list(self._vectors), dtype="U40"),
            offsets=offsets,
            features=np.fromiter((f for v in vectors for f in v.features), dtype=np.uint16, count=int(offsets[-1])),
            weights=np.fromiter((w for v in vectors for w in v.weights), dtype=np.float32, count=int(offsets[-1])),
        )
        tmp.replace(self.path)

    def passages(self, texts: Sequence[str], embedder: Any, progress: str = "", batch: int = 256) -> list[Any]:
        """Memory texts' sparse vectors; missing ones come from `embedder.encode_documents` (a LocalE5Embedder)."""
        missing = list(dict.fromkeys(t for t in texts if text_key("passage", t) not in self._vectors))
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            began = time.perf_counter()
            vectors = embedder.encode_documents(chunk)
            self.encode_seconds += time.perf_counter() - began
            self.encoded += len(chunk)
            for text, vector in zip(chunk, vectors, strict=True):
                self._vectors[text_key("passage", text)] = vector
            self._save()
            if progress:
                rate = self.encoded / self.encode_seconds
                print(f"  {progress}: sparse {start + len(chunk)}/{len(missing)} ({rate:.1f} texts/s)", flush=True)
        return [self._vectors[text_key("passage", t)] for t in texts]

    def queries(self, texts: Sequence[str], embedder: Any) -> dict[str, Any]:
        """Query texts' sparse vectors (as the service encodes them: query form); missing ones from the embedder."""
        missing = [t for t in dict.fromkeys(texts) if text_key("query", t) not in self._vectors]
        for text in missing:
            self._vectors[text_key("query", text)] = embedder.encode_query(text)
        if missing:
            self._save()
        return {t: self._vectors[text_key("query", t)] for t in texts}


@dataclass
class LookupSparseEncoder:
    """ports/sparse.py SparseEncoder serving precomputed query vectors (a dict lookup); it never encodes memories."""

    vectors: Mapping[str, Any]
    served: int = 0

    def encode_query(self, text: str) -> Any:
        vector = self.vectors.get(text)
        if vector is None:
            raise KeyError(f"no precomputed sparse vector for query {text!r}")
        self.served += 1
        return vector

    def encode_documents(self, texts: Sequence[str]) -> list[Any]:
        raise RuntimeError("the benchmark's sparse encoder only serves queries")


@dataclass
class SparseLookupEmbedder(LookupEmbedder):
    """A LookupEmbedder that is also SparseCapable (ports/sparse.py), as the local embedder with its one-pass engine."""

    sparse: Mapping[str, Any] = field(default_factory=dict)
    encoder: LookupSparseEncoder = field(init=False)

    def __post_init__(self) -> None:
        self.encoder = LookupSparseEncoder(self.sparse)

    def sparse_encoder(self) -> LookupSparseEncoder:
        return self.encoder


@dataclass
class ContentSparseEncoder:
    """A SparseEncoder for memory writes: each text's vector looked up by the text (e.g. its pool fact's)."""

    by_content: Mapping[str, Any]

    def encode_query(self, text: str) -> Any:
        raise RuntimeError("this encoder only serves stored memories")

    def encode_documents(self, texts: Sequence[str]) -> list[Any]:
        return [self.by_content[text] for text in texts]


def backfill_sparse(db_path: Path, by_content: Mapping[str, Any], dim: int, vector_dir: Path) -> dict[str, Any]:
    """Store a sparse vector for every memory row that has none (looked up by its content): counts and seconds.

    Databases built before the sparse list existed lack them; this spares rebuilding (and re-indexing) them."""
    from mnemoscope.adapters.local import sparse_store
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex

    db = SqliteDatabase(db_path)
    SqliteMemoryIndex(db, dim, vector_dir).close()  # creates the memory_sparse table on an older database
    began = time.perf_counter()
    with db.reading() as conn:
        missing = conn.execute(
            "SELECT m.pk, json_extract(m.doc, '$.content') FROM memories m LEFT JOIN memory_sparse s ON s.pk = m.pk "
            "WHERE s.pk IS NULL"
        ).fetchall()
    unknown = [pk for pk, content in missing if content not in by_content]
    if unknown:
        db.close()
        raise ValueError(f"{len(unknown)} memories have no precomputed sparse vector (e.g. pk {unknown[0]})")
    with db.transaction() as conn:
        for pk, content in missing:
            sparse_store.put(conn, pk, by_content[content])
    seconds = time.perf_counter() - began
    with db.reading() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        total, stored = conn.execute(
            "SELECT (SELECT COUNT(*) FROM memories), (SELECT COUNT(*) FROM memory_sparse)"
        ).fetchone()
    db.close()
    return {"backfilled": len(missing), "seconds": round(seconds, 1), "memories": total, "sparse_rows": stored}
