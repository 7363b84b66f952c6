"""Domain models validate their invariants."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from mnemoscope.domain.ids import derived_id, is_valid_id, new_id
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import TimeRange
from tests.contracts.builders import memory

NOW = datetime(2024, 8, 2, tzinfo=UTC)


@pytest.mark.parametrize("good", ["alice", "a", "user@example.com", "tenant:42", "A.b-c_d", "x" * 128])
def test_scope_accepts_allowed_ids(good: str) -> None:
    scope = Scope(tenant_id=good, agent_id=good, user_id=good)
    assert Scope.from_key(scope.key) == scope


@pytest.mark.parametrize("bad", ["", "x" * 129, "a/b", "a b", "ünï", "a\n", "a#b"])
def test_scope_refuses_forbidden_ids(bad: str) -> None:
    with pytest.raises(ValidationError):
        Scope(tenant_id="t", user_id=bad)


def test_scope_defaults_agent() -> None:
    assert Scope(tenant_id="t", user_id="u").agent_id == "default"


def test_message_needs_aware_time_and_bounded_content() -> None:
    Message(id="m1", role="user", content="hi", created_at=NOW)
    with pytest.raises(ValidationError):
        Message(id="m1", role="user", content="hi", created_at=datetime(2024, 8, 2))
    with pytest.raises(ValidationError):
        Message(id="m1", role="user", content="x" * 16_001, created_at=NOW)
    with pytest.raises(ValidationError):
        Message(id="m1", role="robot", content="hi", created_at=NOW)  # type: ignore[arg-type]


def test_time_range_is_half_open_and_ordered() -> None:
    with pytest.raises(ValidationError):
        TimeRange(start=NOW, end=NOW)
    with pytest.raises(ValidationError):
        TimeRange(start=NOW, end=NOW - timedelta(days=1))
    day = TimeRange(start=NOW, end=NOW + timedelta(days=1))
    next_day = TimeRange(start=NOW + timedelta(days=1), end=NOW + timedelta(days=2))
    assert not day.overlaps(next_day)


def test_expire_keeps_history() -> None:
    node = memory("a", "Alice works at a bakery")
    expired = node.expire("b", NOW)
    assert (expired.status, expired.superseded_by, expired.updated_at) == ("expired", "b", NOW)
    assert expired.content == node.content


def test_ids() -> None:
    assert derived_id("obs", "s", "m1", "0") == derived_id("obs", "s", "m1", "0")
    assert derived_id("obs", "s", "m1", "0") != derived_id("obs", "s", "m1", "1")
    assert is_valid_id(derived_id("obs", "x")) and is_valid_id(new_id("cus"))
    assert new_id("cus") != new_id("cus")
