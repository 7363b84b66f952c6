"""ChatModel over the `openai` SDK; also serves any OpenAI-compatible base URL (vLLM, Ollama, llama.cpp)."""

from collections.abc import Callable, Sequence
from typing import Any

import openai

from mnemoscope.adapters.models.structured import (
    RawReply,
    ResponseFormatRejected,
    StructuredChatModel,
    TransientModelError,
)
from mnemoscope.domain.errors import DependencyUnavailable, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage

_TRANSIENT_STATUS = frozenset({408, 409, 429})
_INPUT_REJECTED_STATUS = frozenset({400, 413, 422})


def _retry_after(error: openai.APIStatusError) -> float | None:
    raw = error.response.headers.get("retry-after")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _mentions_response_format(error: openai.APIStatusError) -> bool:
    text = f"{error.message} {error.body}".lower()
    return "response_format" in text or "json_object" in text or "response format" in text


def _classify(error: openai.OpenAIError, json_mode: bool) -> Exception:
    """Map an SDK error to our policy's exception types."""
    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        return TransientModelError(f"{type(error).__name__}: {error}")
    if isinstance(error, openai.APIStatusError):
        if error.status_code in _TRANSIENT_STATUS or error.status_code >= 500:
            return TransientModelError(f"HTTP {error.status_code}", retry_after=_retry_after(error))
        if json_mode and error.status_code in (400, 422) and _mentions_response_format(error):
            return ResponseFormatRejected(str(error.message))
        message = f"openai request rejected: HTTP {error.status_code} {error.code or ''}".strip()
        if error.status_code in _INPUT_REJECTED_STATUS:  # content filter, context length: this input, not the setup
            return ModelInputRejected(message)
        return DependencyUnavailable(message)
    return DependencyUnavailable(f"openai error: {type(error).__name__}")


class OpenAIChatModel(StructuredChatModel):
    """OpenAI chat completions. The SDK's own retries are off (`max_retries=0`): our policy rules."""

    provider = "openai"

    def __init__(
        self,
        model: str = "gpt-4o-mini",
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        client: Any | None = None,
        *,
        deadline: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        temperature: float = 0.0,
    ) -> None:
        kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, "deadline": deadline}
        if sleep is not None:
            kwargs["sleep"] = sleep
        super().__init__(model, **kwargs)
        self._temperature = temperature
        # Built lazily-cheap: the SDK client makes no request at construction.
        self._client: Any = client or openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": self._temperature,
            "timeout": timeout,
        }
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        try:
            response = self._client.chat.completions.create(**request)
        except openai.OpenAIError as error:
            raise _classify(error, json_mode) from error
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "") if choices else ""
        usage = getattr(response, "usage", None)
        return RawReply(
            text=text,
            usage=TokenUsage(
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                requests=1,
            ),
        )
