"""Prompt builders (pure functions returning ChatMessages, en + zh) and the pydantic models of the answers."""

from mnemoscope.prompts.extraction import ExtractionResult, Fact, PromptTurn, TurnFacts, extraction_messages
from mnemoscope.prompts.language import Language, detect_language
from mnemoscope.prompts.markers import RECALLED_MEMORY_END, RECALLED_MEMORY_MARKER, strip_recalled_memories
from mnemoscope.prompts.reconcile import (
    FactDecision,
    ReconcileItem,
    ReconcileQuestion,
    ReconcileResult,
    reconcile_messages,
)

__all__ = [
    "RECALLED_MEMORY_END",
    "RECALLED_MEMORY_MARKER",
    "ExtractionResult",
    "Fact",
    "FactDecision",
    "Language",
    "PromptTurn",
    "ReconcileItem",
    "ReconcileQuestion",
    "ReconcileResult",
    "TurnFacts",
    "detect_language",
    "extraction_messages",
    "reconcile_messages",
    "strip_recalled_memories",
]
