"""The offline track, no model needed: LoCoMo's per-session `observation` entries (each citing its evidence turns)
are stored through the API as memories dated with their session's time, one scope per speaker; each question of
categories 1-4 searches both speakers' scopes (`at` = the question time, no recent turns) and keeps the k best of
the merged hits by score. recall@k = |evidence turns cited by those k observations ∩ the question's evidence| /
|evidence|."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from mnemoscope.client import MemoryClient
from mnemoscope.contracts.api import MemoryOut
from mnemoscope.evaluation.dataset import ADVERSARIAL, Conversation, Question
from mnemoscope.evaluation.ingest import scopes_of

KS = (5, 10, 20)
# The service's candidate pool is max(3 x top_k, 30): the same for top_k 5 and 10, so the first 5 of a top-10
# search are what a top-5 search returns. Two searches per scope give all three k exactly.
SEARCHED = (10, 20)


def _merged(client: MemoryClient, user_ids: list[str], q: Question, top_k: int) -> list[MemoryOut]:
    hits = [
        m
        for user_id in user_ids
        for m in client.search(user_id, q.question, top_k=top_k, at=q.at, include_recent=False).memories
    ]
    return sorted(hits, key=lambda m: m.score or 0.0, reverse=True)


def load_observations(client: MemoryClient, conversation: Conversation, prefix: str) -> dict[str, list[str]]:
    """Store the conversation's observations in emptied scopes (a load cut short leaves no duplicates); memory
    id -> evidence ids."""
    scopes = scopes_of(conversation, prefix)
    for user_id in scopes.values():
        client.forget_user(user_id)
    evidence: dict[str, list[str]] = {}
    for obs in conversation.observations:
        if obs.speaker not in scopes:
            continue
        memory = client.add_memory(scopes[obs.speaker], obs.text, created_at=obs.time)
        evidence[memory.id] = list(obs.evidence)
    return evidence


def recall(
    client: MemoryClient, conversation: Conversation, prefix: str, evidence_of: dict[str, list[str]]
) -> list[dict[str, Any]]:
    scopes = scopes_of(conversation, prefix)
    out = []
    for q in conversation.questions:
        if q.category == ADVERSARIAL or not q.evidence:
            continue
        row: dict[str, Any] = {"conversation": conversation.id, "question_id": q.id, "category": q.category}
        merged = {k: _merged(client, list(scopes.values()), q, k) for k in SEARCHED}
        for k in KS:
            top = merged[min(s for s in SEARCHED if s >= k)][:k]
            cited = {e for m in top for e in evidence_of.get(m.id, [])}
            row[f"R@{k}"] = len(cited & set(q.evidence)) / len(q.evidence)
        out.append(row)
    return out


def aggregate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["category"]].append(row)
        groups["overall"].append(row)
    return {
        name: {"n": len(items), **{f"R@{k}": sum(r[f"R@{k}"] for r in items) / len(items) for k in KS}}
        for name, items in sorted(groups.items())
    }


def run_offline(
    client: MemoryClient,
    conversations: list[Conversation],
    prefix: str,
    state: dict[str, dict[str, list[str]]],
    save: Callable[[], None],
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
) -> dict[str, Any]:
    """`state` (conversation id -> memory id -> evidence) is saved after each conversation is loaded, so a rerun
    does not store the observations twice."""
    rows: list[dict[str, Any]] = []
    for n, conversation in enumerate(conversations):
        progress("observations", n, len(conversations))
        if conversation.id not in state:
            state[conversation.id] = load_observations(client, conversation, prefix)
            save()
        rows += recall(client, conversation, prefix, state[conversation.id])
    progress("observations", len(conversations), len(conversations))
    return {
        "benchmark": "locomo-observations-recall",
        "observations": sum(len(v) for v in state.values()),
        "observations_without_evidence": sum(1 for v in state.values() for e in v.values() if not e),
        "recall": aggregate(rows),
        "questions": rows,
    }
