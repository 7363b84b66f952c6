"""Memory lines for prompts, in MemoryScope's format: `[YYYY-MM-DD HH:MM:SS Weekday] content`."""

from collections.abc import Iterable
from datetime import tzinfo

from mnemoscope.domain.memory import MemoryNode


def memory_line(node: MemoryNode, tz: tzinfo) -> str:
    """When the memory was recorded (in the reader's timezone), then what it says."""
    stamp = node.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %A")
    return f"[{stamp}] {node.content}"


def memory_context(nodes: Iterable[MemoryNode], tz: tzinfo) -> str:
    return "\n".join(memory_line(node, tz) for node in nodes)
