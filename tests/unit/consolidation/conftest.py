"""Fixtures for consolidation tests: the shared World (tests/fakes/world.py) and builders for scripted answers."""

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.ports.chat_model import ChatMessage
from tests.fakes.world import World

# Friday 2024-08-02, 15:00 in Shanghai (07:00 UTC): the notebook scenario's "next week" is 2024-08-05..12.
FRIDAY = datetime(2024, 8, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.on_sqlite(tmp_path, now=datetime(2024, 8, 2, 12, 0, tzinfo=UTC), first_turn_at=FRIDAY)


def extraction(*turns: tuple[str, int, list[dict[str, Any]]]) -> dict[str, Any]:
    """An extraction answer: (message_id, score, facts)."""
    return {"turns": [{"message_id": mid, "score": score, "facts": facts} for mid, score, facts in turns]}


def fact(content: str, *keywords: str, **times: Any) -> dict[str, Any]:
    return {"content": content, "keywords": list(keywords), **times}


def decisions(*items: tuple[str, str, str | None]) -> dict[str, Any]:
    return {"decisions": [{"fact": f, "decision": d, "target": t} for f, d, t in items]}


def all_new(messages: Sequence[ChatMessage]) -> str:
    """A reconcile answer that calls every listed new fact 'new' (whatever the neighbour search found)."""
    labels = re.findall(r"^(F\d+) \(", messages[-1].content, flags=re.MULTILINE)
    return json.dumps(decisions(*((label, "new", None) for label in labels)))
