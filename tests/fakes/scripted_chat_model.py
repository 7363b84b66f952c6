"""ScriptedChatModel: a ChatModel that answers from a queue of raw texts (or raises queued exceptions).

It runs the real provider-independent policy (JSON extraction, validation, one repair, retries), so tests see what
a real adapter would do with the same raw answers. Every request's messages are recorded."""

import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mnemoscope.adapters.models.structured import RawReply, StructuredChatModel
from mnemoscope.ports.chat_model import ChatMessage, T, TokenUsage

Answer = str | Exception | Callable[[Sequence[ChatMessage]], str]


def as_json(value: Any) -> str:
    """A compact JSON answer, as a model would write it."""
    return json.dumps(value, ensure_ascii=False)


class ScriptedChatModel(StructuredChatModel):
    provider = "scripted"

    def __init__(self, answers: Iterable[Answer] = (), *, model: str = "scripted-1", max_retries: int = 2) -> None:
        self.sleeps: list[float] = []
        super().__init__(model, max_retries=max_retries, sleep=self.sleeps.append, rng=lambda: 0.5)
        self.answers: deque[Answer] = deque(answers)
        self.requests: list[list[ChatMessage]] = []  # every request, repairs and retries included
        self.calls: list[str] = []  # one entry per generate/complete: the response model's name or "complete"

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def generate(self, messages: Sequence[ChatMessage], response_model: type[T]) -> T:
        self.calls.append(response_model.__name__)
        return super().generate(messages, response_model)

    def complete(self, messages: Sequence[ChatMessage]) -> str:
        self.calls.append("complete")
        return super().complete(messages)

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        self.requests.append(list(messages))
        if not self.answers:
            raise AssertionError("ScriptedChatModel: no scripted answer left for this request")
        answer = self.answers.popleft()
        if isinstance(answer, Exception):
            raise answer
        text = answer if isinstance(answer, str) else answer(messages)
        prompt_chars = sum(len(m.content) for m in messages)
        # Rough usage (4 characters a token); real token counts come from the providers or a tokenizer.
        return RawReply(text, TokenUsage(prompt_tokens=prompt_chars // 4, completion_tokens=len(text) // 4, requests=1))

    @property
    def user_prompts(self) -> list[str]:
        """The last user message of each request."""
        return [next(m.content for m in reversed(r) if m.role == "user") for r in self.requests]
