"""The harness with every configured chat provider: the CLI builds OpenAI, OpenAI-compatible and DashScope models
through the project's wiring, and answering + judging run on the DashScope adapter (its SDK call stood in for) as
they do on the OpenAI one in test_eval_e2e.py."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dashscope.api_entities.dashscope_response import DashScopeAPIResponse, GenerationResponse

from mnemoscope.adapters.models.dashscope_chat import DashScopeChatModel
from mnemoscope.adapters.models.openai_chat import OpenAIChatModel
from mnemoscope.cli.eval import chat_model
from mnemoscope.client import MemoryClient
from mnemoscope.evaluation.dataset import load
from mnemoscope.evaluation.runner import EvalConfig, Harness
from mnemoscope.evaluation.state import RunStore
from tests.evaluation.synthetic import locomo_sample


def test_cli_builds_each_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNEMOSCOPE_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("MNEMOSCOPE_DASHSCOPE_API_KEY", "sk-ds")
    openai = chat_model("openai", "gpt-4o-mini", None)
    compatible = chat_model("openai", "qwen2.5:7b", "http://127.0.0.1:11434/v1")
    dashscope = chat_model("dashscope", "qwen-plus", None)
    assert isinstance(openai, OpenAIChatModel) and openai.model_id == "openai:gpt-4o-mini"
    assert isinstance(compatible, OpenAIChatModel) and compatible.model_id == "openai:qwen2.5:7b"
    assert isinstance(dashscope, DashScopeChatModel) and dashscope.model_id == "dashscope:qwen-plus"


def test_without_a_provider_the_cli_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNEMOSCOPE_CHAT_PROVIDER", raising=False)
    with pytest.raises(SystemExit, match="--answer-provider"):
        chat_model(None, None, None)


def _generation(reply: Callable[[str], str]) -> Callable[..., GenerationResponse]:
    def call(**kwargs: Any) -> GenerationResponse:
        text = reply(kwargs["messages"][-1]["content"])
        response: GenerationResponse = GenerationResponse.from_api_response(
            DashScopeAPIResponse(
                status_code=200,
                request_id="r",
                output={"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": text}}]},
                usage={"input_tokens": 30, "output_tokens": 4, "total_tokens": 34},
            )
        )
        return response

    return call


def test_answers_and_judgements_through_the_dashscope_adapter(tmp_path: Path) -> None:
    data = tmp_path / "syn.json"
    data.write_text(json.dumps(locomo_sample()), encoding="utf-8")
    conversations = load(data)
    answerer = DashScopeChatModel("qwen-plus", api_key="k", generation=_generation(lambda prompt: "Pixel"))
    verdicts = iter(["CORRECT", "WRONG"] * 40)
    judge = DashScopeChatModel(
        "qwen-max",
        api_key="k",
        generation=_generation(lambda prompt: json.dumps({"reasoning": "-", "label": next(verdicts)})),
    )
    store = RunStore(tmp_path / "run", {})
    config = EvalConfig(systems=("no-memory",), judge_runs=2, stress_limit=1)
    # The no-memory baseline never calls the service: an unreachable URL proves it
    with MemoryClient("http://127.0.0.1:9", retries=0) as client:
        Harness(client, answerer, judge, store, len, config).run(conversations)
    answers = store.of_kind("answer")
    assert [a["answer"] for a in answers] == ["Pixel"] * 4
    assert [a["answer_prompt_tokens"] for a in answers] == [30] * 4  # DashScope's reported usage
    assert [j["correct"] for j in store.of_kind("judge")] == [True, False] * 4
    assert len(store.of_kind("stress")) == 2 * 2  # question 1: vague + another answer, two runs
