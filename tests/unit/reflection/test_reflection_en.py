"""Reflection in English: MemoryScope's notebook scenario (insights appear after enough observations, a changed
fruit preference updates the insight), on the real SQLite adapters."""

from mnemoscope.domain.memory import InsightRevision
from mnemoscope.domain.message import Message
from mnemoscope.steps.reflect_subjects import insight_id_for
from tests.fakes.scripted_chat_model import ScriptedChatModel
from tests.fakes.world import World
from tests.unit.reflection.conftest import NOW, day, subjects, updates

JOB = "The user works as a software engineer at Alibaba."
APPLES = "The user likes eating apples."
WATERMELON = "The user likes watermelon in summer."
COCONUTS = "The user dislikes coconuts."
CAT = "The user has a cat named Mimi."
CITY = "The user lives in Hangzhou."
MANGOES = "The user now prefers mangoes to apples."


def _notebook(world: World) -> dict[str, str]:
    """Six observations said over a week (oldest first), not yet reflected."""
    texts = [JOB, APPLES, CAT, WATERMELON, CITY, COCONUTS]
    return {text: world.observe(text, day(1 + i)).id for i, text in enumerate(texts)}


def _notebook_model() -> ScriptedChatModel:
    return ScriptedChatModel(
        [
            subjects(("job", [JOB]), ("fruit preference", [APPLES, WATERMELON, COCONUTS])),
            updates(
                ("job", "updated", "software engineer at Alibaba", [JOB]),
                ("fruit preference", "updated", "likes apples and watermelon; dislikes coconuts", [APPLES, COCONUTS]),
            ),
        ]
    )


def test_after_enough_observations_insights_appear_for_new_subjects(world: World) -> None:
    # Given six unreflected observations
    ids = _notebook(world)
    model = _notebook_model()

    # When the scope is reflected
    report = world.reflection(model).run(world.scope)

    # Then one discovery call saw every observation with its date, and one update call gave the values
    assert model.calls == ["SubjectResult", "InsightUpdateResult"]
    discovery = model.user_prompts[0]
    assert "Subjects already in the profile: (none)" in discovery
    assert f"O1 (said 2024-08-01 Thursday): {JOB}" in discovery
    assert f"O6 (said 2024-08-06 Tuesday): {COCONUTS}" in discovery
    assert "I1 [job]: no value yet" in model.user_prompts[1]
    # And two insights exist, rendered, with their lineage
    insights = world.insights()
    assert set(insights) == {"job", "fruit preference"}
    job = insights["job"]
    assert job.id == insight_id_for(world.scope, "job")
    assert (job.value, job.content) == ("software engineer at Alibaba", "job of the user: software engineer at Alibaba")
    assert job.source_memory_ids == (ids[JOB],)
    assert (job.created_at, job.history) == (NOW, ())
    fruit = insights["fruit preference"]
    assert fruit.content == "fruit preference of the user: likes apples and watermelon; dislikes coconuts"
    assert fruit.source_memory_ids == (ids[APPLES], ids[COCONUTS])
    # And every observation is reflected, those shown to the update are marked used, the counters are reset
    assert all(world.get(i).reflected for i in ids.values())
    assert world.get(ids[JOB]).used_in_insight and world.get(ids[COCONUTS]).used_in_insight
    state = world.chat_log.state(world.scope)
    assert (state.unreflected_observations, state.last_reflected_at) == (0, NOW)
    assert (report.subjects_added, report.insights_updated, report.observations_reflected) == (2, 0, 6)
    assert (report.model_calls, report.skipped_reason, report.has_more) == (2, None, False)


def test_a_rerun_with_nothing_new_makes_no_model_call(world: World) -> None:
    # Given a reflected scope
    _notebook(world)
    world.reflection(_notebook_model()).run(world.scope)
    before = world.memories()

    # When reflection runs again
    model = ScriptedChatModel()
    report = world.reflection(model).run(world.scope)

    # Then nothing is asked and nothing changes
    assert model.requests == []
    assert (report.model_calls, report.skipped_reason) == (0, "nothing_new")
    assert world.memories() == before


def test_a_changed_fruit_preference_updates_the_insight_and_keeps_the_old_value_as_history(world: World) -> None:
    # Given an insight built from an older observation, and a newer observation that changes it
    apples = world.observe(APPLES, day(1), reflected=True, used_in_insight=True, reconsolidated=True)
    world.insight("fruit preference", "likes apples", day(1), sources=[apples.id])
    mangoes = world.observe(MANGOES, day(9))
    model = ScriptedChatModel([updates(("fruit preference", "updated", "prefers mangoes", [MANGOES]))])

    # When
    report = world.reflection(model).run(world.scope)

    # Then only the update call ran (one new observation is below the discovery threshold), showing both dates
    assert model.calls == ["InsightUpdateResult"]
    prompt = model.user_prompts[0]
    assert "I1 [fruit preference]: likes apples (updated 2024-08-01 Thursday)" in prompt
    assert f"O1 (said 2024-08-09 Friday): {MANGOES}" in prompt
    # And the newer value wins, the old one is history, and the lineage lists both observations
    fruit = world.insights()["fruit preference"]
    assert fruit.value == "prefers mangoes"
    assert fruit.content == "fruit preference of the user: prefers mangoes"
    assert fruit.history == (InsightRevision(value="likes apples", replaced_at=NOW),)
    assert fruit.source_memory_ids == (apples.id, mangoes.id)
    assert (fruit.created_at, fruit.updated_at) == (day(1), NOW)
    # And the observation was used but not reflected (it still counts for the next subject discovery)
    stored = world.get(mangoes.id)
    assert stored.used_in_insight and not stored.reflected
    assert (report.insights_updated, report.subjects_added, report.model_calls) == (1, 0, 1)

    # When it runs again, the observation is not shown twice
    again = ScriptedChatModel()
    assert world.reflection(again).run(world.scope).model_calls == 0
    assert again.requests == []


def test_fewer_than_min_observations_and_no_insight_make_no_model_call(world: World) -> None:
    # Given five unreflected observations and no insight yet
    for i, text in enumerate([JOB, APPLES, CAT, WATERMELON, CITY]):
        world.observe(text, day(1 + i), reconsolidated=True)
    model = ScriptedChatModel()

    # When
    report = world.reflection(model).run(world.scope)

    # Then no subject call; the observations wait for the next run, the scheduler's counters are reset
    assert model.requests == []
    assert report.skipped_reason == "too_few_observations"
    assert not any(m.reflected for m in world.memories())
    assert world.chat_log.state(world.scope).unreflected_observations == 0


def test_a_duplicate_subject_proposed_by_the_model_is_dropped(world: World) -> None:
    # Given an existing "Job" insight and six new observations
    world.insight("Job", "baker", day(1, month=7))
    _notebook(world)
    model = ScriptedChatModel(
        [
            subjects((" job ", [JOB]), ("fruit preference", [APPLES]), ("Fruit  Preference", [WATERMELON])),
            updates(("fruit preference", "updated", "likes apples", [APPLES])),
        ]
    )

    # When
    report = world.reflection(model).run(world.scope)

    # Then the discovery prompt listed the existing key, and only the genuinely new subject was kept
    assert "Subjects already in the profile: Job" in model.user_prompts[0]
    assert model.user_prompts[1].count("[fruit preference]") == 1
    assert "[ job ]" not in model.user_prompts[1] and "[Fruit  Preference]" not in model.user_prompts[1]
    assert set(world.insights()) == {"Job", "fruit preference"}
    assert (report.subjects_proposed, report.subjects_added) == (1, 1)


def test_a_new_subject_without_a_value_is_not_created(world: World) -> None:
    # Given six observations and a proposed subject the update step cannot answer
    _notebook(world)
    model = ScriptedChatModel(
        [
            subjects(("job", [JOB]), ("home city", [CITY])),
            updates(("job", "updated", "software engineer at Alibaba", [JOB]), ("home city", "unknown", None, [])),
        ]
    )

    # When
    report = world.reflection(model).run(world.scope)

    # Then no empty insight is stored
    assert set(world.insights()) == {"job"}
    assert report.subjects_added == 1


def test_an_update_citing_no_observation_cites_those_shown(world: World) -> None:
    # Given
    _notebook(world)
    model = ScriptedChatModel(
        [subjects(("job", [JOB])), updates(("job", "updated", "software engineer at Alibaba", []))]
    )

    # When
    world.reflection(model).run(world.scope)

    # Then the lineage still points at the observations the value came from
    assert world.insights()["job"].source_memory_ids


def test_the_users_name_is_used_when_known(world: World) -> None:
    # Given a named user turn in the log
    world.chat_log.append(
        world.scope, [Message(id="m1", role="user", name="Alice", content="Hi, I'm Alice.", created_at=day(1))]
    )
    _notebook(world)

    # When
    world.reflection(_notebook_model()).run(world.scope)

    # Then
    assert world.insights()["job"].content == "job of Alice: software engineer at Alibaba"
