"""Answering one question three ways with the same model: from the service's memories (both speakers' scopes
searched with `at` = the question time), from the whole conversation (full-context baseline), from nothing
(no-memory baseline)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mnemoscope.client import MemoryClient
from mnemoscope.evaluation.dataset import Conversation, Question
from mnemoscope.evaluation.prompts import ANSWER_SYSTEM, ANSWER_WITH_CONTEXT, ANSWER_WITHOUT_CONTEXT
from mnemoscope.ports.chat_model import ChatMessage, ChatModel

SYSTEMS = ("memory", "full-context", "no-memory")


@dataclass
class Answer:
    text: str
    context: str
    search_ms: list[float] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def memory_context(client: MemoryClient, scopes: dict[str, str], question: Question, top_k: int) -> Answer:
    """The `context` field of one search per speaker scope, each headed by whose memories they are."""
    parts: list[str] = []
    latencies: list[float] = []
    for speaker, user_id in scopes.items():
        began = time.perf_counter()
        found = client.search(user_id, question.question, top_k=top_k, at=question.at)
        latencies.append(1000 * (time.perf_counter() - began))
        parts.append(f"## Memories of {speaker}\n{found.context.strip() or '(none)'}")
    return Answer(text="", context="\n\n".join(parts), search_ms=latencies)


def transcript(conversation: Conversation) -> str:
    """The whole conversation, session by session, with the session dates."""
    blocks = []
    for session in conversation.sessions:
        lines = [f"[Session {session.number}, {session.time:%d %B %Y, %H:%M}]"]
        lines += [f"{turn.speaker}: {turn.text}" for turn in session.turns]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def ask(model: ChatModel, conversation: Conversation, question: Question, context: str | None, label: str) -> Answer:
    a, b = conversation.speakers
    date = f"{question.at:%d %B %Y}"
    user = (
        ANSWER_WITHOUT_CONTEXT.format(date=date, question=question.question)
        if context is None
        else ANSWER_WITH_CONTEXT.format(label=label, context=context, date=date, question=question.question)
    )
    messages = [
        ChatMessage(role="system", content=ANSWER_SYSTEM.format(a=a, b=b)),
        ChatMessage(role="user", content=user),
    ]
    text = model.complete(messages).strip()
    usage = model.last_usage
    return Answer(text, context or "", prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)


def answer(
    system: str,
    model: ChatModel,
    client: MemoryClient,
    conversation: Conversation,
    scopes: dict[str, str],
    question: Question,
    top_k: int,
    full_transcript: Callable[[], str],
) -> Answer:
    if system == "memory":
        found = memory_context(client, scopes, question, top_k)
        result = ask(model, conversation, question, found.context, "Memories")
        result.search_ms = found.search_ms
        return result
    if system == "full-context":
        return ask(model, conversation, question, full_transcript(), "Conversation")
    if system == "no-memory":
        return ask(model, conversation, question, None, "")
    raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")
