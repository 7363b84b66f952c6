"""Reflection step 2: pick the observations relevant to each insight (vector similarity) and call 2, the value
update, then build the new or updated insight memories (old value kept in `history`, lineage extended)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from mnemoscope.domain.memory import InsightRevision, MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.vectors import similarity_matrix
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.prompts.language import Language, detect_language
from mnemoscope.prompts.reflection import (
    InsightItem,
    InsightUpdateResult,
    ObservationItem,
    insight_update_messages,
    render_insight,
)
from mnemoscope.steps.reflect_subjects import NewSubject, insight_id_for, observation_items

# Answers that mean "no value" even though the model marked them updated.
_NO_VALUE = frozenset({"none", "unknown", "unchanged", "n/a", "null", "无", "未知", "不变"})


@dataclass(frozen=True)
class SelectionPolicy:
    min_similarity: float
    per_insight: int
    max_insights: int


@dataclass(frozen=True)
class InsightTask:
    """One insight (existing, or a new subject when `current` is None) and the observations to show with it."""

    insight_id: str
    subject: str
    current: MemoryNode | None
    observation_ids: tuple[str, ...]
    relevance: float


@dataclass(frozen=True)
class InsightChange:
    task: InsightTask
    value: str
    observation_ids: tuple[str, ...]


def _top(batch: Sequence[MemoryNode], scores: Sequence[float], eligible: Sequence[bool], k: int) -> list[str]:
    order = [i for i in sorted(range(len(scores)), key=lambda i: -scores[i]) if eligible[i]]
    return [batch[i].id for i in order[:k]]


def select_tasks(
    scope: Scope,
    embedder: Embedder,
    insights: Sequence[MemoryNode],
    subjects: Sequence[NewSubject],
    batch: Sequence[MemoryNode],
    policy: SelectionPolicy,
) -> list[InsightTask]:
    """Insights that have relevant observations: new subjects first (they need a value), then by relevance.

    Existing insights only see observations no earlier update was shown (`used_in_insight=False`); new subjects
    see the whole batch, starting with the observations the model cited for them."""
    if not batch or not (insights or subjects):
        return []
    probes = [node.content for node in insights] + [s.subject for s in subjects]
    vectors = embedder.embed_documents([*probes, *(node.content for node in batch)])
    scores = similarity_matrix(vectors[: len(probes)], vectors[len(probes) :])
    similar = [[score >= policy.min_similarity for score in row] for row in scores]
    fresh = [not node.used_in_insight for node in batch]
    tasks: list[InsightTask] = []
    for row, node in enumerate(insights):
        eligible = [s and f for s, f in zip(similar[row], fresh, strict=True)]
        ids = _top(batch, scores[row], eligible, policy.per_insight)
        if ids:
            tasks.append(InsightTask(node.id, node.key or node.content, node, tuple(ids), max(scores[row])))
    for offset, subject in enumerate(subjects):
        row = len(insights) + offset
        similar_ids = _top(batch, scores[row], similar[row], policy.per_insight)
        chosen = tuple(dict.fromkeys([*subject.observation_ids, *similar_ids]))[: policy.per_insight]
        if chosen:
            tasks.append(InsightTask(insight_id_for(scope, subject.subject), subject.subject, None, chosen, math.inf))
    tasks.sort(key=lambda task: -task.relevance)
    return tasks[: policy.max_insights]


def update_values(
    model: ChatModel, tasks: Sequence[InsightTask], observations: Mapping[str, MemoryNode], tz: tzinfo
) -> list[InsightChange]:
    """Call 2: one request for all tasks; returns the insights whose value really changed."""
    shown = sorted({i for t in tasks for i in t.observation_ids}, key=lambda i: (observations[i].created_at, i))
    items, label_to_id = observation_items([observations[i] for i in shown], tz)
    id_to_label = {memory_id: label for label, memory_id in label_to_id.items()}
    insights = [
        InsightItem(
            label=f"I{n + 1}",
            subject=task.subject,
            value=task.current.value if task.current else None,
            updated_at=task.current.updated_at.astimezone(tz) if task.current else None,
            observations=tuple(id_to_label[i] for i in shown if i in task.observation_ids),
        )
        for n, task in enumerate(tasks)
    ]
    language = _language(items, tasks)
    result = model.generate(
        insight_update_messages(insights, items, language), InsightUpdateResult.for_items(insights, items)
    )
    by_label = {item.label: task for item, task in zip(insights, tasks, strict=True)}
    changes: list[InsightChange] = []
    for update in result.updates:
        task = by_label[update.insight]
        if update.status != "updated" or not _is_new_value(update.value, task.current):
            continue
        assert update.value is not None  # checked by _is_new_value
        cited = tuple(dict.fromkeys(label_to_id[label] for label in update.observations))
        changes.append(InsightChange(task, update.value, cited or task.observation_ids))
    return changes


def _language(items: Sequence[ObservationItem], tasks: Sequence[InsightTask]) -> Language:
    texts = [item.content for item in items] + [t.current.value or "" for t in tasks if t.current]
    return detect_language(texts)


def _is_new_value(value: str | None, current: MemoryNode | None) -> bool:
    if not value or value.strip(" .。").casefold() in _NO_VALUE:
        return False
    return current is None or current.value is None or " ".join(current.value.split()) != value


def insight_entries(
    scope: Scope, changes: Sequence[InsightChange], embedder: Embedder, now: datetime, user_name: str | None
) -> list[IndexEntry]:
    """The new or updated insight memories with fresh vectors (one embedding request)."""
    nodes = [_insight_node(scope, change, now, user_name) for change in changes]
    if not nodes:
        return []
    vectors = embedder.embed_documents([node.content for node in nodes])
    return [
        IndexEntry(node=node, vector=tuple(float(x) for x in vector))
        for node, vector in zip(nodes, vectors, strict=True)
    ]


def _insight_node(scope: Scope, change: InsightChange, now: datetime, user_name: str | None) -> MemoryNode:
    task = change.task
    # The subject's own language decides the rendering, so a Chinese subject never reads "职业 of the user".
    content = render_insight(task.subject, change.value, detect_language([task.subject]), user_name)
    old = task.current
    if old is None:
        return MemoryNode(
            id=task.insight_id,
            scope=scope,
            type="insight",
            key=task.subject,
            value=change.value,
            content=content,
            created_at=now,
            updated_at=now,
            source_memory_ids=change.observation_ids,
        )
    history = (*old.history, InsightRevision(value=old.value, replaced_at=now)) if old.value else old.history
    sources = tuple(dict.fromkeys((*old.source_memory_ids, *change.observation_ids)))
    update = {"value": change.value, "content": content, "history": history, "source_memory_ids": sources}
    return old.model_copy(update={**update, "updated_at": now})
