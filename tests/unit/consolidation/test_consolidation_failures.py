"""Consolidation when things go wrong: invalid model output, timeouts, redelivery, no model, prompt hygiene."""

from datetime import UTC, datetime

import pytest

from mnemoscope.adapters.models.structured import TransientModelError
from mnemoscope.domain.errors import DependencyUnavailable, ModelNotConfigured
from mnemoscope.domain.scope import Scope
from mnemoscope.prompts.markers import RECALLED_MEMORY_END, RECALLED_MEMORY_MARKER
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.fakes.world import World
from tests.unit.consolidation.conftest import decisions, extraction, fact

GOOD = as_json(extraction(("m1", 3, [fact("The user works at Tencent.", "Tencent")])))
BAD_OUTPUTS = {
    "malformed": "Sure! {'turns': [message_id: m1, score: 3]}",
    "truncated": '{"turns": [{"message_id": "m1", "score": 3, "facts": [{"content": "The user wor',
    "off_schema": as_json({"observations": ["The user works at Tencent."]}),
    "score_out_of_range": as_json(extraction(("m1", 7, []))),
    "unknown_message_id": as_json(extraction(("m99", 3, [fact("The user works at Tencent.")]))),
}


def _assert_untouched(world: World, turns: int) -> None:
    assert world.memories() == []
    assert world.chat_log.state(world.scope).watermark == 0
    assert len(world.chat_log.pending(world.scope)) == turns


@pytest.mark.parametrize("bad", BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_invalid_extraction_output_gets_one_repair_then_counts_as_a_failed_attempt(world: World, bad: str) -> None:
    # Given a model that answers badly twice
    world.say(("m1", "user", "I work at Tencent."))
    model = ScriptedChatModel([bad, bad])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then nothing is stored, the failure is counted and a follow-up is asked for
    assert (report.failed, report.failed_attempts, report.has_more) == ("LlmOutputInvalid", 1, True)
    assert report.model_requests == 2
    streak = world.chat_log.state(world.scope).failure
    assert streak is not None and (streak.head_seq, streak.attempts) == (1, 1)
    assert len(model.requests) == 2
    repair = model.requests[1]
    assert repair[-2].role == "assistant" and repair[-2].content == bad
    assert "not valid" in repair[-1].content
    _assert_untouched(world, turns=1)


def test_a_successful_repair_stores_the_facts(world: World) -> None:
    # Given a fenced, truncated first answer and a valid repair
    world.say(("m1", "user", "I work at Tencent."))
    model = ScriptedChatModel([BAD_OUTPUTS["truncated"], f"```json\n{GOOD}\n```"])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then
    assert report.stored == 1 and report.model_calls == 1
    assert len(model.requests) == 2


def test_an_unknown_id_in_the_reconcile_answer_is_invalid(world: World) -> None:
    # Given a stored memory and a similar new fact
    world.say(("m0", "user", "I work at Tencent."))
    seed = ScriptedChatModel([as_json(extraction(("m0", 3, [fact("The user works at Tencent.")])))])
    world.consolidation(seed).run(world.scope)
    world.say(("m1", "user", "Now I work at Alibaba."))
    wrong = as_json(decisions(("F1", "contradicts", "M7")))
    model = ScriptedChatModel([as_json(extraction(("m1", 3, [fact("The user works at Alibaba.")]))), wrong, wrong])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then
    assert report.failed == "LlmOutputInvalid" and report.model_requests == 3
    assert "M7" in model.requests[2][-1].content  # the repair request names the bad label
    assert [m.content for m in world.valid()] == ["The user works at Tencent."]
    assert world.chat_log.state(world.scope).watermark == 1


def test_model_timeouts_are_retried_then_the_job_fails_as_unavailable(world: World) -> None:
    # Given a model that times out on every attempt
    world.say(("m1", "user", "I work at Tencent."))
    model = ScriptedChatModel([TransientModelError("timeout")] * 3, max_retries=2)

    # When / Then
    with pytest.raises(DependencyUnavailable):
        world.consolidation(model).run(world.scope)
    assert len(model.requests) == 3
    assert len(model.sleeps) == 2 and model.sleeps[1] > model.sleeps[0]
    _assert_untouched(world, turns=1)


def test_a_transient_failure_then_success_consolidates(world: World) -> None:
    world.say(("m1", "user", "I work at Tencent."))
    model = ScriptedChatModel([TransientModelError("HTTP 429"), GOOD])

    report = world.consolidation(model).run(world.scope)

    assert report.stored == 1


def test_a_redelivered_job_does_nothing_twice(world: World) -> None:
    # Given a consolidated scope
    world.say(("m1", "user", "I work at Tencent."))
    world.consolidation(ScriptedChatModel([GOOD])).run(world.scope)

    # When the same job is delivered again
    model = ScriptedChatModel()
    report = world.consolidation(model).run(world.scope)

    # Then
    assert model.requests == [] and report.skipped_reason == "no_pending_turns"
    assert len(world.memories()) == 1


def test_a_retry_after_a_failed_reconcile_stores_each_fact_once(world: World) -> None:
    # Given a stored memory, and a job whose second call fails
    world.say(("m0", "user", "I work at Tencent."))
    world.consolidation(ScriptedChatModel([as_json(extraction(("m0", 3, [fact("The user works at Tencent.")])))])).run(
        world.scope
    )
    world.say(("m1", "user", "I now work at Alibaba."), ("m2", "user", "I also started learning piano."))
    facts = as_json(
        extraction(("m1", 3, [fact("The user works at Alibaba.")]), ("m2", 2, [fact("The user learns piano.")]))
    )
    failing = ScriptedChatModel([facts, TransientModelError("HTTP 503")], max_retries=0)
    with pytest.raises(DependencyUnavailable):
        world.consolidation(failing).run(world.scope)
    assert len(world.memories()) == 1

    # When SQS retries the job
    retry = ScriptedChatModel([facts, as_json(decisions(("F1", "contradicts", "M1")))])
    world.consolidation(retry).run(world.scope)

    # Then
    assert sorted(m.content for m in world.valid()) == ["The user learns piano.", "The user works at Alibaba."]
    assert len(world.memories()) == 3


class _WatermarkFailsOnce:
    """A chat log whose first watermark move fails, as if the function died after writing the index."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.failed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def advance_watermark(self, scope: Scope, seq: int, new_observations: int = 0, at: datetime | None = None) -> None:
        if not self.failed:
            self.failed = True
            raise DependencyUnavailable("log down")
        self._inner.advance_watermark(scope, seq, new_observations, at)  # type: ignore[attr-defined]


def test_a_crash_between_index_write_and_watermark_does_not_duplicate_on_retry(world: World) -> None:
    # Given a job that wrote its memories but could not move the watermark
    world.say(("m1", "user", "I work at Tencent."), ("m2", "user", "I have two kids."))
    answer = as_json(
        extraction(("m1", 3, [fact("The user works at Tencent.")]), ("m2", 3, [fact("The user has two kids.")]))
    )
    world.chat_log = _WatermarkFailsOnce(world.chat_log)  # type: ignore[assignment]
    with pytest.raises(DependencyUnavailable):
        world.consolidation(ScriptedChatModel([answer])).run(world.scope)
    assert len(world.memories()) == 2

    # When the job is retried with the same answer
    model = ScriptedChatModel([answer])
    world.consolidation(model).run(world.scope)

    # Then the same ids are overwritten: no duplicates, and its own memories are not "neighbours" (no call 2)
    assert len(world.memories()) == 2
    assert model.calls == ["ExtractionResult"]


def test_without_a_model_nothing_is_consumed(world: World) -> None:
    # Given user turns and no chat model configured
    world.say(("m1", "user", "I work at Tencent."), ("a1", "assistant", "Cool."))

    # When / Then
    with pytest.raises(ModelNotConfigured):
        world.consolidation(None).run(world.scope)
    _assert_untouched(world, turns=2)

    # And once a model is configured the turns are consolidated
    report = world.consolidation(ScriptedChatModel([GOOD])).run(world.scope)
    assert report.stored == 1


def test_system_prompts_and_recalled_memories_never_become_memories(world: World) -> None:
    # Given a system prompt, a recall-only turn and a turn mixing recalled lines with a new fact
    recalled = (
        f"{RECALLED_MEMORY_MARKER}\n[2024-08-01 10:00:00 Thursday] The user works at Tencent.\n{RECALLED_MEMORY_END}"
    )
    world.say(
        ("s1", "system", "You are a helpful assistant. The user's name is Bob and he is a VIP customer."),
        ("m1", "user", recalled),
        ("m2", "user", f"{recalled}\nBy the way, I love hiking."),
    )
    model = ScriptedChatModel([as_json(extraction(("m2", 3, [fact("The user loves hiking.", "hiking")])))])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then the model never saw the system prompt, the recalled lines, or the recall-only turn
    prompt = model.user_prompts[0]
    assert "VIP" not in prompt and "Tencent" not in prompt and "[m1]" not in prompt
    assert "[m2] USER" in prompt and "I love hiking" in prompt
    assert RECALLED_MEMORY_MARKER in model.requests[0][0].content  # the rule is stated in the system prompt
    assert [m.content for m in world.memories()] == ["The user loves hiking."]
    assert report.watermark == 3


def test_a_fact_attributed_to_a_recall_only_turn_is_rejected(world: World) -> None:
    # Given a model that mines the recalled line anyway
    world.say(
        ("m1", "user", f"{RECALLED_MEMORY_MARKER}\n[2024-08-01] The user works at Tencent."), ("m2", "user", "ok")
    )
    bad = as_json(extraction(("m1", 3, [fact("The user works at Tencent.")])))

    # When
    report = world.consolidation(ScriptedChatModel([bad, bad])).run(world.scope)

    # Then: m1 is not a shown id, so the answer is invalid and nothing is stored
    assert report.failed == "LlmOutputInvalid"
    assert world.memories() == []


def test_system_turns_alone_are_consumed_without_a_model_call(world: World) -> None:
    world.say(("s1", "system", "You are a helpful assistant."))
    model = ScriptedChatModel()

    report = world.consolidation(None).run(world.scope)
    assert report.skipped_reason == "no_user_turns"
    assert model.requests == []


def test_a_job_reads_at_most_max_turns_and_says_there_is_more(world: World) -> None:
    world.say(*((f"m{i}", "user", f"hello {i}") for i in range(5)))
    model = ScriptedChatModel([as_json(extraction(*((f"m{i}", 0, []) for i in range(3))))])

    report = world.consolidation(model, max_turns_per_job=3).run(world.scope)

    assert report.has_more and report.watermark == 3
    assert "[m3]" not in model.user_prompts[0]


def test_at_most_two_model_calls_per_job_even_with_many_similar_facts(world: World) -> None:
    # Given several stored jobs and a batch with many related facts
    world.say(*((f"m{i}", "user", f"I worked at company {i}.") for i in range(4)))
    seed = extraction(*((f"m{i}", 3, [fact(f"The user worked at company {i}.")]) for i in range(4)))
    world.consolidation(ScriptedChatModel([as_json(seed)]), min_similarity=0.99).run(world.scope)
    world.say(
        *((f"n{i}", "user", f"I work at company {i + 10} now.") for i in range(4)),
        start=datetime(2024, 9, 1, tzinfo=UTC),
    )
    batch = extraction(*((f"n{i}", 3, [fact(f"The user works at company {i + 10}.")]) for i in range(4)))
    model = ScriptedChatModel([as_json(batch), as_json(decisions())])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then
    assert report.model_calls == len(model.calls) == 2
    assert len(world.valid()) == 8
