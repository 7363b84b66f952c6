"""ChatModel over the native `dashscope` SDK (Qwen models)."""

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import requests

from mnemoscope.adapters.models.structured import (
    RawReply,
    ResponseFormatRejected,
    StructuredChatModel,
    TransientModelError,
)
from mnemoscope.domain.errors import DependencyUnavailable, ModelInputRejected
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage

# DashScope answers errors in the response (status_code, code, message) rather than raising.
_TRANSIENT_CODES = ("Throttling", "InternalError", "ServiceUnavailable", "RequestTimeOut", "ModelServiceFailed")


def _default_generation() -> Callable[..., Any]:
    import dashscope  # deferred: importing the SDK costs cold-start time and is only needed for real calls

    return dashscope.Generation.call


def _field(obj: Any, name: str) -> Any:
    """DashScope responses are dict subclasses with attribute access; accept plain dicts too."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _check_status(response: Any, json_mode: bool) -> None:
    status = int(_field(response, "status_code") or 0)
    if status == HTTPStatus.OK:
        return
    code = str(_field(response, "code") or "")
    message = str(_field(response, "message") or "")
    if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise TransientModelError(f"HTTP {status} {code}")
    if code.startswith(_TRANSIENT_CODES):
        raise TransientModelError(f"HTTP {status} {code}")
    if json_mode and status == HTTPStatus.BAD_REQUEST and "response_format" in f"{code} {message}".lower():
        raise ResponseFormatRejected(message)
    if status == HTTPStatus.BAD_REQUEST:  # DataInspectionFailed (content filter), input too long: this input
        raise ModelInputRejected(f"dashscope request rejected: HTTP {status} {code}")
    raise DependencyUnavailable(f"dashscope request rejected: HTTP {status} {code}")


def _text(response: Any) -> str:
    output = _field(response, "output") or {}
    choices = _field(output, "choices") or []
    if choices:
        message = _field(choices[0], "message") or {}
        content = _field(message, "content")
        if isinstance(content, list):  # multimodal-style content parts
            return "".join(str(_field(part, "text") or "") for part in content)
        return str(content or "")
    return str(_field(output, "text") or "")


class DashScopeChatModel(StructuredChatModel):
    """`dashscope.Generation.call(..., result_format="message")`; the callable is injectable for tests."""

    provider = "dashscope"

    def __init__(
        self,
        model: str = "qwen-plus",
        api_key: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        generation: Callable[..., Any] | None = None,
        *,
        deadline: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        temperature: float = 0.01,
    ) -> None:
        kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, "deadline": deadline}
        if sleep is not None:
            kwargs["sleep"] = sleep
        super().__init__(model, **kwargs)
        self._api_key = api_key
        self._temperature = temperature
        self._generation = generation

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        call = self._generation or _default_generation()
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "result_format": "message",
            "api_key": self._api_key,
            "temperature": self._temperature,
            "request_timeout": max(1, round(timeout)),  # the SDK takes whole seconds
        }
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        try:
            response = call(**request)
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError, TimeoutError, ConnectionError) as e:
            raise TransientModelError(f"{type(e).__name__}") from e
        _check_status(response, json_mode)
        usage = _field(response, "usage") or {}
        return RawReply(
            text=_text(response),
            usage=TokenUsage(
                prompt_tokens=int(_field(usage, "input_tokens") or 0),
                completion_tokens=int(_field(usage, "output_tokens") or 0),
                requests=1,
            ),
        )
