"""Export a scope to the JSONL file format and import such a file into a scope (docs/export-format.md).

Export reads page by page, so `serve` streams it; import checks the whole file first (services/export_file.py),
then writes with the ids the file carries: importing the same file twice stores nothing new."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from mnemoscope.contracts.export import EndLine, HeaderLine, MemoryLine, MessageLine, QuarantineLine
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import MessageIdConflict
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog, QuarantineRecord, TurnView
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.job_queue import JobQueue
from mnemoscope.ports.memory_index import ANY, IndexEntry, MemoryIndex
from mnemoscope.services.export_file import parse_export

PAGE = 200
EMBED_BATCH = 64


class ExportService:
    def __init__(self, chat_log: ChatLog, memory_index: MemoryIndex) -> None:
        self._log = chat_log
        self._index = memory_index

    def lines(self, scope: Scope) -> Iterator[str]:
        """The scope's file, one JSON line at a time (each ends with a newline): header, turns, memories, end.

        Raises (while iterating):
            DependencyUnavailable: a store failed; the lines already produced lack the end line, so the partial
                file is refused on import.
        """
        yield HeaderLine(user_id=scope.user_id, agent_id=scope.agent_id).model_dump_json() + "\n"
        messages = memories = 0
        for view in self._turns(scope):
            messages += 1
            yield _message_line(view).model_dump_json() + "\n"
        for node in self._memories(scope):
            memories += 1
            yield MemoryLine.model_validate(node.model_dump(exclude={"scope"})).model_dump_json() + "\n"
        yield EndLine(messages=messages, memories=memories).model_dump_json() + "\n"

    def _turns(self, scope: Scope) -> Iterator[TurnView]:
        cursor: str | None = None
        while True:
            page = self._log.list_turns(scope, PAGE, cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def _memories(self, scope: Scope) -> Iterator[MemoryNode]:
        cursor: str | None = None
        while True:
            page = self._index.list(scope, ANY, limit=PAGE, cursor=cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor


def _message_line(view: TurnView) -> MessageLine:
    record = view.quarantine
    return MessageLine.model_validate(
        view.logged.message.model_dump()
        | {
            "state": view.state,
            "quarantine": QuarantineLine.model_validate(record.model_dump()) if record else None,
        }
    )


@dataclass(frozen=True)
class ImportReport:
    messages: int
    memories: int
    imported_at: datetime


class ImportService:
    def __init__(
        self, chat_log: ChatLog, memory_index: MemoryIndex, embedder: Embedder, job_queue: JobQueue, clock: Clock
    ) -> None:
        self._log = chat_log
        self._index = memory_index
        self._embedder = embedder
        self._queue = job_queue
        self._clock = clock

    def load(self, scope: Scope, text: str) -> ImportReport:
        """Check the whole file, then store its turns and memories in `scope`, keeping their ids and states.

        Raises:
            ImportFileInvalid: a line is bad (every bad line is named; nothing is stored).
            MessageIdConflict: a turn's id already names a different turn in the scope (nothing is stored then).
            DependencyUnavailable: a store failed midway; importing the same file again completes it.
        """
        file = parse_export(text)
        oldest_first = list(reversed(file.messages))
        self._refuse_conflicts(scope, file.messages)
        before = self._log.state(scope)
        stored = self._log.append(scope, [_message(line) for line in oldest_first]).stored_ids
        # Turns consolidated at the source come with their memories: they must not be consolidated again. Only
        # when the scope had nothing pending, so the watermark never skips a turn of its own.
        if stored and before.watermark == before.last_seq:
            self._restore_states(scope, oldest_first, set(stored))
        self._write_memories(scope, file.memories)
        if any(line.state == "pending" and line.id in stored for line in oldest_first):  # released ones too
            self._queue.enqueue(ScopeJob(kind="consolidate", scope=scope, requested_at=self._clock.now()))
        return ImportReport(len(file.messages), len(file.memories), self._clock.now())

    def _refuse_conflicts(self, scope: Scope, lines: Sequence[MessageLine]) -> None:
        known = {m.message.id: m.message for m in self._log.get_messages(scope, [line.id for line in lines])}
        for position, line in enumerate(lines):
            other = known.get(line.id)
            if other is not None and other != _message(line):
                # Line numbers: the header is line 1, turns follow it.
                raise MessageIdConflict(f"id {line.id!r} already names a different turn", f"jsonl:{position + 2}.id")

    def _restore_states(self, scope: Scope, oldest_first: list[MessageLine], stored: set[str]) -> None:
        seqs = {m.message.id: m.seq for m in self._log.get_messages(scope, list(stored))}
        consolidated_to = 0  # one watermark write per run of consolidated turns, not one per turn
        released: list[str] = []
        for line in (line for line in oldest_first if line.id in stored):
            if line.quarantine is None:  # a quarantined turn released for a retry reads "pending" too
                if line.state == "pending":
                    break  # the watermark stops before the first turn still to consolidate
                consolidated_to = seqs[line.id]
                continue
            if consolidated_to:
                self._log.advance_watermark(scope, consolidated_to)
                consolidated_to = 0
            record = QuarantineRecord.model_validate(line.quarantine.model_dump() | {"retrying": False})
            self._log.quarantine(scope, [seqs[line.id]], record)
            if line.quarantine.retrying:
                released.append(line.id)
        if consolidated_to:
            self._log.advance_watermark(scope, consolidated_to)
        if released:
            self._log.release_quarantine(scope, released)

    def _write_memories(self, scope: Scope, lines: Sequence[MemoryLine]) -> None:
        nodes = [MemoryNode.model_validate(line.model_dump(exclude={"kind"}) | {"scope": scope}) for line in lines]
        present = {node.id: node for node in self._index.get_many(scope, [node.id for node in nodes])}
        changed = [node for node in nodes if present.get(node.id) != node]  # a second import re-embeds nothing
        for start in range(0, len(changed), EMBED_BATCH):
            batch = changed[start : start + EMBED_BATCH]
            vectors = self._embedder.embed_documents([node.content for node in batch])
            self._index.upsert([IndexEntry(node=n, vector=tuple(v)) for n, v in zip(batch, vectors, strict=True)])


def _message(line: MessageLine) -> Message:
    return Message(id=line.id, role=line.role, name=line.name, content=line.content, created_at=line.created_at)
