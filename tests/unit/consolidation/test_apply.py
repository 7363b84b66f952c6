"""The write plan: pure function from facts and verdicts to index entries."""

from datetime import UTC, datetime

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.steps.apply import memory_id_for, plan_changes
from mnemoscope.steps.extract import CandidateFact
from mnemoscope.steps.reconcile import Verdict

SCOPE = Scope(tenant_id="t1", user_id="u1")
AT = datetime(2024, 8, 2, 7, tzinfo=UTC)
NOW = datetime(2024, 8, 2, 12, tzinfo=UTC)


def _fact(message_id: str, content: str) -> CandidateFact:
    return CandidateFact(message_id, 0, content, (), AT, None)


def _stored(memory_id: str, content: str) -> MemoryNode:
    return MemoryNode(
        id=memory_id,
        scope=SCOPE,
        type="observation",
        content=content,
        created_at=AT,
        updated_at=AT,
        source_message_ids=("m0",),
    )


def test_restating_a_fact_this_batch_superseded_makes_the_restatement_win() -> None:
    # Given M1 "Tencent", F1 "Alibaba" contradicts M1, then F2 "Tencent" is called a repeat of M1
    facts = [_fact("m1", "works at Alibaba"), _fact("m2", "works at Tencent")]
    verdicts = {0: Verdict("contradicts", memory_id="mem1"), 1: Verdict("repeat", memory_id="mem1")}

    # When
    plan = plan_changes(SCOPE, facts, [[1.0, 0.0], [0.0, 1.0]], verdicts, {"mem1": _stored("mem1", "Tencent")}, NOW)

    # Then the last statement is the valid one and both earlier ones are history
    f1, f2 = (memory_id_for(SCOPE, f) for f in facts)
    nodes = plan.nodes
    assert nodes["mem1"].superseded_by == f1 and nodes[f1].superseded_by == f2
    assert [n.id for n in nodes.values() if n.status == "valid"] == [f2]
    entries = {e.node.id: e.vector for e in plan.entries()}
    assert entries["mem1"] is None and entries[f2] == (0.0, 1.0)


def test_a_repeat_of_an_earlier_fact_in_the_batch_merges_into_it() -> None:
    facts = [_fact("m1", "has a cat"), _fact("m2", "has a cat")]
    plan = plan_changes(SCOPE, facts, [[1.0], [1.0]], {1: Verdict("repeat", fact_position=0)}, {}, NOW)

    [node] = plan.nodes.values()
    assert node.source_message_ids == ("m1", "m2") and (plan.stored, plan.repeats) == (1, 1)


def test_a_verdict_on_an_unknown_target_stores_the_fact_as_new() -> None:
    plan = plan_changes(SCOPE, [_fact("m1", "x")], [[1.0]], {0: Verdict("contradicts", memory_id="gone")}, {}, NOW)
    assert (plan.stored, plan.superseded) == (1, 0)
