"""GET /v1/memories/{id} shows where a memory came from and what replaced it."""

from datetime import UTC, datetime

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.wiring import Services
from tests.functions.api_calls import call_event

AT = datetime(2024, 8, 2, tzinfo=UTC)
ALICE = Scope(tenant_id="tenant-acme", user_id="alice")


def _node(node_id: str, content: str, **extra: object) -> MemoryNode:
    data = {
        "id": node_id,
        "scope": ALICE,
        "type": "observation",
        "content": content,
        "created_at": AT,
        "updated_at": AT,
    }
    return MemoryNode.model_validate(data | extra)


def test_lineage_of_observations_and_insights(local_services: Services) -> None:
    # Given a turn, an old and a new observation from it, and an insight built on the new one
    local_services.ports.chat_log.append(
        ALICE, [Message(id="turn-1", role="user", content="I started at the hospital", created_at=AT)]
    )
    old = _node("obs-old", "Alice works at a bakery", status="expired", superseded_by="obs-new")
    new = _node("obs-new", "Alice works at a hospital", source_message_ids=("turn-1", "deleted-turn"))
    insight = _node(
        "ins-job", "Job of Alice: nurse", type="insight", key="job", value="nurse", source_memory_ids=("obs-new",)
    )
    vector = tuple(local_services.ports.embedder.embed_query("x"))
    local_services.ports.memory_index.upsert([IndexEntry(node=n, vector=vector) for n in (old, new, insight)])
    # When / Then: an observation shows its turns (a deleted one is simply absent)
    _, body, _ = call_event("get_memory", path="/v1/memories/obs-new")
    assert [m["id"] for m in body["lineage"]["source_messages"]] == ["turn-1"]
    assert body["lineage"]["superseded_by"] is None
    # an expired memory shows what superseded it
    _, body, _ = call_event("get_memory", path="/v1/memories/obs-old")
    assert body["memory"]["status"] == "expired"
    assert body["lineage"]["superseded_by"]["id"] == "obs-new"
    # an insight shows its observations
    _, body, _ = call_event("get_memory", path="/v1/memories/ins-job")
    assert [m["id"] for m in body["lineage"]["source_memories"]] == ["obs-new"]
