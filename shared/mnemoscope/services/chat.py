"""Memory-augmented chat: retrieve → a system prompt with the time and the recalled memories → the model's reply →
both turns appended to the log (which enqueues consolidation)."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Literal

from mnemoscope.contracts.api import MAX_TURN_CHARS, NewMessage
from mnemoscope.domain.errors import LlmOutputInvalid, ModelNotConfigured
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.chat_model import ChatMessage, ChatModel, current_budget, time_budget
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.memory_index import ScoredMemory
from mnemoscope.prompts.chat import chat_system_prompt
from mnemoscope.services.context_lines import memory_line
from mnemoscope.services.ingest import IngestService
from mnemoscope.services.retrieval import RetrievalService, SearchQuery

History = Literal["auto", "none"] | int
CHAT_MEMORIES = 10
# API Gateway cuts a REST integration at 29 s and the api function's Timeout is 25 s: the whole chat (retrieval and
# every model attempt with its retries) must end before, and answer 503 JSON, not a gateway 504 page.
DEFAULT_BUDGET_SECONDS = 22.0


@dataclass(frozen=True)
class ChatResult:
    reply: str
    memories: list[ScoredMemory]
    recent: list[LoggedMessage]


class ChatService:
    def __init__(
        self,
        retrieval: RetrievalService,
        ingest: IngestService,
        chat_log: ChatLog,
        chat_model: ChatModel | None,
        clock: Clock,
        *,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._retrieval = retrieval
        self._ingest = ingest
        self._chat_log = chat_log
        self._model = chat_model
        self._clock = clock
        self._budget_seconds = budget_seconds
        self._monotonic = monotonic

    def chat(
        self, scope: Scope, message: str, system_prompt: str | None, history: History, timezone: str | None
    ) -> ChatResult:
        """Raises: ModelNotConfigured without a chat model; DependencyUnavailable when the model fails or the time
        budget runs out (model attempts and retries are planned within what is left of it)."""
        if self._model is None:
            raise ModelNotConfigured("chat needs a chat model: set MNEMOSCOPE_CHAT_PROVIDER")
        with time_budget(self._remaining_seconds()):
            return self._chat(self._model, scope, message, system_prompt, history, timezone)

    def _remaining_seconds(self) -> Callable[[], float]:
        deadline = self._monotonic() + self._budget_seconds
        outer = current_budget()  # e.g. the Lambda invocation's own remaining time

        def remaining() -> float:
            own = deadline - self._monotonic()
            return own if outer is None else min(own, outer())

        return remaining

    def _chat(
        self,
        model: ChatModel,
        scope: Scope,
        message: str,
        system_prompt: str | None,
        history: History,
        timezone: str | None,
    ) -> ChatResult:
        found = self._retrieval.search(scope, SearchQuery(query=message, top_k=CHAT_MEMORIES, timezone=timezone))
        lines = [memory_line(hit.node, found.now.tzinfo or UTC) for hit in found.memories]
        system = chat_system_prompt(found.now, lines, system_prompt, message)
        turns = self._history(scope, history, found.recent)
        messages = [
            ChatMessage(role="system", content=system),
            *(ChatMessage(role=t.message.role, content=t.message.content) for t in turns if t.message.role != "system"),
            ChatMessage(role="user", content=message),
        ]
        reply = model.complete(messages).replace("\x00", "")
        if not reply.strip():
            raise LlmOutputInvalid("the chat model gave an empty reply")  # the model's fault: 502, nothing logged
        said_at = self._clock.now()
        # The caller gets the whole reply; the log keeps what a turn may hold.
        logged_reply = reply[:MAX_TURN_CHARS]
        self._ingest.append(
            scope,
            [
                NewMessage(role="user", content=message, created_at=said_at),
                NewMessage(role="assistant", content=logged_reply, created_at=said_at + timedelta(microseconds=1)),
            ],
        )
        return ChatResult(reply=reply, memories=found.memories, recent=found.recent)

    def _history(self, scope: Scope, history: History, recent: list[LoggedMessage]) -> list[LoggedMessage]:
        if history == "none":
            return []
        if history == "auto":
            return recent  # the unconsolidated turns: what memory does not hold yet (MemoryScope's choice)
        return self._chat_log.recent(scope, int(history)) if history else []
