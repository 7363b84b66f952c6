"""Provider-independent LLM call policy: JSON extraction, pydantic validation, one repair, bounded retries.

Adapters implement `_send` (one HTTP request) and classify failures by raising `TransientModelError` (retry with
backoff), `ResponseFormatRejected` (the server refuses JSON mode: fall back to plain text and our parser) or
`DependencyUnavailable` (permanent: auth, bad request). No SDK is imported here."""

import json
import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid
from mnemoscope.ports.chat_model import ChatMessage, T, TokenUsage, current_budget

logger = logging.getLogger(__name__)

# Keep this much of the time budget for the caller's own writes after the last model request.
BUDGET_RESERVE_SECONDS = 2.0
MAX_ECHOED_OUTPUT_CHARS = 6_000
MAX_ERROR_CHARS = 2_000


class TransientModelError(Exception):
    """A failure worth retrying (429, 5xx, timeout, dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ResponseFormatRejected(Exception):
    """The server refused `response_format` (some vLLM/Ollama/older model versions)."""


class OutputInvalid(ValueError):
    """The text is not a JSON object matching the response model; the message is shown to the model."""


@dataclass(frozen=True)
class RawReply:
    text: str
    usage: TokenUsage


_DECODER = json.JSONDecoder()
MAX_JSON_STARTS = 20


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in `text` that parses, ignoring ```json fences and prose around it."""
    start = text.find("{")
    if start < 0:
        raise OutputInvalid("the answer contains no JSON object")
    first_error: json.JSONDecodeError | None = None
    for _ in range(MAX_JSON_STARTS):
        try:
            value, _end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as error:
            first_error = first_error or error
        else:
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
        if start < 0:
            break
    detail = f"{first_error.msg} at character {first_error.pos}" if first_error else "no object found"
    raise OutputInvalid(f"invalid or truncated JSON ({detail})")


def parse_structured(text: str, response_model: type[T]) -> T:
    """Validate the model's answer. Raises OutputInvalid with a message fit to send back to the model."""
    data = extract_json(text)
    try:
        return response_model.model_validate(data)
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in error.errors())
        raise OutputInvalid(f"the JSON does not match the schema: {details}"[:MAX_ERROR_CHARS]) from error


def _without_titles(node: Any) -> Any:
    """The schema minus pydantic's generated titles: they cost tokens and tell the model nothing."""
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


def compact_schema(response_model: type[BaseModel]) -> dict[str, Any]:
    """The response model's JSON schema (its Field descriptions are the contract) without the titles."""
    schema: dict[str, Any] = _without_titles(response_model.model_json_schema())
    return schema


def schema_instruction(response_model: type[BaseModel]) -> str:
    """The output contract appended to the system prompt: the response model's JSON schema (Field descriptions)."""
    schema = json.dumps(compact_schema(response_model), ensure_ascii=False, separators=(",", ":"))
    return f"\n\nReply with ONE JSON object and nothing else. It must follow this JSON schema:\n{schema}"


def with_schema(messages: Sequence[ChatMessage], response_model: type[BaseModel]) -> list[ChatMessage]:
    """Messages with the schema instruction added to the first system message (or as a new one)."""
    out = list(messages)
    instruction = schema_instruction(response_model)
    for i, message in enumerate(out):
        if message.role == "system":
            out[i] = ChatMessage(role="system", content=message.content + instruction)
            return out
    return [ChatMessage(role="system", content=instruction.strip()), *out]


def repair_messages(messages: Sequence[ChatMessage], bad_output: str, problem: str) -> list[ChatMessage]:
    """The original conversation plus the invalid answer and what was wrong with it."""
    return [
        *messages,
        ChatMessage(role="assistant", content=bad_output[:MAX_ECHOED_OUTPUT_CHARS] or "(empty answer)"),
        ChatMessage(
            role="user",
            content=(
                f"Your answer was not valid: {problem}\n"
                "Reply again with ONE complete JSON object that follows the schema exactly. Keep the facts in the "
                "language they were written in. No prose, no code fences."
            ),
        ),
    ]


class StructuredChatModel(ABC):
    """Base of every ChatModel adapter: the retry/repair/budget policy around one `_send` per request."""

    provider = "model"

    def __init__(
        self,
        model: str,
        *,
        timeout: float = 20.0,
        max_retries: int = 2,
        deadline: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self._model = model
        self._timeout = timeout
        self._max_retries = max_retries
        self._deadline = deadline
        self._sleep = sleep
        self._rng = rng
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._json_mode = True
        self._lock = threading.Lock()
        self._usage = TokenUsage()
        self._last_usage = TokenUsage()

    @property
    def model_id(self) -> str:
        return f"{self.provider}:{self._model}"

    @property
    def usage(self) -> TokenUsage:
        return self._usage

    @property
    def last_usage(self) -> TokenUsage:
        return self._last_usage

    @abstractmethod
    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        """One request. Raise TransientModelError, ResponseFormatRejected or DependencyUnavailable."""

    def _send_structured(
        self, messages: Sequence[ChatMessage], response_model: type[BaseModel], timeout: float
    ) -> RawReply:
        """One request for a `response_model` object: JSON mode by default. An adapter whose provider has a native
        mechanism (Bedrock's forced tool use) overrides it; the reply text is validated the same way either way."""
        return self._send(messages, True, timeout)

    def generate(self, messages: Sequence[ChatMessage], response_model: type[T]) -> T:
        """Structured call with one repair request; see the ChatModel port."""
        self._last_usage = TokenUsage()
        prompt = with_schema(messages, response_model)
        reply = self._request(prompt, json_mode=True, response_model=response_model)
        try:
            return parse_structured(reply.text, response_model)
        except OutputInvalid as first:
            logger.warning("model output invalid, asking for a repair", extra={"model": self.model_id})
            repaired = self._request(
                repair_messages(prompt, reply.text, str(first)), json_mode=True, response_model=response_model
            )
            try:
                return parse_structured(repaired.text, response_model)
            except OutputInvalid as second:
                raise LlmOutputInvalid(f"{self.model_id} output invalid after one repair: {second}") from second

    def complete(self, messages: Sequence[ChatMessage]) -> str:
        """Free-text call with the same retry policy."""
        self._last_usage = TokenUsage()
        return self._request(messages, json_mode=False).text

    def _request(
        self, messages: Sequence[ChatMessage], json_mode: bool, response_model: type[BaseModel] | None = None
    ) -> RawReply:
        attempt = 0
        while True:
            timeout = self._attempt_timeout()
            use_json = json_mode and self._json_mode
            try:
                if use_json and response_model is not None:
                    reply = self._send_structured(messages, response_model, timeout)
                else:
                    reply = self._send(messages, use_json, timeout)
            except ResponseFormatRejected as error:
                if not use_json:
                    raise DependencyUnavailable(f"{self.model_id} rejected a plain request: {error}") from error
                # Remember it for this instance: the server will refuse JSON mode every time.
                logger.warning("response_format rejected, falling back to plain text", extra={"model": self.model_id})
                self._json_mode = False
                continue
            except TransientModelError as error:
                attempt += 1
                self._wait_before_retry(attempt, error)
                continue
            self._record(reply.usage)
            return reply

    def _attempt_timeout(self) -> float:
        remaining = self._remaining()
        if remaining is None:
            return self._timeout
        usable = remaining - BUDGET_RESERVE_SECONDS
        if usable < 1.0:
            raise DependencyUnavailable(f"{self.model_id}: no time left in the budget for a model request")
        return min(self._timeout, usable)

    def _wait_before_retry(self, attempt: int, error: TransientModelError) -> None:
        if attempt > self._max_retries:
            raise DependencyUnavailable(f"{self.model_id} unavailable after {attempt} attempts: {error}") from error
        cap = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
        delay = cap / 2 + self._rng() * cap / 2  # "equal jitter": spread retries, keep a floor
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, self._max_delay))
        remaining = self._remaining()
        if remaining is not None and remaining - delay - BUDGET_RESERVE_SECONDS < 1.0:
            raise DependencyUnavailable(f"{self.model_id}: {error}; no time left to retry") from error
        logger.info("model request failed, retrying", extra={"model": self.model_id, "attempt": attempt})
        self._sleep(delay)

    def _remaining(self) -> float | None:
        budget = self._deadline or current_budget()
        return None if budget is None else budget()

    def _record(self, usage: TokenUsage) -> None:
        with self._lock:
            self._usage = self._usage + usage
            self._last_usage = self._last_usage + usage
