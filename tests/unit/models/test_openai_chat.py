"""OpenAIChatModel over an injected fake client that returns real SDK objects and raises real SDK errors."""

from collections import deque
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from mnemoscope.adapters.models.openai_chat import OpenAIChatModel
from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage, time_budget

REQUEST = httpx2.Request("POST", "https://llm.invalid/v1/chat/completions")
MESSAGES = [ChatMessage(role="system", content="Extract."), ChatMessage(role="user", content="I live in Paris.")]


class City(BaseModel):
    city: str


def completion(content: str, prompt_tokens: int = 30, completion_tokens: int = 7) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_722_582_000,
            "model": "served-model",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def status_error(cls: type[openai.APIStatusError], status: int, message: str = "error", **headers: str) -> Exception:
    return cls(message, response=httpx2.Response(status, request=REQUEST, headers=headers), body={"message": message})


class FakeCompletions:
    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = deque(outcomes)
        self.requests: list[dict[str, Any]] = []

    def create(self, **kwargs: Any) -> ChatCompletion:
        self.requests.append(kwargs)
        outcome = self.outcomes.popleft()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[no-any-return]


class FakeOpenAI:
    """Just the part of `openai.OpenAI` the adapter uses: client.chat.completions.create(**kwargs)."""

    def __init__(self, *outcomes: Any) -> None:
        self.completions = FakeCompletions(list(outcomes))
        self.chat = self


def adapter(client: FakeOpenAI, **kwargs: Any) -> tuple[OpenAIChatModel, list[float]]:
    sleeps: list[float] = []
    model = OpenAIChatModel(model="my-model", client=client, sleep=sleeps.append, **kwargs)
    return model, sleeps


def test_the_configured_model_and_json_mode_are_sent_and_usage_recorded() -> None:
    # Given
    client = FakeOpenAI(completion('{"city": "Paris"}', 30, 7))
    model, _ = adapter(client, timeout=12.0)

    # When
    result = model.generate(MESSAGES, City)

    # Then
    assert result == City(city="Paris")
    [request] = client.completions.requests
    assert request["model"] == "my-model"
    assert request["response_format"] == {"type": "json_object"}
    assert request["timeout"] == 12.0
    assert "JSON schema" in request["messages"][0]["content"]  # the response model's schema is the contract
    assert (model.last_usage.prompt_tokens, model.last_usage.completion_tokens) == (30, 7)
    assert model.model_id == "openai:my-model"


def test_usage_accumulates_over_calls_and_repairs() -> None:
    client = FakeOpenAI(
        completion("no json here", 10, 2), completion('{"city": "Paris"}', 20, 3), completion("hi", 5, 1)
    )
    model, _ = adapter(client)

    model.generate(MESSAGES, City)
    assert (model.last_usage.prompt_tokens, model.last_usage.requests) == (30, 2)
    assert model.complete(MESSAGES) == "hi"

    assert (model.usage.prompt_tokens, model.usage.completion_tokens, model.usage.requests) == (35, 6, 3)
    assert "response_format" not in client.completions.requests[-1]


@pytest.mark.parametrize(
    "error",
    [
        status_error(openai.RateLimitError, 429),
        status_error(openai.InternalServerError, 500),
        status_error(openai.InternalServerError, 503),
        openai.APITimeoutError(request=REQUEST),
        openai.APIConnectionError(request=REQUEST),
    ],
    ids=["429", "500", "503", "timeout", "connection"],
)
def test_transient_errors_are_retried_with_bounded_attempts(error: Exception) -> None:
    # Given a provider that always fails transiently
    client = FakeOpenAI(error, error, error, error)
    model, sleeps = adapter(client, max_retries=2)

    # When / Then: 1 try + 2 retries, growing backoff, then DependencyUnavailable
    with pytest.raises(DependencyUnavailable):
        model.generate(MESSAGES, City)
    assert len(client.completions.requests) == 3
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_a_transient_error_then_success_returns_the_answer() -> None:
    client = FakeOpenAI(
        status_error(openai.RateLimitError, 429, **{"retry-after": "3"}), completion('{"city": "Rome"}')
    )
    model, sleeps = adapter(client)

    assert model.generate(MESSAGES, City).city == "Rome"
    assert sleeps == [3.0]  # Retry-After is honoured (capped by the policy's max delay)


def test_permanent_errors_are_not_retried() -> None:
    client = FakeOpenAI(status_error(openai.AuthenticationError, 401, "bad key"))
    model, sleeps = adapter(client)

    with pytest.raises(DependencyUnavailable, match="401"):
        model.generate(MESSAGES, City)
    assert len(client.completions.requests) == 1 and sleeps == []


def test_a_refused_input_is_its_own_error_and_auth_failures_are_not() -> None:
    # Given a content-filter refusal, then a bad key
    refused = status_error(openai.BadRequestError, 400, "content management policy")
    model, _ = adapter(FakeOpenAI(refused))
    with pytest.raises(ModelInputRejected, match="400"):
        model.generate(MESSAGES, City)
    model, _ = adapter(FakeOpenAI(status_error(openai.AuthenticationError, 401, "bad key")))
    with pytest.raises(DependencyUnavailable) as error:
        model.generate(MESSAGES, City)
    # Then only the refusal says "this input" (consolidation quarantines on it; a bad key must not)
    assert not isinstance(error.value, ModelInputRejected)


def test_a_server_that_rejects_response_format_gets_plain_text_and_our_parser() -> None:
    # Given a vLLM-like server that refuses json_object and answers with a fenced block
    rejected = status_error(openai.BadRequestError, 400, "'response_format' of type 'json_object' is not supported")
    client = FakeOpenAI(
        rejected, completion('Here you go:\n```json\n{"city": "Oslo"}\n```'), completion('{"city": "Bergen"}')
    )
    model, sleeps = adapter(client)

    # When
    first = model.generate(MESSAGES, City)
    second = model.generate(MESSAGES, City)

    # Then the fallback is remembered and costs no retry
    assert (first.city, second.city) == ("Oslo", "Bergen")
    assert [("response_format" in r) for r in client.completions.requests] == [True, False, False]
    assert sleeps == []


def test_output_that_stays_invalid_after_one_repair_raises() -> None:
    client = FakeOpenAI(completion('{"town": "Paris"}'), completion('{"town": "Paris"}'))
    model, _ = adapter(client)

    with pytest.raises(LlmOutputInvalid):
        model.generate(MESSAGES, City)
    repair = client.completions.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"town": "Paris"}'}
    assert "city" in repair[-1]["content"]


def test_the_time_budget_shortens_timeouts_and_stops_retries() -> None:
    # Given 10 s left in the invocation
    client = FakeOpenAI(openai.APITimeoutError(request=REQUEST), completion('{"city": "Paris"}'))
    model, _ = adapter(client, timeout=20.0)

    with time_budget(lambda: 10.0):
        model.generate(MESSAGES, City)

    # Then each request's timeout keeps the reserve for the caller's own writes
    assert [r["timeout"] for r in client.completions.requests] == [8.0, 8.0]


def test_no_request_when_the_budget_is_spent() -> None:
    client = FakeOpenAI()
    model, _ = adapter(client, deadline=lambda: 2.5)

    with pytest.raises(DependencyUnavailable, match="budget"):
        model.generate(MESSAGES, City)
    assert client.completions.requests == []


def test_the_default_client_is_built_with_sdk_retries_off() -> None:
    model = OpenAIChatModel(model="gpt-4o-mini", api_key="sk-test", base_url="http://127.0.0.1:9/v1", timeout=5.0)

    client = model._client
    assert client.max_retries == 0
    assert str(client.base_url).startswith("http://127.0.0.1:9/v1")
