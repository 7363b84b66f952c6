"""The offline track, no model needed: LoCoMo's per-session `observation` entries (each citing its evidence turns)
are stored through the API as memories dated with their session's time, one scope per speaker; each question of
categories 1-4 searches both speakers' scopes (top_k = k each, `at` = the question time) and the k best by score
are kept. recall@k = |evidence turns cited by those k observations ∩ the question's evidence| / |evidence|."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from mnemoscope.client import MemoryClient
from mnemoscope.evaluation.dataset import ADVERSARIAL, Conversation
from mnemoscope.evaluation.ingest import scopes_of

KS = (5, 10, 20)


def load_observations(client: MemoryClient, conversation: Conversation, prefix: str) -> dict[str, list[str]]:
    """Store the conversation's observations; memory id -> evidence ids."""
    scopes = scopes_of(conversation, prefix)
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
        for k in KS:
            hits = [
                m
                for user_id in scopes.values()
                for m in client.search(user_id, q.question, top_k=k, at=q.at, include_recent=False).memories
            ]
            hits.sort(key=lambda m: m.score or 0.0, reverse=True)
            cited = {e for m in hits[:k] for e in evidence_of.get(m.id, [])}
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
