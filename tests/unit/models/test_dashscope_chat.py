"""DashScopeChatModel over an injected `Generation.call` stand-in returning the SDK's real response objects."""

from collections import deque
from typing import Any

import pytest
import requests
from dashscope.api_entities.dashscope_response import DashScopeAPIResponse, GenerationResponse
from pydantic import BaseModel

from mnemoscope.adapters.models.dashscope_chat import DashScopeChatModel
from mnemoscope.domain.errors import DependencyUnavailable, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage

MESSAGES = [ChatMessage(role="system", content="抽取事实。"), ChatMessage(role="user", content="我住在杭州。")]


class City(BaseModel):
    city: str


def ok(content: str, input_tokens: int = 40, output_tokens: int = 9) -> GenerationResponse:
    response: GenerationResponse = GenerationResponse.from_api_response(
        DashScopeAPIResponse(
            status_code=200,
            request_id="req-1",
            output={"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": content}}]},
            usage={"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": 49},
        )
    )
    return response


def failed(status: int, code: str, message: str = "failed") -> GenerationResponse:
    response: GenerationResponse = GenerationResponse.from_api_response(
        DashScopeAPIResponse(status_code=status, request_id="req-2", code=code, message=message)
    )
    return response


class FakeGeneration:
    """Stands in for `dashscope.Generation.call`: records keyword arguments, plays scripted outcomes."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = deque(outcomes)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> GenerationResponse:
        self.requests.append(kwargs)
        outcome = self.outcomes.popleft()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[no-any-return]


def adapter(generation: FakeGeneration, **kwargs: Any) -> tuple[DashScopeChatModel, list[float]]:
    sleeps: list[float] = []
    model = DashScopeChatModel(model="qwen-max", api_key="sk-ds", generation=generation, sleep=sleeps.append, **kwargs)
    return model, sleeps


def test_the_configured_model_message_format_and_json_mode_are_sent_and_usage_recorded() -> None:
    # Given
    generation = FakeGeneration(ok('{"city": "杭州"}', 40, 9))
    model, _ = adapter(generation, timeout=15.0)

    # When
    result = model.generate(MESSAGES, City)

    # Then
    assert result.city == "杭州"
    [request] = generation.requests
    assert request["model"] == "qwen-max"
    assert request["result_format"] == "message"
    assert request["response_format"] == {"type": "json_object"}
    assert request["api_key"] == "sk-ds"
    assert request["request_timeout"] == 15
    assert request["messages"][1] == {"role": "user", "content": "我住在杭州。"}
    assert (model.usage.prompt_tokens, model.usage.completion_tokens, model.usage.requests) == (40, 9, 1)
    assert model.model_id == "dashscope:qwen-max"


@pytest.mark.parametrize(
    "outcome",
    [
        failed(429, "Throttling.RateQuota", "Requests rate limit exceeded"),
        failed(500, "InternalError", "internal error"),
        failed(503, "ServiceUnavailable"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("connection reset"),
    ],
    ids=["429", "500", "503", "timeout", "connection"],
)
def test_transient_failures_are_retried_with_bounded_attempts(outcome: Any) -> None:
    generation = FakeGeneration(outcome, outcome, outcome)
    model, sleeps = adapter(generation, max_retries=2)

    with pytest.raises(DependencyUnavailable):
        model.generate(MESSAGES, City)
    assert len(generation.requests) == 3 and len(sleeps) == 2


def test_a_throttled_call_then_success_returns_the_answer() -> None:
    generation = FakeGeneration(failed(429, "Throttling"), ok('{"city": "上海"}'))
    model, sleeps = adapter(generation)

    assert model.generate(MESSAGES, City).city == "上海"
    assert len(sleeps) == 1


def test_a_bad_key_is_not_retried() -> None:
    generation = FakeGeneration(failed(401, "InvalidApiKey", "Invalid API-key provided."))
    model, sleeps = adapter(generation)

    with pytest.raises(DependencyUnavailable, match="InvalidApiKey"):
        model.generate(MESSAGES, City)
    assert sleeps == [] and len(generation.requests) == 1


def test_a_content_filter_refusal_is_an_input_rejection() -> None:
    generation = FakeGeneration(failed(400, "DataInspectionFailed", "Input data may contain inappropriate content."))
    model, sleeps = adapter(generation)

    with pytest.raises(ModelInputRejected, match="DataInspectionFailed") as error:
        model.generate(MESSAGES, City)
    assert "inappropriate" not in str(error.value) and sleeps == []


def test_a_model_without_json_mode_falls_back_to_plain_text() -> None:
    rejected = failed(400, "InvalidParameter", "The parameter `response_format` is not supported by this model")
    generation = FakeGeneration(rejected, ok('结果如下：```json\n{"city": "成都"}\n```'))
    model, sleeps = adapter(generation)

    assert model.generate(MESSAGES, City).city == "成都"
    assert "response_format" not in generation.requests[1] and sleeps == []


def test_free_text_completion_does_not_ask_for_json() -> None:
    generation = FakeGeneration(ok("你好！"))
    model, _ = adapter(generation)

    assert model.complete(MESSAGES) == "你好！"
    assert "response_format" not in generation.requests[0]


def test_plain_dict_responses_are_understood_too() -> None:
    raw = {"status_code": 200, "output": {"text": '{"city": "西安"}'}, "usage": {"input_tokens": 3, "output_tokens": 4}}
    generation = FakeGeneration(raw)
    model, _ = adapter(generation)

    assert model.generate(MESSAGES, City).city == "西安"
    assert model.last_usage.completion_tokens == 4
