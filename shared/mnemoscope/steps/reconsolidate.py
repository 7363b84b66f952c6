"""Reflection step 3: long-term re-consolidation. Observations not yet re-consolidated (oldest first, a budget per
run) are compared with their nearest OLDER valid observations of any day; call 3 decides contradicts / repeats.

Contradiction: the older observation expires, superseded by the newer (kept as history, never deleted).
Repeat: the OLDER observation is kept (it is the established memory, insights may cite it, and its created_at
records when the fact was first said); it gains the newer one's source messages, and the newer one expires,
superseded by the older. This is the same direction as consolidation's write-time repeat handling."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex
from mnemoscope.prompts.language import detect_language
from mnemoscope.prompts.reconsolidation import (
    MemoryItem,
    PairQuestion,
    ReconsolidationResult,
    Relation,
    reconsolidation_messages,
)

UNCHECKED = MemoryFilter(types=frozenset({"observation"}), statuses=frozenset({"valid"}), reconsolidated=False)
NEIGHBOUR_FILTER = MemoryFilter(types=frozenset({"observation"}), statuses=frozenset({"valid"}))


@dataclass(frozen=True)
class Pair:
    newer_id: str
    older_id: str


@dataclass
class PairSearch:
    """Pairs in checking order (newer oldest first, then older by similarity) and every memory they mention."""

    pairs: list[Pair] = field(default_factory=list)
    memories: dict[str, MemoryNode] = field(default_factory=dict)


@dataclass
class ReconsolidationPlan:
    """Memories whose status or sources changed (flags untouched) and counts."""

    changed: dict[str, MemoryNode] = field(default_factory=dict)
    superseded: int = 0
    merged: int = 0


def _older(candidate: MemoryNode, node: MemoryNode) -> bool:
    return (candidate.created_at, candidate.id) < (node.created_at, node.id)


def find_pairs(
    index: MemoryIndex,
    embedder: Embedder,
    scope: Scope,
    batch: Sequence[MemoryNode],
    *,
    k: int,
    min_similarity: float,
) -> PairSearch:
    """Each batch observation with its at most `k` most similar older valid observations (score >= threshold)."""
    search = PairSearch(memories={node.id: node for node in batch})
    if not batch:
        return search
    vectors = embedder.embed_documents([node.content for node in batch])
    for node, vector in zip(batch, vectors, strict=True):
        # Ask for more than k: hits newer than the node itself are not candidates.
        hits = index.vector_search(scope, vector, 2 * k + 1, NEIGHBOUR_FILTER)
        older = [h.node for h in hits if h.score >= min_similarity and _older(h.node, node)][:k]
        search.memories.update({o.id: o for o in older})
        search.pairs.extend(Pair(node.id, o.id) for o in older)
    return search


def decide_pairs(model: ChatModel, search: PairSearch, tz: tzinfo) -> dict[Pair, Relation]:
    """Call 3: one request for all pairs; pairs the model leaves out are unrelated."""
    ordered = sorted(search.memories.values(), key=lambda n: (n.created_at, n.id))
    labels = {node.id: f"O{i + 1}" for i, node in enumerate(ordered)}
    items = [MemoryItem(labels[n.id], n.content, n.created_at.astimezone(tz)) for n in ordered]
    grouped: dict[str, list[str]] = {}
    for pair in search.pairs:
        grouped.setdefault(pair.newer_id, []).append(labels[pair.older_id])
    questions = [PairQuestion(labels[newer], tuple(older)) for newer, older in grouped.items()]
    language = detect_language(n.content for n in ordered)
    result = model.generate(
        reconsolidation_messages(items, questions, language), ReconsolidationResult.for_questions(questions)
    )
    ids = {label: memory_id for memory_id, label in labels.items()}
    return {Pair(ids[d.newer], ids[d.older]): d.relation for d in result.pairs}


class _Applier:
    def __init__(self, memories: Mapping[str, MemoryNode], now: datetime) -> None:
        self.current = dict(memories)
        self.now = now
        self.plan = ReconsolidationPlan()

    def set(self, node: MemoryNode) -> None:
        self.current[node.id] = node
        self.plan.changed[node.id] = node

    def holder(self, memory_id: str) -> MemoryNode:
        """Follow links made in this run to the memory that now carries this statement."""
        node = self.current[memory_id]
        for _ in range(len(self.plan.changed)):
            if node.status == "valid" or node.superseded_by not in self.plan.changed:
                break
            node = self.current[node.superseded_by]
        return node

    def apply(self, pair: Pair, relation: Relation) -> None:
        newer, older = self.holder(pair.newer_id), self.current[pair.older_id]
        if relation == "unrelated" or newer.status != "valid" or older.status != "valid" or newer.id == older.id:
            return  # e.g. the older one was already superseded by another pair of this run
        if relation == "contradicts":
            self.set(older.expire(newer.id, self.now))
            self.plan.superseded += 1
            return
        sources = tuple(dict.fromkeys((*older.source_message_ids, *newer.source_message_ids)))
        self.set(older.model_copy(update={"source_message_ids": sources, "updated_at": self.now}))
        self.set(newer.expire(older.id, self.now))
        self.plan.merged += 1


def plan_reconsolidation(search: PairSearch, relations: Mapping[Pair, Relation], now: datetime) -> ReconsolidationPlan:
    """Apply the decisions in checking order, so chains resolve the way they happened in time."""
    applier = _Applier(search.memories, now)
    for pair in search.pairs:
        applier.apply(pair, relations.get(pair, "unrelated"))
    return applier.plan
