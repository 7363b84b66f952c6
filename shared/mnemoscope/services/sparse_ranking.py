"""The sparse list: the first pass's candidates ranked by the local model's sparse "latent terms" (issue 18,
docs/decisions.md "Issue 18: the sparse list"), fused into RRF as one more list.

The e5 model's sparse head (a sparse autoencoder over its token states) matches on learned features rather than
on words or on the one mean-pooled vector: it finds evidence that shares neither the question's words nor enough
of its overall meaning. It ranks only the pool the first pass already found (the memories' stored vectors are read
for those ~120, no scope-wide sparse index); on LoCoMo dev that was as good as searching the whole scope. It stays
out of a search whose pool holds a memory without a sparse vector, so that older memories are not pushed down."""

from collections.abc import Mapping
from dataclasses import dataclass

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.scoring import has_cjk
from mnemoscope.ports.memory_index import MemoryFilter
from mnemoscope.ports.sparse import SparseEncoder, SparseScores


@dataclass(frozen=True)
class SparsePolicy:
    weight: float = 0.7  # RRF weight of the sparse list (chosen on LoCoMo dev: 0.7 / 1.0 / 1.5)
    pool: int = 60  # candidates per side the first pass must find (it can only re-rank those)
    # The head was trained on Portuguese + English; on the zh set it cost recall@10 (docs/benchmarks.md).
    cjk: bool = False


class SparseRanking:
    """An ExtraRanking (services/feedback.py): weight / (k + rank) down the pool ranked by sparse dot product."""

    def __init__(self, encoder: SparseEncoder, store: SparseScores, policy: SparsePolicy | None = None) -> None:
        self._encoder = encoder
        self._store = store
        self._policy = policy or SparsePolicy()

    @property
    def min_candidates(self) -> int:
        return self._policy.pool

    def extend(
        self,
        scope: Scope,
        query: str,
        fused: Mapping[str, float],
        nodes: Mapping[str, MemoryNode],
        n: int,
        memory_filter: MemoryFilter,
        rrf_k: int,
    ) -> tuple[dict[str, float], dict[str, MemoryNode]]:
        scores, known = dict(fused), dict(nodes)
        if not known or (not self._policy.cjk and has_cjk(query)):
            return scores, known
        dots = self._store.sparse_scores(scope, self._encoder.encode_query(query), list(known))
        if len(dots) < len(known):
            # Some candidates have no sparse vector (written before the engine, or where it could not build):
            # ranking the others would favour them for that alone. `mnemoscope backfill-sparse` fills the gap.
            return scores, known
        # A memory sharing no feature with the query is not evidence of anything: it gets no place in the list.
        ranked = sorted((m for m in dots if dots[m] > 0), key=lambda memory_id: (-dots[memory_id], memory_id))[:n]
        for rank, memory_id in enumerate(ranked, start=1):
            scores[memory_id] = scores.get(memory_id, 0.0) + self._policy.weight / (rrf_k + rank)
        return scores, known
