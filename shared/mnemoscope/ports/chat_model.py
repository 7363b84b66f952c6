"""ChatModel port: structured (pydantic-validated) and free-text LLM calls, with token usage and a time budget."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ChatRole = Literal["system", "user", "assistant"]
T = TypeVar("T", bound=BaseModel)


class ChatMessage(BaseModel):
    """One message sent to a chat model."""

    model_config = ConfigDict(frozen=True)

    role: ChatRole
    content: str


class TokenUsage(BaseModel):
    """Tokens billed by the provider (as the provider reports them)."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    requests: int = Field(default=0, ge=0)

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            requests=self.requests + other.requests,
        )

    def __sub__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(
            prompt_tokens=max(0, self.prompt_tokens - other.prompt_tokens),
            completion_tokens=max(0, self.completion_tokens - other.completion_tokens),
            requests=max(0, self.requests - other.requests),
        )


class ChatModel(Protocol):
    @property
    def model_id(self) -> str:
        """Provider and model name actually sent, e.g. 'openai:gpt-4o-mini'."""
        ...

    @property
    def usage(self) -> TokenUsage:
        """Cumulative usage of every request this instance made (repairs and retries included)."""
        ...

    @property
    def last_usage(self) -> TokenUsage:
        """Usage of the most recent `generate`/`complete` call, all of its requests together."""
        ...

    def generate(self, messages: Sequence[ChatMessage], response_model: type[T]) -> T:
        """Ask for one JSON object and validate it as `response_model`.

        Raises:
            LlmOutputInvalid: the answer did not validate, even after one repair request.
            DependencyUnavailable: the provider failed, timed out or the time budget ran out.
        """
        ...

    def complete(self, messages: Sequence[ChatMessage]) -> str:
        """Free-text answer. Raises DependencyUnavailable like `generate`."""
        ...


# Remaining seconds of the current invocation (e.g. Lambda's context), set per call by the handler so a cached
# model adapter never plans a retry that the function's timeout would cut off.
_BUDGET: ContextVar[Callable[[], float] | None] = ContextVar("mnemoscope_time_budget", default=None)


@contextmanager
def time_budget(remaining_seconds: Callable[[], float]) -> Iterator[None]:
    """Bound every model call made inside the block by `remaining_seconds()`."""
    token = _BUDGET.set(remaining_seconds)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def current_budget() -> Callable[[], float] | None:
    """The time budget set by the innermost `time_budget` block, if any."""
    return _BUDGET.get()
