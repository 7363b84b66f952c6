"""Fixtures for reflection tests: the shared World (tests/fakes/world.py) and scripted answers that read their
labels from the prompt (labels depend on ordering, so tests never hard-code them)."""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mnemoscope.ports.chat_model import ChatMessage
from tests.fakes.scripted_chat_model import as_json
from tests.fakes.world import World

NOW = datetime(2024, 8, 10, 4, 0, tzinfo=UTC)  # Saturday noon in Shanghai


def day(d: int, month: int = 8) -> datetime:
    """07:00 UTC (15:00 in Shanghai) on 2024-<month>-<d>."""
    return datetime(2024, month, d, 7, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.on_sqlite(tmp_path, now=NOW)


# -- scripted answers that look their labels up in the prompt -------------------------------------------------
Answer = Callable[[Sequence[ChatMessage]], str]


def label_of(messages: Sequence[ChatMessage], content: str) -> str:
    """The O-label the prompt gave the memory with this content."""
    match = re.search(rf"^(O\d+) \([^)]*\): {re.escape(content)}$", messages[-1].content, flags=re.MULTILINE)
    assert match, f"{content!r} is not in the prompt"
    return match.group(1)


def insight_label(messages: Sequence[ChatMessage], subject: str) -> str:
    match = re.search(rf"^(I\d+) \[{re.escape(subject)}\]", messages[-1].content, flags=re.MULTILINE)
    assert match, f"insight {subject!r} is not in the prompt"
    return match.group(1)


def subjects(*proposals: tuple[str, Sequence[str]]) -> Answer:
    """A discovery answer: (subject, contents of the observations it cites)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        items = [{"subject": s, "observations": [label_of(messages, c) for c in cited]} for s, cited in proposals]
        return as_json({"subjects": items})

    return answer


def updates(*items: tuple[str, str, str | None, Sequence[str]]) -> Answer:
    """An update answer: (subject, status, value, contents of the cited observations)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        out = [
            {
                "insight": insight_label(messages, subject),
                "status": status,
                "value": value,
                "observations": [label_of(messages, c) for c in cited],
            }
            for subject, status, value, cited in items
        ]
        return as_json({"updates": out})

    return answer


def pairs(*items: tuple[str, str, str]) -> Answer:
    """A re-consolidation answer: (newer content, older content, relation)."""

    def answer(messages: Sequence[ChatMessage]) -> str:
        out = [
            {"newer": label_of(messages, newer), "older": label_of(messages, older), "relation": relation}
            for newer, older, relation in items
        ]
        return as_json({"pairs": out})

    return answer
