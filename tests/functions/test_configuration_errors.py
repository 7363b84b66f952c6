"""A misconfigured deployment is the operator's fault: 500 with a generic body, the reason only in the log."""

from collections.abc import Iterator

import pytest

from mnemoscope.wiring import _build_from_environment, _settings, override_services
from tests.functions.api_calls import call_event

GENERIC = {"error": {"code": "internal_error", "message": "internal error"}}
AWS = {
    "MNEMOSCOPE_BACKEND": "aws",
    "MNEMOSCOPE_CHAT_TABLE": "mnemoscope-chat",
    "MNEMOSCOPE_MEMORY_TABLE": "mnemoscope-memories",
    "MNEMOSCOPE_JOBS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo",
    "MNEMOSCOPE_OPENSEARCH_ENDPOINT": "http://127.0.0.1:9",
    "MNEMOSCOPE_OPENSEARCH_AUTH": "none",
    "MNEMOSCOPE_EMBEDDER": "openai",
    "MNEMOSCOPE_OPENAI_API_KEY": "test-key",
}


@pytest.fixture(autouse=True)
def _built_from_environment() -> Iterator[None]:
    override_services(None)
    _settings.cache_clear()
    _build_from_environment.cache_clear()
    yield
    _settings.cache_clear()
    _build_from_environment.cache_clear()


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"MNEMOSCOPE_CHAT_TTL_DAYS": "0"}, "MNEMOSCOPE_CHAT_TTL_DAYS"),
        ({"MNEMOSCOPE_EMBEDDER": "word2vec"}, "MNEMOSCOPE_EMBEDDER"),
        ({"MNEMOSCOPE_MODEL_TIMEOUT_SECONDS": "-1"}, "MNEMOSCOPE_MODEL_TIMEOUT_SECONDS"),
        ({**AWS, "MNEMOSCOPE_CHAT_TABLE": ""}, "MNEMOSCOPE_CHAT_TABLE"),
        ({**AWS, "MNEMOSCOPE_JOBS_QUEUE_URL": ""}, "MNEMOSCOPE_JOBS_QUEUE_URL"),
        ({**AWS, "MNEMOSCOPE_MEMORY_TABLE": ""}, "MNEMOSCOPE_MEMORY_TABLE"),
        ({**AWS, "MNEMOSCOPE_OPENSEARCH_ENDPOINT": ""}, "MNEMOSCOPE_OPENSEARCH_ENDPOINT"),
    ],
)
def test_misconfiguration_is_a_generic_500_with_the_reason_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, env: dict[str, str], reason: str
) -> None:
    # Given a deployment with one setting wrong
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # When a client makes a valid request
    status, body, _ = call_event("search")
    # Then the client is not blamed and learns nothing about the setup; the operator finds the reason in the log
    assert (status, body) == (500, GENERIC)
    logged = [r for r in caplog.records if r.getMessage() == "service misconfigured"]
    assert len(logged) == 1
    assert reason in logged[0].__dict__["reason"]


def test_a_valid_value_of_the_same_setting_is_served(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("MNEMOSCOPE_CHAT_TTL_DAYS", "30")
    monkeypatch.setenv("MNEMOSCOPE_DATA_DIR", str(tmp_path))
    status, _, _ = call_event("health")
    assert status == 200
