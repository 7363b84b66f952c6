"""Consolidation, English conversations (MemoryScope's notebook scenario), on the real SQLite adapters."""

from datetime import UTC, datetime

from mnemoscope.domain.time_range import TimeRange
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.fakes.world import World
from tests.unit.consolidation.conftest import FRIDAY, decisions, extraction, fact


def test_chit_chat_is_consumed_without_memories_or_a_second_call(world: World) -> None:
    # Given greetings and a general-knowledge question
    world.say(
        ("m1", "user", "Hi! How are you today?"),
        ("a1", "assistant", "I'm great, thanks for asking. How can I help?"),
        ("m2", "user", "What is the capital of Australia?"),
        ("a2", "assistant", "Canberra."),
    )
    model = ScriptedChatModel([as_json(extraction(("m1", 0, []), ("m2", 0, [])))])

    # When the scope is consolidated
    report = world.consolidation(model).run(world.scope)

    # Then nothing is stored, the turns are consumed, and only the extraction call was made
    assert world.memories() == []
    assert report.stored == 0
    assert report.model_calls == 1
    assert model.calls == ["ExtractionResult"]
    assert report.watermark == 4
    assert world.chat_log.pending(world.scope) == []


def test_assistant_only_turns_are_consumed_without_any_model_call(world: World) -> None:
    # Given only an assistant turn (e.g. a proactive greeting)
    world.say(("a1", "assistant", "Good morning! Anything on your mind?"))
    model = ScriptedChatModel()

    # When
    report = world.consolidation(model).run(world.scope)

    # Then
    assert model.requests == []
    assert report.skipped_reason == "no_user_turns"
    assert world.chat_log.state(world.scope).watermark == 1


def test_nothing_pending_is_a_cheap_no_op(world: World) -> None:
    # Given an empty log / When
    model = ScriptedChatModel()
    report = world.consolidation(model).run(world.scope)

    # Then
    assert report.skipped_reason == "no_pending_turns"
    assert report.model_calls == 0
    assert model.requests == []


def test_fiction_scored_one_is_ignored_even_if_the_model_wrote_facts(world: World) -> None:
    # Given a micro-drama the user writes
    world.say(("m1", "user", "Let's write a drama: I am a dragon queen who rules a castle on the moon."))
    answer = extraction(("m1", 1, [fact("The user is a dragon queen.", "dragon")]))
    model = ScriptedChatModel([as_json(answer)])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then
    assert world.memories() == []
    assert report.facts_extracted == 0
    assert report.watermark == 1


def test_next_week_and_next_month_facts_get_the_absolute_time_from_the_message_timestamp(world: World) -> None:
    # Given facts with relative times, said on Friday 2024-08-02 15:00 in Shanghai
    world.say(
        ("m1", "user", "I'm going to Hangzhou on a business trip next week."),
        ("m2", "user", "And next month my daughter starts primary school."),
    )
    answer = extraction(
        (
            "m1",
            3,
            [
                fact(
                    "The user will go to Hangzhou on a business trip.",
                    "Hangzhou",
                    "business trip",
                    event_start="2024-08-05T00:00:00+08:00",
                    event_end="2024-08-12T00:00:00+08:00",
                )
            ],
        ),
        (
            "m2",
            3,
            [
                fact(
                    "The user's daughter will start primary school.",
                    "daughter",
                    "school",
                    event_start="2024-09-01T00:00:00+08:00",
                    event_end="2024-10-01T00:00:00+08:00",
                )
            ],
        ),
    )
    model = ScriptedChatModel([as_json(answer)])

    # When
    report = world.consolidation(model).run(world.scope)

    # Then the prompt shows each message's own timestamp with its weekday
    assert "[m1] USER 2024-08-02T15:00:00+08:00 (Friday)" in model.user_prompts[0]
    assert "[m2] USER 2024-08-02T15:01:00+08:00 (Friday)" in model.user_prompts[0]
    # And the memories carry the absolute ranges
    assert report.stored == 2
    by_content = {m.content: m for m in world.memories()}
    trip = by_content["The user will go to Hangzhou on a business trip."]
    assert trip.event_time == TimeRange(
        start=datetime(2024, 8, 4, 16, tzinfo=UTC), end=datetime(2024, 8, 11, 16, tzinfo=UTC)
    )
    assert trip.source_message_ids == ("m1",)
    assert trip.keywords == ("Hangzhou", "business trip")
    assert trip.created_at == FRIDAY
    school = by_content["The user's daughter will start primary school."]
    assert school.event_time is not None and school.event_time.start == datetime(2024, 8, 31, 16, tzinfo=UTC)


def test_an_impossible_event_time_is_dropped_but_the_fact_kept(world: World) -> None:
    # Given a model answer whose range ends before it starts, and one with an unparsable time
    world.say(("m1", "user", "My birthday is on April 28."), ("m2", "user", "I moved here some time ago."))
    answer = extraction(
        ("m1", 3, [fact("The user's birthday is April 28.", event_start="2025-04-28", event_end="2025-04-27")]),
        ("m2", 2, [fact("The user moved to a new city.", event_start="some time ago")]),
    )
    model = ScriptedChatModel([as_json(answer)])

    # When
    world.consolidation(model).run(world.scope)

    # Then
    assert sorted((m.content, m.event_time) for m in world.memories()) == [
        ("The user moved to a new city.", None),
        ("The user's birthday is April 28.", None),
    ]


def test_a_job_change_supersedes_the_old_job_and_keeps_it_as_history(world: World) -> None:
    # Given a stored job
    world.say(("m1", "user", "I work at Tencent."))
    first = ScriptedChatModel([as_json(extraction(("m1", 3, [fact("The user works at Tencent.", "Tencent")])))])
    world.consolidation(first).run(world.scope)
    [old] = world.memories()

    # When the user reports a new job
    world.say(("m2", "user", "Big news: I left and now work at Alibaba."), start=datetime(2024, 8, 9, 2, tzinfo=UTC))
    second = ScriptedChatModel(
        [
            as_json(extraction(("m2", 3, [fact("The user works at Alibaba.", "Alibaba")]))),
            as_json(decisions(("F1", "contradicts", "M1"))),
        ]
    )
    report = world.consolidation(second).run(world.scope)

    # Then the reconcile prompt showed the old memory, and the old job is expired, pointing to the new one
    assert second.calls == ["ExtractionResult", "ReconcileResult"]
    assert "M1 (said 2024-08-02 Friday): The user works at Tencent." in second.user_prompts[1]
    assert "F1 (said 2024-08-09 Friday): The user works at Alibaba." in second.user_prompts[1]
    [new] = world.valid()
    assert new.content == "The user works at Alibaba."
    expired = world.index.get(world.scope, old.id)
    assert expired is not None and expired.status == "expired" and expired.superseded_by == new.id
    assert (report.stored, report.superseded, report.model_calls) == (1, 1, 2)


def test_a_repeated_fact_is_not_duplicated_and_gains_the_new_source(world: World) -> None:
    # Given a stored fact
    world.say(("m1", "user", "I have a cat named Mimi."))
    ScriptedChatModel_first = ScriptedChatModel(
        [as_json(extraction(("m1", 3, [fact("The user has a cat named Mimi.", "cat", "Mimi")])))]
    )
    world.consolidation(ScriptedChatModel_first).run(world.scope)

    # When the user says it again
    world.say(("m2", "user", "Mimi, my cat, is sleeping on my keyboard again."), start=datetime(2024, 8, 3, tzinfo=UTC))
    model = ScriptedChatModel(
        [
            as_json(extraction(("m2", 3, [fact("The user has a cat named Mimi.", "cat")]))),
            as_json(decisions(("F1", "repeat", "M1"))),
        ]
    )
    report = world.consolidation(model).run(world.scope)

    # Then there is still one memory, now citing both messages
    [memory] = world.memories()
    assert memory.source_message_ids == ("m1", "m2")
    assert (report.stored, report.repeats) == (0, 1)
    assert world.chat_log.state(world.scope).unreflected_observations == 1


def test_within_one_batch_the_later_of_two_contradicting_facts_wins(world: World) -> None:
    # Given two contradicting statements in the same job
    world.say(
        ("m1", "user", "I work at Tencent."),
        ("a1", "assistant", "Nice!"),
        ("m2", "user", "Oops, correction: I work at Alibaba now, not Tencent."),
    )
    model = ScriptedChatModel(
        [
            as_json(
                extraction(
                    ("m1", 3, [fact("The user works at Tencent.")]),
                    ("m2", 3, [fact("The user works at Alibaba.")]),
                )
            ),
            as_json(decisions(("F2", "contradicts", "F1"))),
        ]
    )

    # When
    report = world.consolidation(model).run(world.scope)

    # Then the earlier one is stored as history, superseded by the later one
    [valid] = world.valid()
    assert valid.content == "The user works at Alibaba."
    [expired] = [m for m in world.memories() if m.status == "expired"]
    assert expired.content == "The user works at Tencent." and expired.superseded_by == valid.id
    assert report.model_calls == 2


def test_unrelated_new_facts_with_no_neighbours_need_no_second_call(world: World) -> None:
    # Given facts with nothing similar stored
    world.say(("m1", "user", "I am allergic to peanuts."), ("m2", "user", "My favourite band is Radiohead."))
    model = ScriptedChatModel(
        [
            as_json(
                extraction(
                    ("m1", 3, [fact("The user is allergic to peanuts.")]),
                    ("m2", 3, [fact("Radiohead is the favourite band of this person.")]),
                )
            )
        ]
    )

    # When
    report = world.consolidation(model, min_similarity=0.9).run(world.scope)

    # Then
    assert model.calls == ["ExtractionResult"]
    assert report.stored == 2
