"""Reflection and re-consolidation prompts and response models (pure functions, no adapters)."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mnemoscope.prompts.reconsolidation import (
    MemoryItem,
    PairQuestion,
    ReconsolidationResult,
    reconsolidation_messages,
)
from mnemoscope.prompts.reflection import (
    InsightItem,
    InsightUpdateResult,
    ObservationItem,
    SubjectResult,
    insight_update_messages,
    render_insight,
    subject_messages,
)
from mnemoscope.steps.reflect_subjects import keep_new, normalise_subject

AT = datetime(2024, 8, 2, 15, tzinfo=UTC)
OBS = [ObservationItem("O1", "The user likes apples.", AT), ObservationItem("O2", "The user is a nurse.", AT)]
INSIGHTS = [InsightItem("I1", "job", "baker", AT, ("O2",)), InsightItem("I2", "fruit preference", None, None, ("O1",))]


def test_render_insight_in_both_languages() -> None:
    assert render_insight("job", "nurse", "en") == "job of the user: nurse"
    assert render_insight("job", "nurse", "en", "Alice") == "job of Alice: nurse"
    assert render_insight("职业", "护士", "zh") == "用户的职业：护士"
    assert render_insight("职业", "护士", "zh", "小明") == "小明的职业：护士"


def test_subject_prompt_shows_existing_subjects_the_limit_and_dated_observations() -> None:
    system, user = subject_messages(OBS, ["job", "home city"], "en", limit=2)
    assert "at most 2 NEW subjects" in system.content
    assert user.content.startswith("Subjects already in the profile: job; home city")
    assert "O2 (said 2024-08-02 Friday): The user is a nurse." in user.content
    zh_system, zh_user = subject_messages(OBS, [], "zh", limit=1)
    assert "最多提出 1 个新主题" in zh_system.content and "（无）" in zh_user.content


def test_update_prompt_lists_each_insight_with_its_observations() -> None:
    _, user = insight_update_messages(INSIGHTS, OBS, "en")
    assert "I1 [job]: baker (updated 2024-08-02 Friday)\n    observations: O2" in user.content
    assert "I2 [fruit preference]: no value yet\n    observations: O1" in user.content


def test_reconsolidation_prompt_lists_memories_once_and_pairs_by_label() -> None:
    memories = [MemoryItem("O1", "The user works at a bakery.", AT), MemoryItem("O2", "The user works here.", AT)]
    _, user = reconsolidation_messages(memories, [PairQuestion("O2", ("O1",))], "en")
    assert user.content.count("The user works at a bakery.") == 1
    assert user.content.endswith("O2 -> O1")


@pytest.mark.parametrize("subject", ["", "   ", "x" * 61])
def test_a_subject_must_be_a_short_non_empty_phrase(subject: str) -> None:
    with pytest.raises(ValidationError):
        SubjectResult.for_observations(["O1"]).model_validate({"subjects": [{"subject": subject}]})


def test_subject_whitespace_is_collapsed_and_unknown_labels_are_rejected() -> None:
    model = SubjectResult.for_observations(["O1"])
    assert model.model_validate({"subjects": [{"subject": "  home\n city "}]}).subjects[0].subject == "home city"
    with pytest.raises(ValidationError, match="O3"):
        model.model_validate({"subjects": [{"subject": "job", "observations": ["O3"]}]})


def test_duplicates_of_existing_or_earlier_subjects_are_dropped_not_fatal() -> None:
    result = SubjectResult.model_validate(
        {"subjects": [{"subject": "JOB"}, {"subject": "pet", "observations": ["O1"]}, {"subject": "Pet"}]}
    )
    kept = keep_new(result, {"O1": "obs-1"}, ["job"], limit=3)
    assert [(s.subject, s.observation_ids) for s in kept] == [("pet", ("obs-1",))]
    assert normalise_subject("  Fruit   Preference ") == "fruit preference"


def test_update_answers_must_use_shown_labels_once_and_give_a_value_when_updated() -> None:
    model = InsightUpdateResult.for_items(INSIGHTS, OBS)
    ok = model.model_validate(
        {"updates": [{"insight": "I1", "status": "updated", "value": "nurse", "observations": ["O2"]}]}
    )
    assert ok.updates[0].value == "nurse"
    for bad in (
        {"updates": [{"insight": "I3", "status": "unchanged"}]},
        {"updates": [{"insight": "I1", "status": "unchanged"}, {"insight": "I1", "status": "unknown"}]},
        {"updates": [{"insight": "I1", "status": "updated", "value": "nurse", "observations": ["O9"]}]},
        {"updates": [{"insight": "I1", "status": "updated", "value": "  "}]},
        {"updates": [{"insight": "I1", "status": "maybe"}]},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_reconsolidation_answers_must_be_listed_pairs() -> None:
    model = ReconsolidationResult.for_questions([PairQuestion("O3", ("O1", "O2"))])
    assert model.model_validate({"pairs": [{"newer": "O3", "older": "O2", "relation": "repeats"}]}).pairs
    assert model.model_validate({}).pairs == []
    for bad in (
        {"pairs": [{"newer": "O1", "older": "O3", "relation": "contradicts"}]},
        {"pairs": [{"newer": "O3", "older": "O1", "relation": "same"}]},
        {"pairs": [{"newer": "O3", "older": "O1", "relation": "repeats"}] * 2},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)


def test_the_schema_sent_to_the_model_carries_the_field_descriptions() -> None:
    schema = str(InsightUpdateResult.model_json_schema())
    assert "the more recent wins" in schema
    assert "pairs left out are unrelated" in str(ReconsolidationResult.model_json_schema())
