"""Reflection when things go wrong: no model, invalid model output, a write failing half-way."""

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid, ModelNotConfigured
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.services.jobs import JobRunner
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.fakes.world import World
from tests.unit.reflection.conftest import day, pairs, subjects, updates

TEXTS = [
    "The user works as a software engineer at Alibaba.",
    "The user likes eating apples.",
    "The user has a cat named Mimi.",
    "The user likes watermelon in summer.",
    "The user lives in Hangzhou.",
    "The user dislikes coconuts.",
]
JOB, APPLES = TEXTS[0], TEXTS[1]
GOOD_SUBJECTS = subjects(("job", [JOB]))
GOOD_UPDATES = updates(("job", "updated", "software engineer at Alibaba", [JOB]))
BAKERY, HOSPITAL = "The user works at a bakery.", "The user works at a hospital."


def _given_observations(world: World) -> None:
    world.observe(BAKERY, day(1, month=7), reflected=True, reconsolidated=True)
    for i, text in enumerate([*TEXTS[:5], HOSPITAL]):
        world.observe(text, day(1 + i))


def _snapshot(world: World) -> tuple[object, ...]:
    state = world.chat_log.state(world.scope)
    return tuple(world.memories()), state.unreflected_observations, state.last_reflected_at


BAD_ANSWERS = {
    "discovery_bad_json": ['{"subjects": [{"subject": "job", "observ', '{"subjects": [{"subject": "job", "observ'],
    "discovery_unknown_label": [as_json({"subjects": [{"subject": "job", "observations": ["O99"]}]})] * 2,
    "discovery_subject_too_long": [as_json({"subjects": [{"subject": "x" * 61, "observations": []}]})] * 2,
    "update_unknown_insight": [GOOD_SUBJECTS, *[as_json({"updates": [{"insight": "I9", "status": "unchanged"}]})] * 2],
    "update_unknown_observation": [
        GOOD_SUBJECTS,
        *[as_json({"updates": [{"insight": "I1", "status": "updated", "value": "x", "observations": ["O42"]}]})] * 2,
    ],
    "update_without_value": [GOOD_SUBJECTS, *[as_json({"updates": [{"insight": "I1", "status": "updated"}]})] * 2],
    "reconsolidation_unlisted_pair": [
        GOOD_SUBJECTS,
        GOOD_UPDATES,
        *[as_json({"pairs": [{"newer": "O1", "older": "O7", "relation": "repeats"}]})] * 2,
    ],
}


@pytest.mark.parametrize("answers", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_invalid_model_output_fails_the_run_and_stores_nothing(world: World, answers: list[str]) -> None:
    # Given observations due for reflection and a model that answers one of the calls badly twice
    _given_observations(world)
    before = _snapshot(world)
    model = ScriptedChatModel(answers)

    # When / Then the run fails after one repair, and nothing (flags included) has changed
    with pytest.raises(LlmOutputInvalid):
        world.reflection(model).run(world.scope)
    assert _snapshot(world) == before

    # And a rerun with good answers does the whole work
    rerun = ScriptedChatModel([GOOD_SUBJECTS, GOOD_UPDATES, pairs((HOSPITAL, BAKERY, "contradicts"))])
    report = world.reflection(rerun).run(world.scope)
    assert (report.subjects_added, report.superseded, report.model_calls) == (1, 1, 3)


def test_no_model_raises_model_not_configured_and_touches_nothing(world: World) -> None:
    # Given
    _given_observations(world)
    before = _snapshot(world)

    # When / Then
    with pytest.raises(ModelNotConfigured):
        world.reflection(None).run(world.scope)
    assert _snapshot(world) == before


def test_the_job_runner_pauses_without_a_model_and_reports_counts_with_one(world: World) -> None:
    # Given
    _given_observations(world)
    job = ScopeJob(kind="reflect", scope=world.scope, requested_at=datetime(2024, 8, 10, tzinfo=UTC))

    # When / Then
    assert JobRunner(world.chat_log, None, world.reflection(None)).run(job).status == "paused"
    model = ScriptedChatModel([GOOD_SUBJECTS, GOOD_UPDATES, pairs((HOSPITAL, BAKERY, "contradicts"))])
    outcome = JobRunner(world.chat_log, None, world.reflection(model)).run(job)
    assert outcome.status == "done"
    assert outcome.report is not None
    assert (outcome.counts()["subjects_added"], outcome.report.model_calls) == (1, 3)


class _FailingSecondUpsert:
    """Wraps the index; the second upsert (the flags) fails once, like a crash between the two writes."""

    def __init__(self, world: World) -> None:
        self.inner = world.index
        self.upserts = 0

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        self.upserts += 1
        if self.upserts == 2:
            raise DependencyUnavailable("index write timed out")
        self.inner.upsert(entries)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_failure_between_content_and_flags_is_redone_by_the_rerun(world: World) -> None:
    # Given a run whose flag write fails after the insights were written
    _given_observations(world)
    failing = _FailingSecondUpsert(world)
    model = ScriptedChatModel([GOOD_SUBJECTS, GOOD_UPDATES, pairs((HOSPITAL, BAKERY, "contradicts"))])
    service = world.reflection(model)
    service._index = failing  # type: ignore[assignment]  # the one seam: swap the port for a failing wrapper
    with pytest.raises(DependencyUnavailable):
        service.run(world.scope)
    assert set(world.insights()) == {"job"}
    assert not any(m.reflected for m in world.memories() if m.type == "observation" and m.content != BAKERY)

    # When the job is retried
    rerun = ScriptedChatModel([GOOD_SUBJECTS, GOOD_UPDATES])
    report = world.reflection(rerun).run(world.scope)

    # Then the subject is now a duplicate, the same value is no update (no history churn, lineage not duplicated),
    # the superseded job needs no new call, and the flags are written
    assert rerun.calls == ["SubjectResult", "InsightUpdateResult"]
    assert (report.subjects_proposed, report.subjects_added, report.insights_updated) == (0, 0, 0)
    [job] = world.insights().values()
    assert (len(job.source_memory_ids), job.history) == (1, ())
    assert all(m.reflected for m in world.memories() if m.type == "observation")
