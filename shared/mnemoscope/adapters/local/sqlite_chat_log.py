"""ChatLog on SQLite: the embedded default's durable chat log."""

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import (
    AppendResult,
    FailureStreak,
    QuarantineRecord,
    ScopeState,
    TurnPage,
    TurnView,
    turn_cursor_seq,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_messages (
    scope_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    logged_at TEXT NOT NULL,
    PRIMARY KEY (scope_key, seq),
    UNIQUE (scope_key, id)
);
CREATE TABLE IF NOT EXISTS chat_scopes (
    scope_key TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0,
    watermark INTEGER NOT NULL DEFAULT 0,
    unreflected INTEGER NOT NULL DEFAULT 0,
    first_unreflected_at TEXT,
    last_reflected_at TEXT
);
CREATE INDEX IF NOT EXISTS chat_scopes_unreflected ON chat_scopes (unreflected) WHERE unreflected > 0;
CREATE TABLE IF NOT EXISTS chat_quarantine (
    scope_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    error TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    quarantined_at TEXT NOT NULL,
    retrying INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_key, seq)
);
CREATE TABLE IF NOT EXISTS chat_failures (
    scope_key TEXT PRIMARY KEY,
    streak TEXT NOT NULL
);
"""
# Quarantine and failure streaks live in their own tables (added with IF NOT EXISTS), so a database written by an
# older version opens unchanged.


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SqliteChatLog:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        with db.transaction() as conn:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)

    def append(self, scope: Scope, messages: Sequence[Message]) -> AppendResult:
        stored: list[str] = []
        duplicates: list[str] = []
        now = _iso(datetime.now(UTC))
        with self._db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO chat_scopes (scope_key) VALUES (?)", (scope.key,))
            last_seq = conn.execute("SELECT last_seq FROM chat_scopes WHERE scope_key = ?", (scope.key,)).fetchone()[0]
            for message in messages:
                exists = conn.execute(
                    "SELECT 1 FROM chat_messages WHERE scope_key = ? AND id = ?", (scope.key, message.id)
                ).fetchone()
                if exists or message.id in stored:
                    duplicates.append(message.id)
                    continue
                last_seq += 1
                conn.execute(
                    "INSERT INTO chat_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        scope.key,
                        last_seq,
                        message.id,
                        message.role,
                        message.name,
                        message.content,
                        message.created_at.isoformat(),
                        now,
                    ),
                )
                stored.append(message.id)
            conn.execute("UPDATE chat_scopes SET last_seq = ? WHERE scope_key = ?", (last_seq, scope.key))
        return AppendResult(stored_ids=tuple(stored), duplicate_ids=tuple(duplicates))

    def pending(self, scope: Scope, limit: int = 1000) -> list[LoggedMessage]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT m.* FROM chat_messages m JOIN chat_scopes s ON s.scope_key = m.scope_key "
                "WHERE m.scope_key = ? AND (m.seq > s.watermark OR m.seq IN "
                "(SELECT seq FROM chat_quarantine q WHERE q.scope_key = m.scope_key AND q.retrying = 1)) "
                "ORDER BY m.seq LIMIT ?",
                (scope.key, limit),
            ).fetchall()
        return [self._row(r) for r in rows]

    def recent(self, scope: Scope, limit: int) -> list[LoggedMessage]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM chat_messages WHERE scope_key = ? ORDER BY seq DESC LIMIT ?", (scope.key, limit)
            ).fetchall()
        return [self._row(r) for r in reversed(rows)]

    def get_messages(self, scope: Scope, message_ids: Sequence[str]) -> list[LoggedMessage]:
        if not message_ids:
            return []
        marks = ",".join("?" * len(message_ids))
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT * FROM chat_messages WHERE scope_key = ? AND id IN ({marks}) ORDER BY seq",
                (scope.key, *message_ids),
            ).fetchall()
        return [self._row(r) for r in rows]

    def state(self, scope: Scope) -> ScopeState:
        with self._db.reading() as conn:
            row = conn.execute("SELECT * FROM chat_scopes WHERE scope_key = ?", (scope.key,)).fetchone()
            streak = conn.execute("SELECT streak FROM chat_failures WHERE scope_key = ?", (scope.key,)).fetchone()
        if row is None:
            return ScopeState(scope=scope)
        return ScopeState(
            scope=scope,
            last_seq=row["last_seq"],
            watermark=row["watermark"],
            unreflected_observations=row["unreflected"],
            last_reflected_at=_parse(row["last_reflected_at"]),
            first_unreflected_at=_parse(row["first_unreflected_at"]),
            failure=FailureStreak.model_validate_json(streak["streak"]) if streak else None,
        )

    def advance_watermark(self, scope: Scope, seq: int, new_observations: int = 0, at: datetime | None = None) -> None:
        when = _iso(at or datetime.now(UTC))
        with self._db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO chat_scopes (scope_key) VALUES (?)", (scope.key,))
            released = conn.execute(
                "DELETE FROM chat_quarantine WHERE scope_key = ? AND retrying = 1 AND seq <= ?", (scope.key, seq)
            ).rowcount
            # Only a move forward (or released turns settled) counts observations: a retried job counts them once.
            conn.execute(
                "UPDATE chat_scopes SET watermark = MAX(watermark, ?), unreflected = unreflected + ?, "
                "first_unreflected_at = CASE WHEN ? > 0 AND first_unreflected_at IS NULL THEN ? "
                "ELSE first_unreflected_at END WHERE scope_key = ? AND (watermark < ? OR ? > 0)",
                (seq, new_observations, new_observations, when, scope.key, seq, released),
            )

    def mark_reflected(self, scope: Scope, at: datetime) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE chat_scopes SET unreflected = 0, first_unreflected_at = NULL, last_reflected_at = ? "
                "WHERE scope_key = ?",
                (_iso(at), scope.key),
            )

    def scopes_due_for_reflection(self, min_observations: int, max_age_before: datetime) -> list[Scope]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT scope_key FROM chat_scopes WHERE unreflected > 0 AND "
                "(unreflected >= ? OR first_unreflected_at <= ?) ORDER BY scope_key",
                (min_observations, _iso(max_age_before)),
            ).fetchall()
        return [Scope.from_key(r["scope_key"]) for r in rows]

    def scopes_with_pending(self, limit: int = 1000) -> list[Scope]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT scope_key FROM chat_scopes WHERE last_seq > watermark ORDER BY scope_key LIMIT ?", (limit,)
            ).fetchall()
        return [Scope.from_key(r["scope_key"]) for r in rows]

    def delete_scope(self, scope: Scope) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM chat_messages WHERE scope_key = ?", (scope.key,))
            conn.execute("DELETE FROM chat_scopes WHERE scope_key = ?", (scope.key,))
            conn.execute("DELETE FROM chat_quarantine WHERE scope_key = ?", (scope.key,))
            conn.execute("DELETE FROM chat_failures WHERE scope_key = ?", (scope.key,))

    def list_turns(self, scope: Scope, limit: int, cursor: str | None = None) -> TurnPage:
        below = turn_cursor_seq(cursor)
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT m.*, q.error, q.reason, q.attempts, q.quarantined_at, q.retrying, "
                "COALESCE(s.watermark, 0) AS watermark FROM chat_messages m "
                "LEFT JOIN chat_scopes s ON s.scope_key = m.scope_key "
                "LEFT JOIN chat_quarantine q ON q.scope_key = m.scope_key AND q.seq = m.seq "
                "WHERE m.scope_key = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
                (scope.key, below, limit + 1),
            ).fetchall()
        views = [self._view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return TurnPage(items=tuple(views), next_cursor=str(views[-1].logged.seq) if more and views else None)

    def save_failure(self, scope: Scope, streak: FailureStreak | None) -> None:
        with self._db.transaction() as conn:
            if streak is None:
                conn.execute("DELETE FROM chat_failures WHERE scope_key = ?", (scope.key,))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO chat_failures VALUES (?, ?)", (scope.key, streak.model_dump_json())
                )

    def quarantine(self, scope: Scope, seqs: Sequence[int], record: QuarantineRecord) -> None:
        if not seqs:
            return
        with self._db.transaction() as conn:
            for seq in seqs:
                conn.execute(
                    "INSERT OR REPLACE INTO chat_quarantine VALUES (?, ?, ?, ?, ?, ?, 0)",
                    (scope.key, seq, record.error, record.reason, record.attempts, _iso(record.quarantined_at)),
                )
            conn.execute("INSERT OR IGNORE INTO chat_scopes (scope_key) VALUES (?)", (scope.key,))
            conn.execute(
                "UPDATE chat_scopes SET watermark = MAX(watermark, ?) WHERE scope_key = ?", (max(seqs), scope.key)
            )
            conn.execute("DELETE FROM chat_failures WHERE scope_key = ?", (scope.key,))

    def release_quarantine(self, scope: Scope, message_ids: Sequence[str] | None = None) -> list[str]:
        if message_ids is not None and not message_ids:
            return []
        wanted = "" if message_ids is None else f" AND m.id IN ({','.join('?' * len(message_ids))})"
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT q.seq, m.id FROM chat_quarantine q JOIN chat_messages m "
                "ON m.scope_key = q.scope_key AND m.seq = q.seq "
                f"WHERE q.scope_key = ? AND q.retrying = 0{wanted} ORDER BY q.seq",
                (scope.key, *(message_ids or ())),
            ).fetchall()
            conn.executemany(
                "UPDATE chat_quarantine SET retrying = 1 WHERE scope_key = ? AND seq = ?",
                [(scope.key, r["seq"]) for r in rows],
            )
        return [r["id"] for r in rows]

    @classmethod
    def _view(cls, row: sqlite3.Row) -> TurnView:
        logged = cls._row(row)
        if row["error"] is not None:
            record = QuarantineRecord(
                error=row["error"],
                reason=row["reason"],
                attempts=row["attempts"],
                quarantined_at=datetime.fromisoformat(row["quarantined_at"]),
                retrying=bool(row["retrying"]),
            )
            return TurnView(logged=logged, state="pending" if record.retrying else "quarantined", quarantine=record)
        state = "pending" if logged.seq > row["watermark"] else "consolidated"
        return TurnView(logged=logged, state=state)

    @staticmethod
    def _row(row: sqlite3.Row) -> LoggedMessage:
        message = Message.model_validate({k: row[k] for k in ("id", "role", "name", "content", "created_at")})
        return LoggedMessage(seq=row["seq"], message=message, logged_at=datetime.fromisoformat(row["logged_at"]))
