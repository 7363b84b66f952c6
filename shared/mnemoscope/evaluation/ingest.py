"""A conversation into the service through the public API: two scopes, one per speaker (that speaker's turns are
`user`, the other's `assistant`), dated with the dataset's session times; then consolidation and reflection until
the readiness signal (see readiness.py) says the memory is ready."""

import re
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from mnemoscope.client import MemoryClient
from mnemoscope.contracts.api import MAX_MESSAGES_PER_REQUEST
from mnemoscope.evaluation.dataset import Conversation
from mnemoscope.evaluation.readiness import wait_consolidated, wait_reflected


def safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:@-]", "-", text)[:128]


def scopes_of(conversation: Conversation, prefix: str) -> dict[str, str]:
    """Speaker -> the user_id of that speaker's scope."""
    return {s: safe_id(f"{prefix}.{conversation.id}.{s}") for s in conversation.speakers}


def ingest(client: MemoryClient, conversation: Conversation, prefix: str, timeout: float) -> dict[str, Any]:
    """Post, consolidate, reflect; returns what was measured (times in seconds)."""
    scopes = scopes_of(conversation, prefix)
    began = time.perf_counter()
    posted = 0
    for owner, user_id in scopes.items():
        batch: list[dict[str, Any]] = []
        for session in conversation.sessions:
            for n, turn in enumerate(session.turns):
                # One second apart inside a session keeps the order visible in the dates as well as in the log.
                batch.append(
                    {
                        "role": "user" if turn.speaker == owner else "assistant",
                        "name": safe_id(turn.speaker)[:128],
                        "content": turn.text,
                        "id": safe_id(turn.id),
                        "created_at": (turn.time + timedelta(seconds=n)).isoformat(),
                    }
                )
        for start in range(0, len(batch), MAX_MESSAGES_PER_REQUEST):
            posted += len(client.add_messages(user_id, batch[start : start + MAX_MESSAGES_PER_REQUEST]))
    last_message = time.perf_counter()
    user_ids = list(scopes.values())
    for user_id in user_ids:  # a nudge: appending already queued a job; this one is de-duplicated if waiting
        client.consolidate(user_id)
    wait_consolidated(client, user_ids, timeout)
    consolidated = time.perf_counter()
    for user_id in user_ids:
        client.reflect(user_id)
    wait_reflected(client, user_ids, timeout)
    reflected = time.perf_counter()
    kinds: Counter[str] = Counter()
    for user_id in user_ids:
        kinds.update(f"{m.type}:{m.status}" for m in client.all_memories(user_id))
    return {
        "scopes": scopes,
        "messages": posted,
        "post_seconds": round(last_message - began, 3),
        "last_message_to_consolidated_seconds": round(consolidated - last_message, 3),
        "reflect_seconds": round(reflected - consolidated, 3),
        "memories": dict(sorted(kinds.items())),
    }
