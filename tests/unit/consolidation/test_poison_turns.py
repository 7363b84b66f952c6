"""Poison turns: a turn the model cannot process is narrowed down, quarantined, and never blocks later turns."""

import re
from collections.abc import Sequence

import pytest

from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid, ModelInputRejected
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.services.consolidation import ConsolidationReport, ConsolidationService
from mnemoscope.services.poison import PoisonPolicy
from tests.contracts.builders import T0, message
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.fakes.world import World
from tests.unit.consolidation.conftest import all_new, extraction, fact

POISON = "POISON"


def answers(poison_reply: str | Exception | None = "I am sorry, I cannot answer that.") -> ScriptedChatModel:
    """A model that mines one fact per user turn shown, and fails on any request whose prompt holds the poison."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        if poison_reply is not None and any(POISON in m.content for m in messages):
            if isinstance(poison_reply, Exception):
                raise poison_reply
            return poison_reply
        prompt = messages[-1].content
        if re.search(r"^F\d+ \(", prompt, flags=re.MULTILINE):
            return all_new(messages)
        ids = re.findall(r"^\[([^\]]+)\] USER ", prompt, flags=re.MULTILINE)
        return as_json(extraction(*((i, 3, [fact(f"The user collects item {i}.", i)]) for i in ids)))

    return ScriptedChatModel([answer] * 200)


def drain(service: ConsolidationService, world: World, jobs: int = 40) -> list[ConsolidationReport]:
    """Run jobs as the queue would: one, then a follow-up while the report asks for one."""
    reports = [service.run(world.scope)]
    while reports[-1].has_more and len(reports) < jobs:
        reports.append(service.run(world.scope))
    assert not reports[-1].has_more, "the scope never settled"
    return reports


def states(world: World) -> dict[str, str]:
    return {v.logged.message.id: v.state for v in world.chat_log.list_turns(world.scope, limit=100).items}


def test_a_poison_head_is_quarantined_and_the_later_turns_become_observations(world: World) -> None:
    # Given a poison turn A followed by good turns B and C
    world.say(("A", "user", f"{POISON} payload"), ("B", "user", "I collect stamps."), ("C", "user", "I collect coins."))
    model = answers()
    policy = PoisonPolicy()

    # When jobs run until the scope settles
    reports = drain(world.consolidation(model, poison=policy), world)

    # Then B and C are observations, A is quarantined with a safe reason, nothing is pending
    sources = sorted(s for m in world.valid() for s in m.source_message_ids)
    assert sources == ["B", "C"]
    assert states(world) == {"A": "quarantined", "B": "consolidated", "C": "consolidated"}
    record = next(v.quarantine for v in world.chat_log.list_turns(world.scope, 10).items if v.quarantine)
    assert record is not None and record.error == "LlmOutputInvalid" and POISON not in record.reason
    assert world.chat_log.pending(world.scope) == []
    assert world.chat_log.state(world.scope).failure is None
    # and the cost stays within the stated bound: failed jobs and their model requests (2 per call with its repair)
    failed = [r for r in reports if r.failed]
    assert len(failed) == record.attempts <= policy.max_failed_jobs(3)
    assert sum(r.model_requests for r in failed) <= 4 * policy.max_failed_jobs(3)
    assert sum(r.quarantined for r in reports) == 1


def test_a_poison_in_the_middle_of_a_long_batch_costs_logarithmic_jobs(world: World) -> None:
    # Given 16 user turns, the 11th poisoned
    turns = [(f"t{i}", "user", f"{POISON} here" if i == 11 else f"I collect item {i}.") for i in range(1, 17)]
    world.say(*turns)
    policy = PoisonPolicy(attempts_before_split=2, attempts_before_quarantine=2)
    model = answers()

    # When
    reports = drain(world.consolidation(model, poison=policy), world)

    # Then every other turn is consolidated and the poison alone is quarantined
    assert {k for k, v in states(world).items() if v == "quarantined"} == {"t11"}
    assert sorted(s for m in world.valid() for s in m.source_message_ids) == sorted(
        f"t{i}" for i in range(1, 17) if i != 11
    )
    failed = [r for r in reports if r.failed]
    assert len(failed) <= policy.max_failed_jobs(16) == 2 + 3 + 2
    assert max(r.turns_read for r in failed) == 16 and min(r.turns_read for r in failed) == 1


def test_a_retried_turn_is_consolidated_once_the_model_can_read_it(world: World) -> None:
    # Given A quarantined while B and C were consolidated
    world.say(("A", "user", f"{POISON} I collect shells."), ("B", "user", "I collect stamps."), ("C", "user", "Hi"))
    drain(world.consolidation(answers()), world)
    assert states(world)["A"] == "quarantined"

    # When the user retries it and the model is fixed
    assert world.chat_log.release_quarantine(world.scope, ["A"]) == ["A"]
    assert states(world)["A"] == "pending"
    reports = drain(world.consolidation(answers(poison_reply=None)), world)

    # Then A becomes an observation; the others are not consolidated twice
    assert states(world) == {"A": "consolidated", "B": "consolidated", "C": "consolidated"}
    assert [r.turns_read for r in reports] == [1]
    assert "A" in {s for m in world.valid() for s in m.source_message_ids}
    assert world.chat_log.state(world.scope).watermark == 3


def test_a_refused_input_is_quarantined_like_invalid_output(world: World) -> None:
    # Given a content-filter refusal for the poison turn
    world.say(("A", "user", f"{POISON}"), ("B", "user", "I collect stamps."))
    refusal = ModelInputRejected("openai request rejected: HTTP 400 content_filter")

    # When
    drain(world.consolidation(answers(poison_reply=refusal)), world)

    # Then
    view = next(v for v in world.chat_log.list_turns(world.scope, 10).items if v.logged.message.id == "A")
    assert view.state == "quarantined"
    assert view.quarantine is not None and view.quarantine.error == "ModelInputRejected"
    assert "content_filter" in view.quarantine.reason
    assert states(world)["B"] == "consolidated"


def test_an_outage_never_counts_toward_quarantine(world: World) -> None:
    # Given a model that is down for the poison prompt (and for everything, as an outage would be)
    world.say(("A", "user", f"{POISON}"), ("B", "user", "I collect stamps."))
    service = world.consolidation(answers(poison_reply=DependencyUnavailable("openai unavailable")))

    # When the job runs many times
    for _ in range(6):
        with pytest.raises(DependencyUnavailable):
            service.run(world.scope)

    # Then it fails each time for SQS to retry, and nothing is counted or quarantined
    assert world.chat_log.state(world.scope).failure is None
    assert set(states(world).values()) == {"pending"}


def test_a_flaky_failure_that_then_succeeds_leaves_no_streak(world: World) -> None:
    # Given one invalid answer (with its invalid repair), then a good model
    world.say(("m1", "user", "I collect stamps."), ("m2", "user", "I collect coins."))
    good = answers(poison_reply=None)
    model = ScriptedChatModel(["nonsense", "nonsense", *list(good.answers)[:10]])

    # When
    reports = drain(world.consolidation(model), world)

    # Then the retry consolidated the whole batch and the streak is gone
    assert [r.failed for r in reports] == ["LlmOutputInvalid", None]
    assert reports[1].turns_read == 2
    assert world.chat_log.state(world.scope).failure is None
    assert set(states(world).values()) == {"consolidated"}


def failed_jobs(policy: PoisonPolicy, n: int, poison: int) -> int:
    """The policy alone, driven as the service drives it: turns 1..n pending, turn `poison` always fails."""
    pending = list(range(1, n + 1))
    streak = None
    failures = 0
    while pending:
        batch = pending[: policy.window(streak, pending[0], n)]
        if poison not in batch:
            del pending[: len(batch)]
            streak = None if streak is None or batch[-1] >= streak.suspect_end else streak
            continue
        failures += 1
        logged = [LoggedMessage(seq=seq, message=message(seq), logged_at=T0) for seq in batch]
        step = policy.after_failure(streak, logged, LlmOutputInvalid("bad"))
        streak = None if step.quarantine else step.streak
        if step.quarantine:
            assert batch == [poison]
            pending.remove(poison)
    return failures


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 50, 200])
def test_the_stated_worst_case_bound_holds_and_is_reached(n: int) -> None:
    policy = PoisonPolicy()
    costs = [failed_jobs(policy, n, poison) for poison in range(1, n + 1)]
    assert max(costs) == policy.max_failed_jobs(n)
