"""The unauthenticated health route stays cheap, and /v1/chat ends inside API Gateway's 29 s."""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from mnemoscope import wiring
from mnemoscope.adapters.models.structured import RawReply, TransientModelError
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.services.chat import ChatService
from mnemoscope.wiring import Services
from tests.conftest import load_event
from tests.contracts.builders import scope
from tests.fakes.scripted_chat_model import ScriptedChatModel
from tests.functions.api_calls import call, call_event
from tests.infra.test_template import prop

API_GATEWAY_TIMEOUT = 29  # seconds, REST API integration timeout

AWS_ENVIRONMENT = {
    "MNEMOSCOPE_BACKEND": "aws",
    "MNEMOSCOPE_CHAT_TABLE": "chat",
    "MNEMOSCOPE_JOBS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo",
    "MNEMOSCOPE_OPENSEARCH_ENDPOINT": "https://collection.us-east-1.aoss.amazonaws.com",
    "MNEMOSCOPE_EMBEDDER": "openai",
    "MNEMOSCOPE_EMBEDDING_MODEL": "text-embedding-3-small",
    "MNEMOSCOPE_CHAT_PROVIDER": "openai",
    "MNEMOSCOPE_OPENAI_API_KEY_SECRET": "arn:aws:secretsmanager:us-east-1:123456789012:secret:oa",
}


@pytest.fixture
def fresh_aws_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The api function's environment on a cold start: nothing built yet, and building anything is an error."""
    for name, value in AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the health route built a client or read a secret")

    monkeypatch.setattr(wiring, "build", forbidden)
    monkeypatch.setattr(wiring.models, "secret", forbidden)
    wiring._settings.cache_clear()
    wiring._build_from_environment.cache_clear()
    yield
    wiring._settings.cache_clear()
    wiring._build_from_environment.cache_clear()


@pytest.mark.usefixtures("fresh_aws_process")
def test_health_without_a_key_answers_from_settings_alone() -> None:
    # When an uptime check calls the health route without an API key
    status, body, _ = call_event("health_no_api_key")
    # Then it answers from the settings, and no client was built nor secret read
    assert status == 200
    assert body["backend"] == "aws" and body["embedder"] == "openai:text-embedding-3-small"
    assert body["consolidation"] == "active"
    assert wiring._build_from_environment.cache_info().currsize == 0


@dataclass
class FakeTime:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


class HangingModel(ScriptedChatModel):
    """Every request runs into its read timeout (in fake time)."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__(max_retries=2)
        self.time = time
        self.timeouts: list[float] = []

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        self.timeouts.append(timeout)
        self.time.now += timeout
        raise TransientModelError(f"read timeout after {timeout:.1f} s")


def _budgeted_chat(services: Services, model: HangingModel, budget: float) -> None:
    services.chat = ChatService(
        services.retrieval,
        services.ingest,
        services.ports.chat_log,
        model,
        services.clock,
        budget_seconds=budget,
        monotonic=model.time,
    )


def test_model_attempts_and_retries_fit_the_chat_budget(local_services: Services) -> None:
    # Given a model that hangs until each request's timeout (20 s by default, 3 attempts)
    model = HangingModel(FakeTime())
    _budgeted_chat(local_services, model, budget=22.0)
    # When
    with pytest.raises(DependencyUnavailable):
        local_services.chat.chat(scope(), "hello", None, "auto", None)
    # Then the attempts, backoffs included, ended inside the budget
    assert model.time.now + sum(model.sleeps) <= 22.0
    assert 1 <= len(model.timeouts) <= 3


def test_chat_past_its_budget_is_a_503_json_before_the_gateway_gives_up(local_services: Services) -> None:
    # Given the api function with a hanging model
    model = HangingModel(FakeTime())
    _budgeted_chat(local_services, model, budget=local_services.settings.chat_budget_seconds)
    event = load_event("api/search.json") | {"path": "/v1/chat", "body": json.dumps({"user_id": "a", "message": "hi"})}
    event["pathParameters"] = {"proxy": "v1/chat"}
    # When
    status, body, headers = call(event)
    # Then a JSON 503 that says to retry, well inside API Gateway's 29 s integration timeout
    assert status == 503 and body["error"]["code"] == "unavailable"
    assert "Retry-After" in headers
    budget = local_services.settings.chat_budget_seconds
    assert model.time.now + sum(model.sleeps) <= budget < prop("ApiFunction", "Timeout") < API_GATEWAY_TIMEOUT
