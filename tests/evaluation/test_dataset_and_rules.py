"""Dataset loading (LoCoMo's quirks, LongMemEval's format), the judge stress rules and the resumable run store."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mnemoscope.evaluation.dataset import load
from mnemoscope.evaluation.judge import VAGUE, stress_answers
from mnemoscope.evaluation.readiness import NotReady, poll
from mnemoscope.evaluation.state import RunStore
from tests.evaluation.synthetic import locomo_sample


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_locomo_sessions_questions_and_observations(tmp_path: Path) -> None:
    [conv] = load(_write(tmp_path, locomo_sample()))
    assert conv.speakers == ("Ana", "Ben")
    assert [s.number for s in conv.sessions] == [1, 2]  # a date without turns is not a session
    assert conv.sessions[0].time == datetime(2024, 3, 3, 14, 0, tzinfo=UTC)
    assert conv.turns[3].text == "Lovely name. [shares a photo: a small dog]"
    by_id = {q.id: q for q in conv.questions}
    assert by_id["q2"].evidence == ("D1:3",)  # "D:1:3" cleaned, "D9:99" names no turn
    assert by_id["q3"].evidence == ("D1:3",)  # "D1:03"
    assert conv.stats["evidence_ids_dropped"] == 1
    assert (by_id["q4"].category, by_id["q4"].answer) == ("cat5", "nothing")
    assert by_id["q0"].at == datetime(2024, 4, 10, 12, 0, tzinfo=UTC)  # the day after the last session
    assert [(o.speaker, o.evidence) for o in conv.observations[:3]] == [
        ("Ana", ("D1:1",)),
        ("Ana", ("D1:3",)),
        ("Ben", ("D1:2",)),
    ]
    assert conv.observations[-1].time == conv.sessions[1].time


def test_longmemeval_items_become_one_question_conversations(tmp_path: Path) -> None:
    item = {
        "question_id": "q-7_abs",
        "question_type": "single-session-user",
        "question": "Which city did I move to?",
        "answer": "Porto",
        "question_date": "2023/06/01 (Thu) 09:30",
        "haystack_dates": ["2023/05/20 (Sat) 02:21"],
        "haystack_session_ids": ["s-a"],
        "haystack_sessions": [
            [
                {"role": "user", "content": "I moved to Porto.", "has_answer": True},
                {"role": "assistant", "content": "Nice!"},
            ]
        ],
    }
    [conv] = load(_write(tmp_path, [item]))
    assert conv.speakers == ("user", "assistant")
    [q] = conv.questions
    assert (q.category, q.evidence, q.at) == ("cat5", ("s-a:0",), datetime(2023, 6, 1, 9, 30, tzinfo=UTC))
    assert conv.sessions[0].time == datetime(2023, 5, 20, 2, 21, tzinfo=UTC)
    del item["haystack_session_ids"]  # optional in the format
    assert load(_write(tmp_path, [item]))[0].questions[0].evidence == ("s0:0",)


def test_stress_rules_make_wrong_answers_from_the_gold(tmp_path: Path) -> None:
    [conv] = load(_write(tmp_path, locomo_sample()))
    date_q = next(q for q in conv.questions if q.answer == "late February 2024")
    assert stress_answers(date_q, conv.questions) == {
        "vague": VAGUE,
        "shifted_numbers": "late February 5357",
        "year_only": "Sometime in 2024.",
        "other_answer": "baker",
    }
    job_q = conv.questions[0]
    assert stress_answers(job_q, conv.questions) == {"vague": VAGUE, "other_answer": "pilot"}


def test_run_store_resumes_and_refuses_other_settings(tmp_path: Path) -> None:
    store = RunStore(tmp_path, {"answer_model": "a"})
    store.add({"key": "answer:1", "kind": "answer"})
    with (tmp_path / "records.jsonl").open("a") as out:
        out.write('{"key": "answer:2", "ki')  # a run stopped mid-write
    again = RunStore(tmp_path, {"answer_model": "a"})
    assert "answer:1" in again and "answer:2" not in again
    with pytest.raises(ValueError, match="answer_model"):
        RunStore(tmp_path, {"answer_model": "b"})


def test_poll_backs_off_and_gives_up() -> None:
    slept: list[float] = []
    answers = iter([False, False, True])
    poll(lambda: next(answers), 60, "x", sleep=slept.append)
    assert slept == [0.2, pytest.approx(0.3)]
    with pytest.raises(NotReady, match="x: not ready"):
        poll(lambda: False, -1, "x", sleep=slept.append)


def test_job_metrics_from_the_serve_log(tmp_path: Path) -> None:
    from mnemoscope.evaluation.joblog import job_metrics

    def line(**fields: object) -> str:
        return json.dumps({"level": "INFO", "message": "job finished", **fields})

    log = tmp_path / "serve.log"
    log.write_text(
        "\n".join(
            [
                line(scope="local/default/eval.c.Ana", job="consolidate", model_calls=2, prompt_tokens=300),
                line(scope="local/default/someone-else", job="consolidate", model_calls=9, prompt_tokens=999),
                line(model_calls=1, prompt_tokens=100, completion_tokens=7, watermark=6),  # keys lost: consolidate
                line(model_calls=3, prompt_tokens=50, reconsolidated=0),  # keys lost, no watermark: reflect
                '{"message": "job finished", "cut sh',
                "plain text",
            ]
        ),
        encoding="utf-8",
    )
    got = job_metrics(log, {"eval.c.Ana"})
    assert got == {
        "by_kind": {
            "consolidate": {"jobs": 2, "model_calls": 3, "prompt_tokens": 400, "completion_tokens": 7},
            "reflect": {"jobs": 1, "model_calls": 3, "prompt_tokens": 50, "completion_tokens": 0},
        },
        "unattributed": 2,
    }
