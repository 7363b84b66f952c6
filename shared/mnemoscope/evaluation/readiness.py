"""When is a scope's memory ready to be asked? The documented readiness signal of the harness.

Consolidated: the scope has no unconsolidated turn. Until `GET /v1/messages` (per-turn state) is merged, the signal
is the `recent` field of a search: it lists the scope's turns after the consolidation watermark (the newest ones,
up to ten), so it is empty exactly when the backlog is. `pending_turns` is the one function to switch.

Reflected: the service offers no job status, so after `POST /v1/reflect` the harness waits until the scope's
memory listing (ids, statuses, update times) stops changing between two polls with nothing pending; jobs of one
scope run one at a time in order (FIFO per scope), so a reflection is never overlapped by a consolidation."""

import time
from collections.abc import Callable

from mnemoscope.client import MemoryClient

SIGNAL = "consolidated: search `recent` empty in both scopes; reflected: memory listing unchanged between two polls"


class NotReady(RuntimeError):
    """The backlog did not drain in time (e.g. the server has no chat model, or its model keeps failing)."""


def pending_turns(client: MemoryClient, user_id: str) -> int:
    """Turns of the scope not consolidated yet (a lower bound when above ten)."""
    return len(client.search(user_id, "pending turns", top_k=1).recent)


def memory_fingerprint(client: MemoryClient, user_id: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((m.id, m.status, m.updated_at.isoformat()) for m in client.all_memories(user_id)))


def poll(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    first: float = 0.2,
    longest: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Call `check` with exponential backoff until it is true; raise NotReady after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = first
    while not check():
        if time.monotonic() > deadline:
            raise NotReady(f"{what}: not ready after {timeout:.0f} s")
        sleep(delay)
        delay = min(longest, delay * 1.5)


def wait_consolidated(client: MemoryClient, user_ids: list[str], timeout: float) -> None:
    def drained() -> bool:
        return all(pending_turns(client, u) == 0 for u in user_ids)

    poll(drained, timeout, f"consolidation of {', '.join(user_ids)}")


def wait_reflected(client: MemoryClient, user_ids: list[str], timeout: float) -> None:
    last: list[object] = [None]

    def settled() -> bool:
        now = [memory_fingerprint(client, u) for u in user_ids]
        stable = now == last[0] and all(pending_turns(client, u) == 0 for u in user_ids)
        last[0] = now
        return stable

    poll(settled, timeout, f"reflection of {', '.join(user_ids)}", first=1.0)
