"""ChatModel over Amazon Bedrock's Converse API (boto3 `bedrock-runtime`): Claude, Nova, Qwen, Llama... and
cross-region inference profile ids (us./eu./apac./global.), which Converse takes wherever a model id goes.

Structured output is forced tool use: the response model's JSON schema is the input schema of one tool and
`toolChoice` names it, so the reply is that tool's input. Not every model takes `toolChoice: tool` (the API
reference lists Claude and Nova); on a ValidationException about it the adapter steps down, once per instance, to
`toolChoice: any` (one tool, so the same effect), then to no tool at all: the schema already sits in the system
prompt, and the answer is parsed and repaired like any other adapter's (StructuredChatModel)."""

import json
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from mnemoscope.adapters.models.bedrock_runtime import (
    CONNECTION_ERRORS,
    LazyBedrockClient,
    blames_the_input,
    error_code,
    error_message,
    is_transient,
)
from mnemoscope.adapters.models.structured import (
    RawReply,
    ResponseFormatRejected,
    StructuredChatModel,
    TransientModelError,
    compact_schema,
    schema_instruction,
)
from mnemoscope.domain.errors import DependencyUnavailable, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage

TOOL_NAME = "record_answer"
TOOL_DESCRIPTION = "Record your answer. The input is the JSON object the instructions ask for."
# Replaces the JSON-schema instruction in the system prompt while the tool is forced: the schema travels once, as
# the tool's input schema, instead of twice.
TOOL_INSTRUCTION = f"\n\nAnswer by calling the {TOOL_NAME} tool once, with the whole answer as its input."
# Stop reasons that mean the model (or a guardrail) refused this input: retrying it fails the same way.
REFUSALS = frozenset({"content_filtered", "guardrail_intervened"})
# How structured output is asked for, strongest first (see the module docstring).
TOOL_CHOICES = ("tool", "any")
MAX_SCHEMA_DEPTH = 32


class _ToolChoiceRejected(Exception):
    """The model refused the toolChoice (or tool use altogether)."""


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every local `$ref` replaced by its `$defs` entry: not every Bedrock model resolves refs."""
    defs = schema.get("$defs", {})

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_SCHEMA_DEPTH:
            raise ValueError("response schema nests too deeply (recursive model?)")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")], depth + 1)
            return {k: walk(v, depth + 1) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema, 0)
    return inlined


def converse_messages(messages: Sequence[ChatMessage]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, turns) for Converse: system prompts apart, consecutive same-role messages merged into one turn
    (the API wants alternating roles), and a first turn from the user."""
    system = [{"text": m.content} for m in messages if m.role == "system" and m.content]
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system" or not message.content:
            continue
        block = {"text": message.content}
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].append(block)
        else:
            turns.append({"role": message.role, "content": [block]})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"text": "(conversation start)"}]})
    return system, turns


def _schema_as_tool(messages: Sequence[ChatMessage], response_model: type[BaseModel]) -> list[ChatMessage]:
    """The messages with StructuredChatModel's schema instruction swapped for TOOL_INSTRUCTION (system prompts)."""
    instruction = schema_instruction(response_model)
    out: list[ChatMessage] = []
    for message in messages:
        if message.role == "system" and message.content == instruction.strip():  # with_schema's own system message
            out.append(ChatMessage(role="system", content=TOOL_INSTRUCTION.strip()))
        elif message.role == "system" and instruction in message.content:
            out.append(ChatMessage(role="system", content=message.content.replace(instruction, TOOL_INSTRUCTION)))
        else:
            out.append(message)
    return out


def _reply_text(response: dict[str, Any]) -> str:
    """The forced tool's input as JSON text, else the text blocks (a model that answered in prose or JSON text)."""
    content = response.get("output", {}).get("message", {}).get("content", []) or []
    for block in content:
        if "toolUse" in block:
            return json.dumps(block["toolUse"].get("input", {}), ensure_ascii=False)
    return "".join(str(block.get("text", "")) for block in content)


def _usage(response: dict[str, Any]) -> TokenUsage:
    usage = response.get("usage", {}) or {}
    return TokenUsage(
        prompt_tokens=int(usage.get("inputTokens", 0) or 0),
        completion_tokens=int(usage.get("outputTokens", 0) or 0),
        requests=1,
    )


class BedrockChatModel(StructuredChatModel):
    """`bedrock-runtime` Converse. The client is built on first use (or injected: tests pass a stubbed one)."""

    provider = "bedrock"

    def __init__(
        self,
        model: str = "amazon.nova-lite-v1:0",
        region: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        client: Any | None = None,
        *,
        deadline: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, "deadline": deadline}
        if sleep is not None:
            kwargs["sleep"] = sleep
        super().__init__(model, **kwargs)
        self._client = LazyBedrockClient(region, read_timeout=timeout, client=client)
        self._inference: dict[str, Any] = {"temperature": temperature}
        if max_tokens is not None:
            self._inference["maxTokens"] = max_tokens
        self._tool_choice = 0  # index into TOOL_CHOICES; steps down when the model refuses one

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        # json_mode without a response model has no Converse equivalent: the schema instruction in the prompt rules.
        response = self._converse(self._request_for(messages), has_tools=False)
        return RawReply(text=_reply_text(response), usage=_usage(response))

    def _send_structured(
        self, messages: Sequence[ChatMessage], response_model: type[BaseModel], timeout: float
    ) -> RawReply:
        while True:
            choice = self._tool_choice
            if choice >= len(TOOL_CHOICES):
                raise ResponseFormatRejected(f"{self.model_id} takes no tool choice")
            request = self._request_for(_schema_as_tool(messages, response_model))
            request["toolConfig"] = self._tool_config(response_model, TOOL_CHOICES[choice])
            try:
                response = self._converse(request, has_tools=True)
            except _ToolChoiceRejected:
                # Remember it for this instance: the model will refuse the same choice every time.
                self._tool_choice = max(self._tool_choice, choice + 1)
                continue
            return RawReply(text=_reply_text(response), usage=_usage(response))

    def _request_for(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        system, turns = converse_messages(messages)
        request: dict[str, Any] = {"modelId": self._model, "messages": turns, "inferenceConfig": dict(self._inference)}
        if system:
            request["system"] = system
        return request

    @staticmethod
    def _tool_config(response_model: type[BaseModel], choice: str) -> dict[str, Any]:
        schema = inline_refs(compact_schema(response_model))
        spec = {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "inputSchema": {"json": schema}}
        tool_choice: dict[str, Any] = {"tool": {"name": TOOL_NAME}} if choice == "tool" else {"any": {}}
        return {"tools": [{"toolSpec": spec}], "toolChoice": tool_choice}

    def _converse(self, request: dict[str, Any], *, has_tools: bool) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self._client.get().converse(**request)
        except ClientError as error:
            raise self._classify(error, has_tools) from error
        except CONNECTION_ERRORS as error:
            raise TransientModelError(f"{type(error).__name__}") from error
        stop = str(response.get("stopReason", ""))
        if stop in REFUSALS:
            raise ModelInputRejected(f"bedrock refused the input (stopReason {stop})")
        return response

    def _classify(self, error: ClientError, has_tools: bool) -> Exception:
        code = error_code(error)
        if is_transient(error):
            return TransientModelError(f"bedrock {code}")
        if has_tools and code == "ValidationException" and "tool" in error_message(error).lower():
            return _ToolChoiceRejected(error_message(error))
        message = f"bedrock request rejected: {code}"
        if blames_the_input(error):  # input too long, content the model will not take: this input, not the setup
            return ModelInputRejected(message)
        return DependencyUnavailable(message)  # access not enabled, unknown model id, quota: the operator's to fix
