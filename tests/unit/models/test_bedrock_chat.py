"""BedrockChatModel against botocore's Stubber: the real Converse request and response shapes (the Stubber checks
both against the service model), forced tool use, repair, fallbacks, retries, refusals and usage."""

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from pydantic import BaseModel, Field

from mnemoscope.adapters.models.bedrock_chat import TOOL_NAME, BedrockChatModel, converse_messages, inline_refs
from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.prompts.extraction import ExtractionResult
from mnemoscope.prompts.reconcile import ReconcileResult
from mnemoscope.prompts.reconsolidation import ReconsolidationResult
from mnemoscope.prompts.reflection import InsightUpdateResult, SubjectResult
from mnemoscope.prompts.time_extraction import TimeAnswer

MESSAGES = [ChatMessage(role="system", content="Extract."), ChatMessage(role="user", content="I live in Paris.")]


class City(BaseModel):
    city: str = Field(description="the city the user lives in")


class Place(BaseModel):
    name: str


class Trip(BaseModel):
    places: list[Place]
    home: Place | None = None


class Recorder:
    """The stubbed client, and every Converse request the adapter made (as it passed them to boto3)."""

    def __init__(self) -> None:
        self.client = boto3.client("bedrock-runtime", region_name="us-east-1")
        self.stubber = Stubber(self.client)
        self.requests: list[dict[str, Any]] = []
        self.client.meta.events.register("provide-client-params.bedrock-runtime.Converse", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(copy.deepcopy(params))

    def tool_reply(self, tool_input: dict[str, Any], tokens: tuple[int, int] = (120, 9)) -> None:
        block = {"toolUse": {"toolUseId": "tooluse_1", "name": TOOL_NAME, "input": tool_input}}
        self.stubber.add_response("converse", response(block, "tool_use", tokens))

    def text_reply(self, text: str, tokens: tuple[int, int] = (100, 20), stop: str = "end_turn") -> None:
        self.stubber.add_response("converse", response({"text": text}, stop, tokens))

    def error(self, code: str, status: int, message: str = "") -> None:
        self.stubber.add_client_error("converse", code, message, http_status_code=status)


def response(block: dict[str, Any], stop: str, tokens: tuple[int, int]) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 420},
    }


@pytest.fixture
def bedrock() -> Iterator[Recorder]:
    recorder = Recorder()
    with recorder.stubber:
        yield recorder
        recorder.stubber.assert_no_pending_responses()


def adapter(bedrock: Recorder, model: str = "anthropic.claude-3-haiku-20240307-v1:0", **kwargs: Any) -> Any:
    sleeps: list[float] = []
    chat = BedrockChatModel(model, client=bedrock.client, sleep=sleeps.append, **kwargs)
    return chat, sleeps


def test_structured_output_is_a_forced_tool_whose_schema_is_the_response_model(bedrock: Recorder) -> None:
    # Given
    bedrock.tool_reply({"city": "Paris"}, tokens=(130, 12))
    model, _ = adapter(bedrock)
    # When
    result = model.generate(MESSAGES, City)
    # Then the answer is the tool's input, validated
    assert result == City(city="Paris")
    [request] = bedrock.requests
    assert request["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert request["messages"] == [{"role": "user", "content": [{"text": "I live in Paris."}]}]
    # (the schema travels once: as the tool's input schema, not also in the system prompt)
    assert request["system"][0]["text"].startswith("Extract.") and TOOL_NAME in request["system"][0]["text"]
    assert "JSON schema" not in request["system"][0]["text"]
    [tool] = request["toolConfig"]["tools"]
    assert tool["toolSpec"]["name"] == TOOL_NAME
    assert tool["toolSpec"]["inputSchema"]["json"] == {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "the city the user lives in"}},
        "required": ["city"],
    }
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": TOOL_NAME}}
    assert request["inferenceConfig"] == {"temperature": 0.0}
    # And the usage is what Bedrock reported
    assert (model.last_usage.prompt_tokens, model.last_usage.completion_tokens, model.last_usage.requests) == (
        130,
        12,
        1,
    )
    assert model.model_id == "bedrock:anthropic.claude-3-haiku-20240307-v1:0"


def test_malformed_tool_input_is_repaired_once_and_both_requests_counted(bedrock: Recorder) -> None:
    # Given a tool input that misses the field, then a good one
    bedrock.tool_reply({"town": "Paris"}, tokens=(100, 5))
    bedrock.tool_reply({"city": "Paris"}, tokens=(160, 6))
    model, _ = adapter(bedrock)
    # When
    assert model.generate(MESSAGES, City).city == "Paris"
    # Then the repair request shows the bad answer and what was wrong, with the tool still forced
    repair = bedrock.requests[1]
    assert repair["messages"][1] == {"role": "assistant", "content": [{"text": '{"town": "Paris"}'}]}
    assert "city" in repair["messages"][2]["content"][0]["text"]
    assert repair["toolConfig"]["toolChoice"] == {"tool": {"name": TOOL_NAME}}
    assert (model.last_usage.prompt_tokens, model.last_usage.completion_tokens) == (260, 11)
    assert model.usage.requests == 2


def test_without_a_system_prompt_the_schema_still_travels_only_as_the_tool(bedrock: Recorder) -> None:
    bedrock.tool_reply({"city": "Paris"})
    model, _ = adapter(bedrock)
    model.generate([ChatMessage(role="user", content="I live in Paris.")], City)
    [system] = bedrock.requests[0]["system"]
    assert TOOL_NAME in system["text"] and "JSON schema" not in system["text"]


def test_a_second_malformed_answer_fails_cleanly(bedrock: Recorder) -> None:
    bedrock.tool_reply({"town": "Paris"})
    bedrock.tool_reply({"city": ["not", "a", "string"]})
    model, _ = adapter(bedrock)
    with pytest.raises(LlmOutputInvalid, match="after one repair"):
        model.generate(MESSAGES, City)
    assert model.usage.requests == 2


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ServiceUnavailableException", 503),
        ("ModelNotReadyException", 429),
        ("InternalServerException", 500),
        ("ModelTimeoutException", 408),
    ],
)
def test_throttling_and_unavailability_are_retried(bedrock: Recorder, code: str, status: int) -> None:
    # Given two failures, then an answer
    bedrock.error(code, status)
    bedrock.error(code, status)
    bedrock.tool_reply({"city": "Lyon"})
    model, sleeps = adapter(bedrock, max_retries=2)
    # When / Then
    assert model.generate(MESSAGES, City).city == "Lyon"
    assert len(sleeps) == 2 and model.usage.requests == 1  # failed attempts bill nothing


def test_retries_are_bounded(bedrock: Recorder) -> None:
    for _ in range(3):
        bedrock.error("ThrottlingException", 429, "Too many requests, please wait before trying again.")
    model, sleeps = adapter(bedrock, max_retries=2)
    with pytest.raises(DependencyUnavailable, match="after 3 attempts"):
        model.generate(MESSAGES, City)
    assert len(sleeps) == 2


def test_a_dropped_connection_is_retried() -> None:
    class Dropping:
        calls = 0

        def converse(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            if self.calls == 1:
                raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
            return response({"text": '{"city": "Nice"}'}, "end_turn", (10, 3))

    model = BedrockChatModel("amazon.nova-lite-v1:0", client=Dropping(), sleep=lambda _s: None)
    assert model.generate(MESSAGES, City).city == "Nice"


@pytest.mark.parametrize(
    ("code", "status", "message", "error"),
    [
        ("ValidationException", 400, "Input is too long for requested model.", ModelInputRejected),
        ("ValidationException", 400, "The provided model identifier is invalid.", DependencyUnavailable),
        (
            "ValidationException",
            400,
            "Invocation of model ID anthropic.claude-sonnet-4 with on-demand throughput isn't supported.",
            DependencyUnavailable,
        ),
        ("AccessDeniedException", 403, "You don't have access to the model with the specified model ID.", None),
        ("ResourceNotFoundException", 404, "Model not found.", None),
        ("ServiceQuotaExceededException", 400, "Your request exceeds the service quota.", None),
    ],
)
def test_model_errors_map_to_domain_errors_without_retry(
    bedrock: Recorder, code: str, status: int, message: str, error: type[Exception] | None
) -> None:
    bedrock.error(code, status, message)
    model, sleeps = adapter(bedrock)
    with pytest.raises(DependencyUnavailable) as raised:
        model.generate(MESSAGES, City)
    # Only an input the model refuses counts toward quarantine; the setup's errors stay plain 503s.
    assert isinstance(raised.value, ModelInputRejected) == (error is ModelInputRejected)
    assert code in str(raised.value) and message not in str(raised.value)
    assert sleeps == []


def test_a_filtered_answer_is_the_input_rejected(bedrock: Recorder) -> None:
    bedrock.text_reply("", stop="content_filtered")
    model, _ = adapter(bedrock)
    with pytest.raises(ModelInputRejected, match="content_filtered"):
        model.generate(MESSAGES, City)


def test_a_model_without_tool_choice_tool_falls_back_to_any_and_remembers(bedrock: Recorder) -> None:
    # Given a model that refuses toolChoice "tool" but calls the one tool under "any"
    bedrock.error("ValidationException", 400, "This model doesn't support the toolConfig.toolChoice.tool field.")
    bedrock.tool_reply({"city": "Hangzhou"})
    bedrock.tool_reply({"city": "Suzhou"})
    model, sleeps = adapter(bedrock, model="qwen.qwen3-32b-v1:0")
    # When it is asked twice
    assert model.generate(MESSAGES, City).city == "Hangzhou"
    assert model.generate(MESSAGES, City).city == "Suzhou"
    # Then the refusal cost one request, once
    choices = [r["toolConfig"]["toolChoice"] for r in bedrock.requests]
    assert choices == [{"tool": {"name": TOOL_NAME}}, {"any": {}}, {"any": {}}]
    assert sleeps == []


def test_a_model_without_tool_use_gets_the_schema_in_the_prompt_and_json_text_is_parsed(bedrock: Recorder) -> None:
    # Given a model that takes no tools at all and answers JSON in a fence
    bedrock.error("ValidationException", 400, "This model doesn't support the toolConfig.toolChoice.tool field.")
    bedrock.error("ValidationException", 400, "This model doesn't support tool use.")
    bedrock.text_reply('```json\n{"city": "Chengdu"}\n```')
    bedrock.text_reply('{"city": "Xi\'an"}')
    model, _ = adapter(bedrock, model="meta.llama3-8b-instruct-v1:0")
    # When
    assert model.generate(MESSAGES, City).city == "Chengdu"
    assert model.generate(MESSAGES, City).city == "Xi'an"
    # Then the last requests carry no tools, and the schema rides in the system prompt
    assert [("toolConfig" in r) for r in bedrock.requests] == [True, True, False, False]
    assert "JSON schema" in bedrock.requests[-1]["system"][0]["text"]


def test_complete_sends_no_tools_and_inference_profile_ids_pass_through(bedrock: Recorder) -> None:
    bedrock.text_reply("Bonjour !", tokens=(40, 4))
    model, _ = adapter(bedrock, model="eu.anthropic.claude-3-5-haiku-20241022-v1:0", max_tokens=512)
    assert model.complete([ChatMessage(role="user", content="Say hello in French.")]) == "Bonjour !"
    [request] = bedrock.requests
    assert request["modelId"] == "eu.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert "toolConfig" not in request and "system" not in request
    assert request["inferenceConfig"] == {"temperature": 0.0, "maxTokens": 512}
    assert model.last_usage.completion_tokens == 4


def test_turns_alternate_and_start_with_the_user() -> None:
    system, turns = converse_messages(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="assistant", content="Hi, how can I help?"),
            ChatMessage(role="user", content="one"),
            ChatMessage(role="user", content="two"),
            ChatMessage(role="assistant", content=""),
        ]
    )
    assert system == [{"text": "Be brief."}]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[2]["content"] == [{"text": "one"}, {"text": "two"}]


def test_nested_models_are_sent_without_refs(bedrock: Recorder) -> None:
    schema = inline_refs(Trip.model_json_schema())
    assert "$ref" not in str(schema) and "$defs" not in schema
    assert schema["properties"]["places"]["items"]["properties"]["name"]["type"] == "string"
    bedrock.tool_reply({"places": [{"name": "Kyoto"}], "home": None})
    model, _ = adapter(bedrock)
    assert model.generate(MESSAGES, Trip).places == [Place(name="Kyoto")]


def test_the_client_is_built_on_first_use_in_the_configured_region_without_sdk_retries() -> None:
    model = BedrockChatModel("amazon.nova-lite-v1:0", region="eu-central-1")
    assert model._client._client is None  # nothing built yet
    client = model._client.get()
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert model._client.get() is client


@pytest.mark.parametrize(
    "response_model",
    [TimeAnswer, ReconcileResult, ReconsolidationResult, ExtractionResult, SubjectResult, InsightUpdateResult],
)
def test_every_prompt_response_model_makes_a_valid_self_contained_tool(response_model: type[BaseModel]) -> None:
    # Given a response model a prompt uses, as the forced tool of a Converse request
    config = BedrockChatModel._tool_config(response_model, "tool")
    request = {"modelId": "amazon.nova-lite-v1:0", "messages": [], "toolConfig": config}
    shape = boto3.client("bedrock-runtime", region_name="us-east-1").meta.service_model.operation_model("Converse")
    # Then botocore accepts the request, and the schema needs no $defs to be read
    validate_parameters(request, shape.input_shape)
    schema = config["tools"][0]["toolSpec"]["inputSchema"]["json"]
    assert schema["type"] == "object" and "$ref" not in str(schema) and "title" not in schema
