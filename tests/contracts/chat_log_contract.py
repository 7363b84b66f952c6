"""The ChatLog contract: every adapter runs these tests through a `chat_log` fixture giving a fresh, empty log."""

from datetime import timedelta

from mnemoscope.ports.chat_log import ChatLog
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
