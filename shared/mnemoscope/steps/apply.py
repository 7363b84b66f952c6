"""Turn facts and verdicts into index writes: new memories, merged repeats, superseded (expired) memories."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mnemoscope.domain.ids import derived_id
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.steps.extract import CandidateFact
from mnemoscope.steps.reconcile import Verdict

NEW = Verdict("new")


def memory_id_for(scope: Scope, fact: CandidateFact) -> str:
    """Deterministic, so a redelivered job overwrites its own memories instead of duplicating them."""
    return derived_id("obs", scope.key, fact.message_id, str(fact.fact_index))


@dataclass
class ChangePlan:
    """Everything one job writes, in one upsert."""

    nodes: dict[str, MemoryNode] = field(default_factory=dict)
    vectors: dict[str, tuple[float, ...]] = field(default_factory=dict)
    stored: int = 0
    repeats: int = 0
    superseded: int = 0

    def entries(self) -> list[IndexEntry]:
        # vector=None keeps the stored vector of an existing memory whose metadata changed.
        return [IndexEntry(node=node, vector=self.vectors.get(node.id)) for node in self.nodes.values()]


class _Planner:
    def __init__(self, scope: Scope, existing: Mapping[str, MemoryNode], now: datetime) -> None:
        self.scope = scope
        self.existing = existing
        self.now = now
        self.plan = ChangePlan()
        self.resolved: dict[int, str] = {}  # fact position -> id of the memory that now holds it

    def current(self, memory_id: str) -> MemoryNode | None:
        return self.plan.nodes.get(memory_id) or self.existing.get(memory_id)

    def head(self, memory_id: str) -> MemoryNode | None:
        """Follow superseded_by links made in this batch to the memory that holds the newest statement."""
        node = self.current(memory_id)
        while node is not None and node.status == "expired" and node.superseded_by in self.plan.nodes:
            node = self.plan.nodes[node.superseded_by]
        return node

    def target(self, verdict: Verdict) -> MemoryNode | None:
        if verdict.fact_position is not None:
            memory_id = self.resolved.get(verdict.fact_position)
            return self.current(memory_id) if memory_id else None
        return self.current(verdict.memory_id) if verdict.memory_id else None

    def add(self, position: int, fact: CandidateFact, vector: Sequence[float], verdict: Verdict) -> None:
        target = self.target(verdict)
        if verdict.decision == "repeat" and target is not None and target.status == "valid":
            self.merge_source(target, fact.message_id)
            self.resolved[position] = target.id
            return
        if verdict.decision == "repeat" and target is not None:
            # It restates something this batch already superseded: the later statement wins again.
            target = self.head(target.id)
        new_id = memory_id_for(self.scope, fact)
        if verdict.decision != "new" and target is not None and target.status == "valid" and target.id != new_id:
            self.plan.nodes[target.id] = target.expire(new_id, self.now)
            self.plan.superseded += 1
        self.plan.nodes[new_id] = self.new_node(new_id, fact)
        self.plan.vectors[new_id] = tuple(float(x) for x in vector)
        self.plan.stored += 1
        self.resolved[position] = new_id

    def merge_source(self, target: MemoryNode, message_id: str) -> None:
        self.plan.repeats += 1
        if message_id in target.source_message_ids:
            return
        sources = (*target.source_message_ids, message_id)
        self.plan.nodes[target.id] = target.model_copy(update={"source_message_ids": sources, "updated_at": self.now})

    def new_node(self, memory_id: str, fact: CandidateFact) -> MemoryNode:
        return MemoryNode(
            id=memory_id,
            scope=self.scope,
            type="observation",
            content=fact.content,
            keywords=fact.keywords,
            created_at=fact.said_at,
            updated_at=self.now,
            event_time=fact.event_time,
            source_message_ids=(fact.message_id,),
        )


def plan_changes(
    scope: Scope,
    facts: Sequence[CandidateFact],
    vectors: Sequence[Sequence[float]],
    verdicts: Mapping[int, Verdict],
    existing: Mapping[str, MemoryNode],
    now: datetime,
) -> ChangePlan:
    """Apply the verdicts in fact order, so within a batch the later statement wins."""
    planner = _Planner(scope, existing, now)
    for position, (fact, vector) in enumerate(zip(facts, vectors, strict=True)):
        planner.add(position, fact, vector, verdicts.get(position, NEW))
    return planner.plan
