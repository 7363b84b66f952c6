"""Long-term re-consolidation: newer observations against older similar ones of any day."""

from tests.fakes.scripted_chat_model import ScriptedChatModel
from tests.fakes.world import World
from tests.unit.reflection.conftest import NOW, day, pairs, subjects, updates

BAKERY = "The user works at a bakery."
HOSPITAL = "The user works at a hospital."
CAT = "The user has a cat named Mimi."
CAT_AGAIN = "The user has a cat called Mimi."


def test_a_newer_job_supersedes_the_older_one(world: World) -> None:
    # Given an old, already checked job and a newer, unchecked one (both reflected: no insight work)
    old = world.observe(BAKERY, day(1, month=7), reflected=True, reconsolidated=True)
    new = world.observe(HOSPITAL, day(9), reflected=True)
    model = ScriptedChatModel([pairs((HOSPITAL, BAKERY, "contradicts"))])

    # When
    report = world.reflection(model).run(world.scope)

    # Then the prompt showed both dates and the pair
    assert model.calls == ["ReconsolidationResult"]
    prompt = model.user_prompts[0]
    assert f"O1 (said 2024-07-01 Monday): {BAKERY}" in prompt
    assert f"O2 (said 2024-08-09 Friday): {HOSPITAL}" in prompt
    assert "O2 -> O1" in prompt
    # And the old job is expired (kept), superseded by the new one, which is now checked
    expired = world.get(old.id)
    assert (expired.status, expired.superseded_by, expired.updated_at) == ("expired", new.id, NOW)
    current = world.get(new.id)
    assert current.status == "valid" and current.reconsolidated
    assert (report.superseded, report.merged, report.reconsolidated) == (1, 0, 1)


def test_a_repeat_is_merged_into_the_older_memory(world: World) -> None:
    # Given the same fact said twice, on different days
    old = world.observe(CAT, day(1), source="m1", reflected=True, reconsolidated=True)
    new = world.observe(CAT_AGAIN, day(9), source="m9", reflected=True)
    model = ScriptedChatModel([pairs((CAT_AGAIN, CAT, "repeats"))])

    # When
    report = world.reflection(model).run(world.scope)

    # Then the older memory is kept and gains the newer source; the newer one expires, pointing to it
    kept = world.get(old.id)
    assert (kept.status, kept.source_message_ids) == ("valid", ("m1", "m9"))
    merged = world.get(new.id)
    assert (merged.status, merged.superseded_by) == ("expired", old.id)
    assert merged.reconsolidated
    assert (report.merged, report.superseded) == (1, 0)


def test_unrelated_pairs_change_nothing_but_the_flag(world: World) -> None:
    # Given
    old = world.observe(BAKERY, day(1, month=7), reflected=True, reconsolidated=True)
    new = world.observe(HOSPITAL, day(9), reflected=True)
    model = ScriptedChatModel(['{"pairs": []}'])

    # When
    world.reflection(model).run(world.scope)

    # Then
    assert world.get(old.id).status == "valid" and world.get(new.id).status == "valid"
    assert world.get(new.id).reconsolidated


def test_observations_without_older_neighbours_are_checked_without_a_call(world: World) -> None:
    # Given observations that resemble nothing older
    first = world.observe(BAKERY, day(1), reflected=True)
    second = world.observe("The user is allergic to peanuts.", day(2), reflected=True)
    model = ScriptedChatModel()

    # When
    report = world.reflection(model).run(world.scope)

    # Then
    assert model.requests == []
    assert world.get(first.id).reconsolidated and world.get(second.id).reconsolidated
    assert report.reconsolidated == 2


def test_the_budget_limits_each_run_to_the_oldest_observations(world: World) -> None:
    # Given five unchecked observations with no similar older ones
    texts = [BAKERY, "The user is allergic to peanuts.", "The user plays tennis.", "The user owns a red bike.", "Hi"]
    nodes = [world.observe(text, day(1 + i), reflected=True) for i, text in enumerate(texts)]

    # When one run with a budget of two
    report = world.reflection(ScriptedChatModel(), reconsolidation_budget=2).run(world.scope)

    # Then only the two oldest are checked, more is reported, and the counters stay up for another job
    assert [world.get(n.id).reconsolidated for n in nodes] == [True, True, False, False, False]
    assert report.has_more
    assert world.chat_log.state(world.scope).unreflected_observations == 5

    # When it runs again, the next two
    world.reflection(ScriptedChatModel(), reconsolidation_budget=2).run(world.scope)
    assert [world.get(n.id).reconsolidated for n in nodes] == [True, True, True, True, False]


def test_a_contradiction_and_a_later_repeat_in_one_batch_resolve_in_time_order(world: World) -> None:
    # Given bakery (old), hospital (newer), and hospital again (newest), the last two unchecked
    bakery = world.observe(BAKERY, day(1, month=7), reflected=True, reconsolidated=True)
    hospital = world.observe(HOSPITAL, day(8), source="m8", reflected=True)
    again = world.observe(HOSPITAL.replace("a hospital", "a hospital "), day(9), source="m9", reflected=True)
    model = ScriptedChatModel(
        [
            pairs(
                (HOSPITAL, BAKERY, "contradicts"),
                (again.content, HOSPITAL, "repeats"),
                (again.content, BAKERY, "contradicts"),
            )
        ]
    )

    # When
    report = world.reflection(model).run(world.scope)

    # Then bakery is superseded once (by the first hospital), and the repeat merged into it
    assert world.get(bakery.id).superseded_by == hospital.id
    assert world.get(hospital.id).source_message_ids == ("m8", "m9")
    assert world.get(again.id).superseded_by == hospital.id
    assert (report.superseded, report.merged) == (1, 1)


def test_one_run_makes_at_most_three_model_calls(world: World) -> None:
    # Given six unreflected observations, one of which contradicts an older job, and an existing insight
    world.observe(BAKERY, day(1, month=7), reflected=True, reconsolidated=True)
    world.insight("job", "baker", day(1, month=7))
    texts = [
        HOSPITAL,
        "The user likes eating apples.",
        CAT,
        "The user lives in Hangzhou.",
        "The user plays tennis.",
        "Hi",
    ]
    for i, text in enumerate(texts):
        world.observe(text, day(1 + i))
    model = ScriptedChatModel(
        [
            subjects(("fruit preference", ["The user likes eating apples."])),
            updates(
                ("job", "updated", "works at a hospital", [HOSPITAL]), ("fruit preference", "updated", "apples", [])
            ),
            pairs((HOSPITAL, BAKERY, "contradicts")),
        ]
    )

    # When
    report = world.reflection(model).run(world.scope)

    # Then
    assert model.calls == ["SubjectResult", "InsightUpdateResult", "ReconsolidationResult"]
    assert report.model_calls == 3
    assert (report.subjects_added, report.insights_updated, report.superseded) == (1, 1, 1)
    assert world.insights()["job"].value == "works at a hospital"
