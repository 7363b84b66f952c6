"""Reflection step 1: load the unreflected observations (oldest first) and call 1, subject discovery."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from mnemoscope.domain.ids import derived_id
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex
from mnemoscope.prompts.language import Language
from mnemoscope.prompts.reflection import ObservationItem, SubjectResult, subject_messages

logger = logging.getLogger(__name__)

UNREFLECTED = MemoryFilter(types=frozenset({"observation", "custom"}), statuses=frozenset({"valid"}), reflected=False)
INSIGHTS = MemoryFilter(types=frozenset({"insight"}), statuses=frozenset({"valid"}))
PAGE_SIZE = 200
# A backlog larger than this is worked off from the newest MAX_SCAN items, a batch per run.
MAX_SCAN = 5_000


def oldest_first(
    index: MemoryIndex, scope: Scope, memory_filter: MemoryFilter, limit: int
) -> tuple[list[MemoryNode], bool]:
    """The `limit` oldest memories matching the filter, oldest first, and whether more exist.

    The index lists newest first, so the whole (flag-bounded) selection is paged through."""
    items: list[MemoryNode] = []
    cursor: str | None = None
    while len(items) < MAX_SCAN:
        page = index.list(scope, memory_filter, limit=PAGE_SIZE, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    items.reverse()
    return items[:limit], len(items) > limit


def normalise_subject(subject: str) -> str:
    """Case- and whitespace-insensitive form of a subject: the identity of an insight."""
    return " ".join(subject.split()).casefold()


def insight_id_for(scope: Scope, subject: str) -> str:
    """Deterministic, so a retried run (or the same subject proposed again) lands on the same insight."""
    return derived_id("ins", scope.key, normalise_subject(subject))


def observation_items(nodes: Sequence[MemoryNode], tz: tzinfo) -> tuple[list[ObservationItem], dict[str, str]]:
    """Labelled prompt items (O1, O2, ... in the given order) and the memory id behind each label."""
    items = [ObservationItem(f"O{i + 1}", n.content, n.created_at.astimezone(tz)) for i, n in enumerate(nodes)]
    return items, {item.label: node.id for item, node in zip(items, nodes, strict=True)}


@dataclass(frozen=True)
class NewSubject:
    """A subject the model proposed, with the observations it cited as answering it."""

    subject: str
    observation_ids: tuple[str, ...]


def discover_subjects(
    model: ChatModel,
    batch: Sequence[MemoryNode],
    existing_subjects: Sequence[str],
    language: Language,
    tz: tzinfo,
    limit: int,
) -> list[NewSubject]:
    """Call 1: new subjects (duplicates of existing or of each other dropped, at most `limit`)."""
    items, ids = observation_items(batch, tz)
    result = model.generate(
        subject_messages(items, existing_subjects, language, limit), SubjectResult.for_observations(ids)
    )
    return keep_new(result, ids, existing_subjects, limit)


def keep_new(
    result: SubjectResult, ids: dict[str, str], existing_subjects: Sequence[str], limit: int
) -> list[NewSubject]:
    """Drop (rather than fail on) subjects that repeat an existing one or an earlier proposal."""
    taken = {normalise_subject(s) for s in existing_subjects}
    kept: list[NewSubject] = []
    for proposed in result.subjects:
        key = normalise_subject(proposed.subject)
        if key in taken:
            logger.debug("duplicate subject dropped")
            continue
        taken.add(key)
        cited = tuple(dict.fromkeys(ids[label] for label in proposed.observations))
        kept.append(NewSubject(proposed.subject, cited))
    return kept[:limit]
