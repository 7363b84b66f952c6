"""The whole harness end to end: `mnemoscope eval locomo` against a live `serve` subprocess whose consolidation
model is the fake OpenAI-compatible server, with a scripted answer model and a scripted (lenient) judge on a second
one; then the offline observation track, a resumed rerun and `eval compare`. Every expected number below is
worked out by hand from tests/evaluation/synthetic.py and the scripted replies."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.cli.main import main
from mnemoscope.evaluation.scoring import tokens
from tests.e2e.fake_openai import FakeOpenAI
from tests.e2e.test_serve_http import Server
from tests.evaluation.synthetic import TRANSCRIPT, locomo_sample

# Question -> (what must be in the retrieved memories, the reply then; else "Not mentioned").
MEMORY_REPLIES = {
    "What does Ana do for work?": ("The user works as a baker", "a baker"),
    "What is Ben's job?": ("The user works as a pilot", "Ben is a pilot"),
    "When did Ana adopt her dog?": ("adopted", "in February 2024"),
    "What is the name of Ana's dog?": ("Pixel", "Pixel"),
}
GOLD = {q["question"]: q.get("answer") for q in locomo_sample()[0]["qa"]}


def scripted(body: dict[str, Any]) -> str:
    """Answer model: full context -> the gold answer; memories -> the table above; nothing -> 'Not mentioned'.
    Judge: lenient on purpose (CORRECT when the answer shares any word with the gold), so the stress test bites."""
    prompt = body["messages"][-1]["content"]
    if prompt.startswith("Grade this answer."):
        gold = prompt.split("\nGold answer: ")[1].split("\nAnswer to grade: ")[0]
        answer = prompt.split("\nAnswer to grade: ")[1]
        label = "CORRECT" if set(tokens(gold)) & set(tokens(answer)) else "WRONG"
        return json.dumps({"reasoning": "scripted", "label": label})
    question = prompt.split("): ", 1)[1].split("\nShort answer:")[0]
    if prompt.startswith("Conversation:\n"):
        return str(GOLD[question])
    if prompt.startswith("Memories:\n"):
        needle, reply = MEMORY_REPLIES[question]
        return reply if needle in prompt else "Not mentioned"
    return "Not mentioned"


@pytest.fixture
def consolidation_model() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    yield fake
    fake.close()


@pytest.fixture
def answer_model() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(scripted)
    yield fake
    fake.close()


@pytest.fixture
def serve(tmp_path: Path, consolidation_model: FakeOpenAI) -> Iterator[tuple[str, Path]]:
    """`mnemoscope serve` with its JSON log in a file (the harness reads the job metrics from it)."""
    log = tmp_path / "serve.log"
    env = {
        "POWERTOOLS_LOG_LEVEL": "INFO",  # serve logs warnings only by default; 'job finished' lines are INFO
        "PYTHONUNBUFFERED": "1",  # the harness reads the log while serve runs
        "OMP_NUM_THREADS": "1",  # one embedding thread: several compete badly on a shared 2-core machine
        "MNEMOSCOPE_CHAT_PROVIDER": "openai",
        "MNEMOSCOPE_CHAT_MODEL": "consolidator",
        "MNEMOSCOPE_OPENAI_BASE_URL": consolidation_model.url,
        "MNEMOSCOPE_OPENAI_API_KEY": "test-key",
    }
    server = Server(tmp_path / "data", extra_env=env, log_path=log)  # `serve --port 0`: no port raced for
    server.wait_ready()
    yield server.base, log
    server.stop()


def test_locomo_harness_end_to_end(
    tmp_path: Path,
    serve: tuple[str, Path],
    answer_model: FakeOpenAI,
    consolidation_model: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, log = serve
    data = tmp_path / "syn.json"
    data.write_text(json.dumps(locomo_sample()), encoding="utf-8")
    out = tmp_path / "run"
    monkeypatch.setenv("MNEMOSCOPE_OPENAI_API_KEY", "test-key")
    command = [
        "eval", "locomo", "--data", str(data), "--url", url, "--out", str(out), "--job-log", str(log),
        "--answer-provider", "openai", "--answer-model", "answerer", "--answer-base-url", answer_model.url,
        "--judge-model", "judge", "--tokenizer", "chars4", "--ready-timeout", "60",
    ]  # fmt: skip
    # When the harness runs
    assert main(command) == 0
    report = json.loads((out / "report.json").read_text())
    systems = report["systems"]
    # Then the lexical scores are the hand-computed ones
    memory, full, none = systems["memory"], systems["full-context"], systems["no-memory"]
    assert [memory["n"], full["n"], none["n"]] == [4, 4, 4]  # categories 1-4 only
    assert report["settings"]["adversarial_skipped"] == 1
    assert memory["f1"] == pytest.approx((1 + 0.5 + 0 + 0) / 4)  # "a baker"; "Ben is a pilot" (P 1/3, R 1)
    assert memory["bleu1"] == pytest.approx((1 + 1 / 3) / 4)
    assert (full["f1"], none["f1"]) == (1.0, 0.0)
    # and J: two judge runs, no spread; the memory system knows both jobs (consolidated facts) but not the dog
    assert memory["j"]["runs"] == [0.5, 0.5]
    assert memory["j"]["spread"] == 0
    assert memory["by_category"]["cat4"]["j"] == 1.0
    assert memory["by_category"]["cat2"]["j"] == memory["by_category"]["cat1"]["j"] == 0.0
    assert (full["j"]["mean"], none["j"]["mean"]) == (1.0, 0.0)
    # and the stress test: per question vague + another question's answer; the date question adds shifted digits
    # and the bare year, both of which the lenient judge accepts -> 2 of 10, in each of the two runs
    stress = report["judge_stress"]
    assert (stress["n"], stress["false_accept_rate"]) == (20, 0.2)
    assert {r: v["n"] for r, v in stress["by_rule"].items()} == {
        "other_answer": 8, "shifted_numbers": 2, "vague": 8, "year_only": 2,
    }  # fmt: skip
    assert stress["by_rule"]["year_only"]["false_accept_rate"] == 1.0
    # and the tokens: the full transcript (ceil(chars / 4)), nothing without memory, one search per speaker
    assert full["context_tokens"]["mean"] == (len(TRANSCRIPT) + 3) // 4
    assert none["context_tokens"]["mean"] == 0
    assert memory["search_ms"]["n"] == 8
    # and the ingest cost comes from the jobs' own metrics (the fake bills 10 + 5 tokens per request)
    ingest = report["ingest"]
    assert ingest["messages"] == 12  # 6 turns, posted to both speakers' scopes
    calls = len(consolidation_model.requests)
    jobs = ingest["job_metrics"]
    assert calls > 0
    assert sum(k["model_calls"] for k in jobs["by_kind"].values()) == calls
    assert jobs["prompt_tokens_per_message"] == pytest.approx(10 * calls / 12)
    assert jobs["completion_tokens_per_message"] == pytest.approx(5 * calls / 12)
    assert ingest["memories"]["observation:valid"] == 2  # Ana's job in her scope, Ben's in his
    # and the answer model saw the consolidated facts, dated by the question time
    prompts = [r["messages"][-1]["content"] for r in answer_model.requests]
    assert any("## Memories of Ana" in p and "The user works as a baker" in p for p in prompts)
    assert all("(asked on 10 April 2024)" in p for p in prompts if not p.startswith("Grade"))
    assert {"j_by_category.png", "search_latency.png", "tokens_per_question.png"} <= set(report["plots"])
    assert (out / "j_by_category.png").stat().st_size > 0
    assert "**50.0**" in (out / "report.md").read_text()

    # When the same command runs again, nothing is asked twice and the numbers stay
    asked = len(answer_model.requests)
    assert main(command) == 0
    assert len(answer_model.requests) == asked
    again = json.loads((out / "report.json").read_text())
    assert again["systems"] == systems

    # When two systems are compared question by question
    capsys.readouterr()
    assert (
        main(["eval", "compare", str(out / "report.json"), str(out / "report.json"), "--system-b", "full-context"]) == 0
    )
    # Then McNemar sees two questions only B answers (p = 2 * 0.5^2) and F1 rises by (4 - 1.5) / 4
    printed = capsys.readouterr().out
    assert "only A 0, only B 2, p = 0.5" in printed
    assert "B-A +62.5 pts" in printed

    # When the offline track loads the observations (no model involved)
    obs = tmp_path / "obs"
    raw = tmp_path / "raw.json"
    raw_recall = {"overall": {"n": 4, "R@5": 0.25, "R@10": 0.5, "R@20": 0.75}}
    raw.write_text(json.dumps({"results": [{"fusion": "rrf", "time_boost": 2.0, "recall": raw_recall}]}))
    offline = ["eval", "offline", "--data", str(data), "--url", url, "--out", str(obs), "--scope-prefix", "obs"]
    assert main([*offline, "--raw-turns", str(raw)]) == 0
    result = json.loads((obs / "observations_recall.json").read_text())
    # Then all 5 observations come back at k = 5, covering every usable evidence turn
    assert result["observations"] == 5
    assert result["recall"]["overall"] == {"n": 4, "R@5": 1.0, "R@10": 1.0, "R@20": 1.0}
    assert [q["question_id"] for q in result["questions"]] == ["q0", "q1", "q2", "q3"]
    assert result["raw_turn_track"] == raw_recall
    assert (obs / result["plot"]).stat().st_size > 0
