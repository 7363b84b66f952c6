"""Prompt builders and their response models: language choice, recalled-memory stripping, validation rules."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mnemoscope.prompts import (
    ExtractionResult,
    PromptTurn,
    ReconcileItem,
    ReconcileQuestion,
    ReconcileResult,
    detect_language,
    extraction_messages,
    reconcile_messages,
    strip_recalled_memories,
)

AT = datetime(2024, 8, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (["I work at Tencent."], "en"),
        (["我在腾讯工作。"], "zh"),
        (["我在Google工作，做machine learning。"], "zh"),
        (["My friend 王伟 lives in Beijing and works at Baidu."], "en"),
        (["I had 小笼包 in 上海 yesterday."], "en"),
        ([""], "en"),
    ],
)
def test_language_follows_the_share_of_cjk(texts: list[str], language: str) -> None:
    assert detect_language(texts) == language


def test_recalled_memory_blocks_are_removed() -> None:
    text = "[memories]\n[2024-08-01 10:00:00 Thursday] The user likes tea.\n[/memories]\nI also like coffee."
    assert strip_recalled_memories(text) == "I also like coffee."
    assert strip_recalled_memories("[memories]\n[2024-08-01] likes tea\n\nAnd coffee") == "And coffee"
    assert strip_recalled_memories("  [memories]\n- likes tea") == ""
    assert strip_recalled_memories("no block here ") == "no block here"


def test_extraction_prompt_marks_user_turns_and_clips_assistant_turns() -> None:
    turns = [
        PromptTurn("m1", "user", "I love hiking.", AT),
        PromptTurn("a1", "assistant", "word " * 500, AT),
    ]
    system, user = extraction_messages(turns, "en")
    assert system.role == "system" and "never take facts from" in system.content
    assert "[m1] USER 2024-08-02T15:00:00+00:00 (Friday): I love hiking." in user.content
    assert len(user.content) < 700 and "ASSISTANT:" in user.content and "a1" not in user.content


def test_extraction_answers_are_checked_against_the_shown_ids() -> None:
    model = ExtractionResult.for_messages(["m1"])
    assert model.model_validate({"turns": [{"message_id": "m1", "score": 2}]}).turns[0].facts == []
    with pytest.raises(ValidationError, match="unknown message_id"):
        model.model_validate({"turns": [{"message_id": "m2", "score": 2}]})
    with pytest.raises(ValidationError):
        model.model_validate({"turns": [{"message_id": "m1", "score": 4}]})


def test_bad_times_are_dropped_and_keywords_accept_a_string() -> None:
    answer = {
        "turns": [
            {
                "message_id": "m1",
                "score": 3,
                "facts": [
                    {
                        "content": "x",
                        "keywords": "a, b，c",
                        "event_start": "next week",
                        "event_end": None,
                        "recurrence": "daily",
                    }
                ],
            }
        ]
    }
    [fact] = ExtractionResult.model_validate(answer).turns[0].facts
    assert fact.event_start is None and fact.recurrence is None and fact.keywords == ["a", "b", "c"]


def _questions() -> list[ReconcileQuestion]:
    f1 = ReconcileItem("F1", "The user works at Tencent.", AT)
    f2 = ReconcileItem("F2", "The user works at Alibaba.", AT)
    m1 = ReconcileItem("M1", "The user worked at Baidu.", AT)
    return [ReconcileQuestion(f1, (m1,)), ReconcileQuestion(f2, (f1, m1))]


@pytest.mark.parametrize(
    "decisions",
    [
        [{"fact": "F3", "decision": "new"}],  # unknown fact
        [{"fact": "F1", "decision": "repeat", "target": "M9"}],  # unknown target
        [{"fact": "F1", "decision": "contradicts", "target": "F2"}],  # not listed under F1
        [{"fact": "F1", "decision": "refines"}],  # target missing
        [{"fact": "F1", "decision": "new"}, {"fact": "F1", "decision": "new"}],  # decided twice
        [{"fact": "F1", "decision": "replaces", "target": "M1"}],  # not a decision
    ],
)
def test_reconcile_answers_may_only_use_labels_listed_under_each_fact(decisions: list[dict[str, str]]) -> None:
    with pytest.raises(ValidationError):
        ReconcileResult.for_questions(_questions()).model_validate({"decisions": decisions})


def test_a_valid_reconcile_answer_and_the_prompt_in_both_languages() -> None:
    result = ReconcileResult.for_questions(_questions()).model_validate(
        {"decisions": [{"fact": "F2", "decision": "contradicts", "target": "F1"}, {"fact": "F1", "decision": "new"}]}
    )
    assert [d.decision for d in result.decisions] == ["contradicts", "new"]
    en = reconcile_messages(_questions(), "en")[1].content
    assert "F2 (said 2024-08-02 Friday): The user works at Alibaba.\n    F1 (said" in en
    assert "相似项" in reconcile_messages(_questions(), "zh")[1].content
