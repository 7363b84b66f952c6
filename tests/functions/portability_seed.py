"""A scope worth exporting: turns in every state and memories with history and lineage, written through the ports
(so the same seed fills the SQLite and the AWS backends)."""

from datetime import UTC, datetime, timedelta

from mnemoscope.domain.memory import InsightRevision, MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_log import QuarantineRecord
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.wiring import Services

AT = datetime(2024, 8, 1, 9, 30, tzinfo=UTC)


def seed(graph: Services, scope: Scope) -> None:
    """Turns t1..t5: t1-t2 consolidated, t3 quarantined, t4 consolidated, t5 pending; four memories: an expired
    observation superseded by a current one, a custom memory, an insight with a revision and an event time."""
    log = graph.ports.chat_log
    turns = [
        Message(id=f"t{i}", role="user" if i % 2 else "assistant", content=text, created_at=AT + timedelta(minutes=i))
        for i, text in enumerate(
            ["I work at a bakery.", "Nice!", "<<poison>>", "I moved to a hospital job.", "Green tea, please."], 1
        )
    ]
    log.append(scope, turns)
    seqs = {m.message.id: m.seq for m in log.get_messages(scope, [t.id for t in turns])}
    log.advance_watermark(scope, seqs["t2"])
    record = QuarantineRecord(
        error="LlmOutputInvalid", reason="no valid JSON", attempts=3, quarantined_at=AT + timedelta(hours=1)
    )
    log.quarantine(scope, [seqs["t3"]], record)
    log.advance_watermark(scope, seqs["t4"])
    graph.ports.memory_index.upsert([_entry(graph, node) for node in memories(scope)])


def memories(scope: Scope) -> list[MemoryNode]:
    later = AT + timedelta(days=3)
    return [
        MemoryNode(
            id="obs-bakery", scope=scope, type="observation", status="expired", content="Alice works at a bakery",
            created_at=AT, updated_at=later, source_message_ids=("t1",), superseded_by="obs-hospital",
            keywords=("work", "bakery"), reflected=True,
        ),
        MemoryNode(
            id="obs-hospital", scope=scope, type="observation", content="Alice works at a hospital",
            created_at=later, updated_at=later, source_message_ids=("t4",), keywords=("work",), used_in_insight=True,
        ),
        MemoryNode(
            id="cus-tea", scope=scope, type="custom", content="Alice likes green tea",
            created_at=AT + timedelta(days=1), updated_at=AT + timedelta(days=1),
        ),
        MemoryNode(
            id="ins-job", scope=scope, type="insight", key="job", value="nurse", content="Job of Alice: nurse",
            created_at=AT + timedelta(days=2), updated_at=later, source_memory_ids=("obs-hospital",),
            history=(InsightRevision(value="baker", replaced_at=later),), reconsolidated=True,
            event_time=TimeRange(start=AT, end=AT + timedelta(days=1), recurrence="yearly"),
        ),
    ]  # fmt: skip


def _entry(graph: Services, node: MemoryNode) -> IndexEntry:
    return IndexEntry(node=node, vector=tuple(graph.ports.embedder.embed_documents([node.content])[0]))
