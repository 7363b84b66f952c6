"""Neighbour search (stored memories and earlier facts of the batch) and call 2: the repeat/contradiction decision."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.vectors import similarity_matrix
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex
from mnemoscope.prompts.language import Language
from mnemoscope.prompts.reconcile import (
    Decision,
    ReconcileItem,
    ReconcileQuestion,
    ReconcileResult,
    reconcile_messages,
)
from mnemoscope.steps.extract import CandidateFact

# Valid observations and custom memories of any date: MemoryScope only compared with "today's" memories.
NEIGHBOUR_FILTER = MemoryFilter(types=frozenset({"observation", "custom"}), statuses=frozenset({"valid"}))


@dataclass(frozen=True)
class Neighbours:
    """Per fact: similar stored memory ids and similar earlier facts of this batch (by position)."""

    memory_ids: tuple[str, ...] = ()
    earlier_facts: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.memory_ids or self.earlier_facts)


@dataclass
class NeighbourSearch:
    """The result of the search: neighbours per fact plus the stored memories they refer to."""

    per_fact: list[Neighbours]
    memories: dict[str, MemoryNode] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return any(self.per_fact)


@dataclass(frozen=True)
class Verdict:
    """A decision with its target resolved: a stored memory id or an earlier fact position."""

    decision: Decision
    memory_id: str | None = None
    fact_position: int | None = None


def find_neighbours(
    index: MemoryIndex,
    scope: Scope,
    facts: Sequence[CandidateFact],
    vectors: Sequence[Sequence[float]],
    *,
    k: int,
    min_similarity: float,
    own_ids: frozenset[str],
) -> NeighbourSearch:
    """Similar valid memories (score >= min_similarity, at most k) and similar earlier facts, for each fact."""
    search = NeighbourSearch(per_fact=[])
    pairwise = similarity_matrix(vectors, vectors)
    for position, vector in enumerate(vectors):
        # A retried job finds the memories it wrote before; they are itself, not neighbours.
        hits = [
            hit
            for hit in index.vector_search(scope, vector, k, NEIGHBOUR_FILTER)
            if hit.score >= min_similarity and hit.node.id not in own_ids
        ]
        search.memories.update({hit.node.id: hit.node for hit in hits})
        earlier = tuple(j for j in range(position) if pairwise[position][j] >= min_similarity)[-k:]
        search.per_fact.append(Neighbours(tuple(hit.node.id for hit in hits), earlier))
    return search


def build_questions(
    facts: Sequence[CandidateFact], search: NeighbourSearch, tz: tzinfo
) -> tuple[list[ReconcileQuestion], dict[str, Verdict]]:
    """Questions for the facts that have neighbours, and what each label stands for."""
    labels: dict[str, Verdict] = {}
    memory_labels: dict[str, str] = {}

    def fact_item(position: int) -> ReconcileItem:
        fact = facts[position]
        labels[f"F{position + 1}"] = Verdict("new", fact_position=position)
        return ReconcileItem(f"F{position + 1}", fact.content, fact.said_at.astimezone(tz), fact.event_time)

    def memory_item(memory_id: str) -> ReconcileItem:
        label = memory_labels.setdefault(memory_id, f"M{len(memory_labels) + 1}")
        labels[label] = Verdict("new", memory_id=memory_id)
        node = search.memories[memory_id]
        return ReconcileItem(label, node.content, node.created_at.astimezone(tz), node.event_time)

    questions: list[ReconcileQuestion] = []
    for position, neighbours in enumerate(search.per_fact):
        if not neighbours:
            continue
        candidates = [fact_item(j) for j in neighbours.earlier_facts]
        candidates += [memory_item(memory_id) for memory_id in neighbours.memory_ids]
        questions.append(ReconcileQuestion(fact_item(position), tuple(candidates)))
    return questions, labels


def decide(
    model: ChatModel, questions: Sequence[ReconcileQuestion], labels: Mapping[str, Verdict], language: Language
) -> dict[int, Verdict]:
    """Call 2: a verdict per fact position (facts without a decision are new)."""
    result = model.generate(reconcile_messages(questions, language), ReconcileResult.for_questions(questions))
    verdicts: dict[int, Verdict] = {}
    for item in result.decisions:
        position = labels[item.fact].fact_position
        assert position is not None  # the response model only accepts fact labels here
        if item.decision == "new" or item.target is None:
            verdicts[position] = Verdict("new")
            continue
        target = labels[item.target]
        verdicts[position] = Verdict(item.decision, target.memory_id, target.fact_position)
    return verdicts
