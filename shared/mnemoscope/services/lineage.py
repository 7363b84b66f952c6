"""Lineage of a memory: the turns or observations it came from, what superseded it, what it superseded."""

from dataclasses import dataclass, field

from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.memory_index import MemoryIndex


@dataclass(frozen=True)
class Lineage:
    source_messages: list[LoggedMessage] = field(default_factory=list)
    source_memories: list[MemoryNode] = field(default_factory=list)
    superseded_by: MemoryNode | None = None


def lineage_of(node: MemoryNode, scope: Scope, memory_index: MemoryIndex, chat_log: ChatLog) -> Lineage:
    """Follow the ids a memory records. Sources that were deleted since are simply absent."""
    messages = chat_log.get_messages(scope, list(node.source_message_ids)) if node.source_message_ids else []
    memories = memory_index.get_many(scope, list(node.source_memory_ids)) if node.source_memory_ids else []
    successor = memory_index.get(scope, node.superseded_by) if node.superseded_by else None
    return Lineage(messages, memories, successor)
