"""Ports: the small Protocols that services depend on; adapters implement them."""

from mnemoscope.ports.chat_log import AppendResult, ChatLog, ScopeState
from mnemoscope.ports.chat_model import ChatMessage, ChatModel, TokenUsage, time_budget
from mnemoscope.ports.clock import Clock, SystemClock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.job_queue import JobQueue
from mnemoscope.ports.memory_index import IndexEntry, MemoryFilter, MemoryIndex, MemoryPage, ScoredMemory

__all__ = [
    "AppendResult",
    "ChatLog",
    "ChatMessage",
    "ChatModel",
    "Clock",
    "Embedder",
    "IndexEntry",
    "JobQueue",
    "MemoryFilter",
    "MemoryIndex",
    "MemoryPage",
    "ScopeState",
    "ScoredMemory",
    "SystemClock",
    "TokenUsage",
    "time_budget",
]
