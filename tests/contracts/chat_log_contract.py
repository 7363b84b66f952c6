"""The ChatLog contract: every adapter runs these tests through a `chat_log` fixture giving a fresh, empty log."""

from datetime import timedelta

import pytest

from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.ports.chat_log import ChatLog, FailureStreak, QuarantineRecord
from tests.contracts.builders import T0, message, scope


class ChatLogContract:
    def test_append_then_pending_returns_turns_in_order(self, chat_log: ChatLog) -> None:
        # Given
        s = scope()
        # When
        result = chat_log.append(s, [message(1), message(2, role="assistant"), message(3)])
        # Then
        assert result.stored_ids == ("m1", "m2", "m3")
        assert result.duplicate_ids == ()
        pending = chat_log.pending(s)
        assert [p.message.id for p in pending] == ["m1", "m2", "m3"]
        assert [p.seq for p in pending] == sorted(p.seq for p in pending)
        assert pending[1].message.role == "assistant"
        assert pending[0].message.created_at == message(1).created_at

    def test_append_is_idempotent_by_message_id(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        result = chat_log.append(s, [message(2), message(3)])
        assert result.stored_ids == ("m3",)
        assert result.duplicate_ids == ("m2",)
        assert [p.message.id for p in chat_log.pending(s)] == ["m1", "m2", "m3"]

    def test_same_message_id_in_two_scopes_is_two_messages(self, chat_log: ChatLog) -> None:
        chat_log.append(scope("alice"), [message(1, content="alice says")])
        chat_log.append(scope("bob"), [message(1, content="bob says")])
        assert chat_log.pending(scope("alice"))[0].message.content == "alice says"
        assert chat_log.pending(scope("bob"))[0].message.content == "bob says"

    def test_watermark_hides_consolidated_turns_and_only_moves_forward(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(i) for i in range(1, 5)])
        seq_of_m2 = chat_log.pending(s)[1].seq
        # When
        chat_log.advance_watermark(s, seq_of_m2, new_observations=2, at=T0)
        chat_log.advance_watermark(s, seq_of_m2 - 1)
        # Then
        assert [p.message.id for p in chat_log.pending(s)] == ["m3", "m4"]
        state = chat_log.state(s)
        assert state.watermark == seq_of_m2
        assert state.unreflected_observations == 2
        assert state.last_seq >= chat_log.pending(s)[-1].seq

    def test_repeated_watermark_move_counts_observations_once(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        chat_log.advance_watermark(s, 2, new_observations=3, at=T0)
        chat_log.advance_watermark(s, 2, new_observations=3, at=T0)  # a redelivered job
        chat_log.advance_watermark(s, 1, new_observations=3, at=T0)
        assert chat_log.state(s).unreflected_observations == 3
        assert chat_log.state(s).watermark == 2

    def test_late_message_with_old_timestamp_is_still_pending(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        chat_log.advance_watermark(s, chat_log.pending(s)[-1].seq)
        chat_log.append(s, [message(3, at=T0 - timedelta(days=3))])
        assert [p.message.id for p in chat_log.pending(s)] == ["m3"]

    def test_pending_respects_limit(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(i) for i in range(1, 8)])
        assert [p.message.id for p in chat_log.pending(s, limit=3)] == ["m1", "m2", "m3"]

    def test_recent_returns_last_turns_oldest_first(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(i) for i in range(1, 6)])
        assert [p.message.id for p in chat_log.recent(s, 3)] == ["m3", "m4", "m5"]
        assert chat_log.recent(scope("nobody"), 3) == []

    def test_get_messages_by_id(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(i) for i in range(1, 4)])
        found = chat_log.get_messages(s, ["m3", "m1", "missing"])
        assert [p.message.id for p in found] == ["m1", "m3"]
        assert chat_log.get_messages(scope("bob"), ["m1"]) == []

    def test_unknown_scope_has_empty_state(self, chat_log: ChatLog) -> None:
        state = chat_log.state(scope("nobody"))
        assert (state.last_seq, state.watermark, state.unreflected_observations) == (0, 0, 0)
        assert chat_log.pending(scope("nobody")) == []

    def test_reflection_bookkeeping(self, chat_log: ChatLog) -> None:
        busy, quiet, idle = scope("busy"), scope("quiet"), scope("idle")
        for s in (busy, quiet, idle):
            chat_log.append(s, [message(1)])
        chat_log.advance_watermark(busy, 1, new_observations=7, at=T0)
        chat_log.advance_watermark(quiet, 1, new_observations=1, at=T0 - timedelta(days=2))
        chat_log.advance_watermark(idle, 1, new_observations=0, at=T0)
        # When: 6 observations or one older than a day make a scope due
        due = chat_log.scopes_due_for_reflection(min_observations=6, max_age_before=T0 - timedelta(days=1))
        # Then
        assert sorted(s.user_id for s in due) == ["busy", "quiet"]
        chat_log.mark_reflected(busy, at=T0)
        assert chat_log.state(busy).unreflected_observations == 0
        assert chat_log.state(busy).last_reflected_at == T0
        due = chat_log.scopes_due_for_reflection(min_observations=6, max_age_before=T0 - timedelta(days=1))
        assert [s.user_id for s in due] == ["quiet"]

    def test_scopes_with_pending_turns(self, chat_log: ChatLog) -> None:
        done, waiting, empty = scope("done"), scope("waiting"), scope("empty")
        chat_log.append(done, [message(1)])
        chat_log.append(waiting, [message(1), message(2)])
        chat_log.advance_watermark(done, chat_log.pending(done)[-1].seq)
        chat_log.advance_watermark(waiting, chat_log.pending(waiting)[0].seq)
        chat_log.state(empty)
        assert [s.user_id for s in chat_log.scopes_with_pending()] == ["waiting"]
        assert chat_log.scopes_with_pending(limit=0) == []

    def test_delete_scope_forgets_turns_and_state(self, chat_log: ChatLog) -> None:
        s, other = scope("alice"), scope("bob")
        chat_log.append(s, [message(1), message(2)])
        chat_log.append(other, [message(1)])
        chat_log.advance_watermark(s, 1, new_observations=3, at=T0)
        # When
        chat_log.delete_scope(s)
        # Then
        assert chat_log.pending(s) == []
        assert chat_log.state(s).unreflected_observations == 0
        assert len(chat_log.pending(other)) == 1
        # and the scope can start over
        chat_log.append(s, [message(1)])
        assert [p.message.id for p in chat_log.pending(s)] == ["m1"]

    def test_unicode_and_long_content_round_trip(self, chat_log: ChatLog) -> None:
        s = scope()
        text = "我下周要去杭州出差 🚄 " + "x" * 15_000
        chat_log.append(s, [message(1, content=text)])
        assert chat_log.pending(s)[0].message.content == text

    # -- quarantine, failure streaks, reading turns back -------------------------------------------
    def test_quarantine_moves_the_watermark_past_the_turn_and_keeps_the_reason(self, chat_log: ChatLog) -> None:
        # Given three turns whose first cannot be consolidated
        s = scope()
        chat_log.append(s, [message(1), message(2), message(3)])
        head = chat_log.pending(s)[0].seq
        # When it is quarantined
        chat_log.quarantine(s, [head], quarantine_record(attempts=4))
        # Then the later turns are pending and the first is listed as quarantined with its reason
        assert [p.message.id for p in chat_log.pending(s)] == ["m2", "m3"]
        assert chat_log.state(s).watermark == head
        views = {v.logged.message.id: v for v in chat_log.list_turns(s, limit=10).items}
        assert [views[i].state for i in ("m1", "m2", "m3")] == ["quarantined", "pending", "pending"]
        record = views["m1"].quarantine
        assert record is not None and (record.error, record.attempts) == ("LlmOutputInvalid", 4)
        assert record.quarantined_at == T0

    def test_quarantine_never_moves_the_watermark_back(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2), message(3)])
        chat_log.advance_watermark(s, 3)
        chat_log.quarantine(s, [1], quarantine_record())
        assert chat_log.state(s).watermark == 3
        assert chat_log.pending(s) == []

    def test_released_turns_are_pending_again_until_consolidated(self, chat_log: ChatLog) -> None:
        # Given m1 quarantined, m2 consolidated, m3 new
        s = scope()
        chat_log.append(s, [message(1), message(2), message(3)])
        chat_log.quarantine(s, [1], quarantine_record())
        chat_log.advance_watermark(s, 2)
        # When m1 is released
        released = chat_log.release_quarantine(s)
        # Then it is pending again, first, behind the watermark
        assert released == ["m1"]
        assert [p.message.id for p in chat_log.pending(s)] == ["m1", "m3"]
        assert chat_log.pending(s, limit=1)[0].message.id == "m1"
        assert chat_log.list_turns(s, limit=10).items[-1].state == "pending"
        assert chat_log.release_quarantine(s) == []  # nothing left to release
        # and consolidating up to m3 settles it, counting its observations once
        chat_log.advance_watermark(s, 3, new_observations=2, at=T0)
        chat_log.advance_watermark(s, 3, new_observations=2, at=T0)
        assert chat_log.pending(s) == []
        assert [v.state for v in chat_log.list_turns(s, limit=10).items] == ["consolidated"] * 3
        assert chat_log.state(s).unreflected_observations == 2

    def test_a_released_turn_alone_is_settled_by_its_own_seq(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        chat_log.quarantine(s, [1], quarantine_record())
        chat_log.advance_watermark(s, 2)
        chat_log.release_quarantine(s, ["m1"])
        # When the retried turn is consolidated on its own (its seq is behind the watermark)
        chat_log.advance_watermark(s, 1, new_observations=1, at=T0)
        # Then it is consolidated and its observation counts
        assert chat_log.pending(s) == []
        assert chat_log.state(s).unreflected_observations == 1
        assert chat_log.state(s).watermark == 2

    def test_release_by_id_and_requarantine(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2), message(3)])
        chat_log.quarantine(s, [1], quarantine_record())
        chat_log.quarantine(s, [2], quarantine_record())
        # When only m2 (and an unknown id) is released
        assert chat_log.release_quarantine(s, ["m2", "nope", "m3"]) == ["m2"]
        assert chat_log.release_quarantine(s, []) == []
        assert [p.message.id for p in chat_log.pending(s)] == ["m2", "m3"]
        # and it fails again
        chat_log.quarantine(s, [2], quarantine_record(attempts=2))
        assert [p.message.id for p in chat_log.pending(s)] == ["m3"]
        states = {v.logged.message.id: v.state for v in chat_log.list_turns(s, limit=10).items}
        assert states == {"m1": "quarantined", "m2": "quarantined", "m3": "pending"}
        assert chat_log.release_quarantine(scope("bob")) == []

    def test_failure_streak_is_stored_replaced_and_cleared(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        assert chat_log.state(s).failure is None
        streak = FailureStreak(head_seq=1, window=2, attempts=1, suspect_end=2, error="LlmOutputInvalid", reason="x")
        chat_log.save_failure(s, streak)
        assert chat_log.state(s).failure == streak
        chat_log.save_failure(s, streak.model_copy(update={"attempts": 2}))
        assert chat_log.state(s).failure == streak.model_copy(update={"attempts": 2})
        assert chat_log.state(s).last_seq >= 2  # the streak leaves the bookkeeping alone
        chat_log.save_failure(s, None)
        assert chat_log.state(s).failure is None
        # quarantining clears the streak too
        chat_log.save_failure(s, streak)
        chat_log.quarantine(s, [1], quarantine_record())
        assert chat_log.state(s).failure is None
        assert chat_log.state(scope("bob")).failure is None

    def test_list_turns_pages_newest_first(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(i) for i in range(1, 8)])
        chat_log.advance_watermark(s, chat_log.pending(s)[2].seq)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = chat_log.list_turns(s, limit=3, cursor=cursor)
            seen += [v.logged.message.id for v in page.items]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == [f"m{i}" for i in range(7, 0, -1)]
        assert pages == 3
        states = [v.state for v in chat_log.list_turns(s, limit=7).items]
        assert states == ["pending"] * 4 + ["consolidated"] * 3
        assert chat_log.list_turns(s, limit=7).next_cursor is None
        assert chat_log.list_turns(scope("nobody"), limit=5).items == ()

    def test_a_foreign_cursor_is_an_invalid_request(self, chat_log: ChatLog) -> None:
        with pytest.raises(InvalidMemoryRequest) as error:
            chat_log.list_turns(scope(), limit=5, cursor="eyJzZXEiOiAxfQ==")
        assert error.value.field == "cursor"

    def test_delete_scope_forgets_quarantine_and_streak(self, chat_log: ChatLog) -> None:
        s = scope()
        chat_log.append(s, [message(1), message(2)])
        chat_log.quarantine(s, [1], quarantine_record())
        chat_log.save_failure(
            s, FailureStreak(head_seq=2, window=1, attempts=1, suspect_end=2, error="LlmOutputInvalid", reason="x")
        )
        chat_log.delete_scope(s)
        chat_log.append(s, [message(1)])
        assert [v.state for v in chat_log.list_turns(s, limit=5).items] == ["pending"]
        assert chat_log.state(s).failure is None
        assert chat_log.release_quarantine(s) == []


def quarantine_record(attempts: int = 2) -> QuarantineRecord:
    return QuarantineRecord(
        error="LlmOutputInvalid", reason="the model's answer did not validate", attempts=attempts, quarantined_at=T0
    )
