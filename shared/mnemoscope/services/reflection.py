"""Reflection and re-consolidation: observations of one scope -> insights (subject: value), and long-term
contradiction / repeat resolution across days.

One run = at most three model calls: (1) subject discovery, only with >= `min_observations` unreflected
observations; (2) one value update for every insight that has relevant new observations; (3) one
re-consolidation decision for a budget of observations that have older similar ones. Nothing is written until all
calls succeeded. Then two upserts: first the content (insights, superseded or merged observations), then the flags
(reflected / used_in_insight / reconsolidated). A failure before or between them leaves the flags unset, so a rerun
redoes the work and lands on the same deterministic insight ids instead of losing observations.

Flags make every observation count once: `reflected` = seen by subject discovery; `used_in_insight` = shown to a
value update (so a run below the discovery threshold does not show it again); `reconsolidated` = compared with its
older neighbours. A rerun with nothing new makes no model call."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from mnemoscope.domain.errors import ModelNotConfigured
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import IndexEntry, MemoryIndex
from mnemoscope.prompts.language import detect_language
from mnemoscope.services.jobs import JobReport
from mnemoscope.steps.reconsolidate import UNCHECKED, decide_pairs, find_pairs, plan_reconsolidation
from mnemoscope.steps.reflect_insights import SelectionPolicy, insight_entries, select_tasks, update_values
from mnemoscope.steps.reflect_subjects import INSIGHTS, UNREFLECTED, NewSubject, discover_subjects, oldest_first

logger = logging.getLogger(__name__)
MAX_INSIGHTS_SHOWN = 500
NAME_LOOKBACK_TURNS = 20


class ReflectionReport(JobReport):
    """What one reflection run did."""

    observations_considered: int = 0
    subjects_proposed: int = 0
    subjects_added: int = 0
    insights_updated: int = 0
    observations_reflected: int = 0
    reconsolidated: int = 0
    superseded: int = 0
    merged: int = 0


@dataclass
class _Run:
    """Everything one run decided, written only at the end."""

    loaded: dict[str, MemoryNode] = field(default_factory=dict)
    insights: list[IndexEntry] = field(default_factory=list)
    changed: dict[str, MemoryNode] = field(default_factory=dict)
    reflected: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    has_more: bool = False

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def flagged(self) -> list[IndexEntry]:
        """Final versions of every observation whose flags change (vector=None keeps the stored vector)."""
        entries: list[IndexEntry] = []
        for memory_id in sorted(self.reflected | self.used | self.checked):
            node = self.changed.get(memory_id) or self.loaded[memory_id]
            flags = {
                "reflected": node.reflected or memory_id in self.reflected,
                "used_in_insight": node.used_in_insight or memory_id in self.used,
                "reconsolidated": node.reconsolidated or memory_id in self.checked,
            }
            entries.append(IndexEntry(node=node.model_copy(update=flags)))
        return entries


class ReflectionService:
    """Reflects one scope per `run`; meant to be called by the reflect worker, one job at a time per scope."""

    def __init__(
        self,
        chat_log: ChatLog,
        memory_index: MemoryIndex,
        embedder: Embedder,
        chat_model: ChatModel | None,
        clock: Clock,
        *,
        min_observations: int = 6,
        max_observations: int = 50,
        max_new_subjects: int = 3,
        max_insights_per_run: int = 10,
        observations_per_insight: int = 8,
        insight_min_similarity: float = 0.3,
        reconsolidate: bool = True,
        reconsolidation_budget: int = 20,
        neighbours: int = 5,
        min_similarity: float = 0.7,
        timezone: tzinfo = UTC,
    ) -> None:
        self._log = chat_log
        self._index = memory_index
        self._embedder = embedder
        self._model = chat_model
        self._clock = clock
        self._min_observations = min_observations
        self._max_observations = max_observations
        self._max_subjects = max_new_subjects
        self._selection = SelectionPolicy(insight_min_similarity, observations_per_insight, max_insights_per_run)
        self._reconsolidate = reconsolidate
        self._budget = reconsolidation_budget
        self._k = neighbours
        self._min_similarity = min_similarity
        self._tz = timezone

    def run(self, scope: Scope) -> ReflectionReport:
        """Discover subjects, update insights, re-consolidate; then write and reset the scope's reflection counters.

        Raises:
            ModelNotConfigured: no chat model (nothing is read or written; the job runner reports "paused").
            LlmOutputInvalid: an answer did not validate after one repair (nothing written, flags unchanged).
            DependencyUnavailable: model, embedder, index or log failed (a rerun redoes the work).
        """
        if self._model is None:
            raise ModelNotConfigured("reflection needs a chat model (MNEMOSCOPE_CHAT_PROVIDER)")
        model = self._model
        usage_before = model.usage
        now = self._clock.now()
        run = _Run()
        self._reflect(scope, model, run, now)
        if self._reconsolidate:
            self._reconsolidate_batch(scope, model, run, now)
        self._write(run)
        if not run.has_more:
            # With more left, the counters stay up so the scheduler sends another job for the rest.
            self._log.mark_reflected(scope, now)
        usage = model.usage - usage_before
        report = ReflectionReport.model_validate(
            {
                **run.counts,
                "scope_key": scope.key,
                "observations_reflected": len(run.reflected),
                "reconsolidated": len(run.checked),
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "skipped_reason": _skipped_reason(run, self._min_observations),
                "has_more": run.has_more,
            }
        )
        logger.info("reflected", extra=report.model_dump(exclude={"skipped_reason"}))
        return report

    def _reflect(self, scope: Scope, model: ChatModel, run: _Run, now: datetime) -> None:
        batch, run.has_more = oldest_first(self._index, scope, UNREFLECTED, self._max_observations)
        run.loaded.update({node.id: node for node in batch})
        run.count("observations_considered", len(batch))
        insights = list(self._index.list(scope, INSIGHTS, limit=MAX_INSIGHTS_SHOWN).items)
        subjects: list[NewSubject] = []
        if len(batch) >= self._min_observations:
            language = detect_language(node.content for node in batch)
            existing = [node.key for node in insights if node.key]
            subjects = discover_subjects(model, batch, existing, language, self._tz, self._max_subjects)
            run.count("model_calls")
            run.count("subjects_proposed", len(subjects))
            run.reflected.update(node.id for node in batch)
        tasks = select_tasks(scope, self._embedder, insights, subjects, batch, self._selection)
        if not tasks:
            return
        changes = update_values(model, tasks, run.loaded, self._tz)
        run.count("model_calls")
        run.used.update(memory_id for task in tasks for memory_id in task.observation_ids)
        run.insights = insight_entries(scope, changes, self._embedder, now, self._user_name(scope))
        run.count("subjects_added", sum(1 for change in changes if change.task.current is None))
        run.count("insights_updated", sum(1 for change in changes if change.task.current is not None))

    def _reconsolidate_batch(self, scope: Scope, model: ChatModel, run: _Run, now: datetime) -> None:
        batch, more = oldest_first(self._index, scope, UNCHECKED, self._budget)
        run.has_more = run.has_more or more
        if not batch:
            return
        search = find_pairs(self._index, self._embedder, scope, batch, k=self._k, min_similarity=self._min_similarity)
        run.checked.update(node.id for node in batch)
        # Reflection loaded some of the same observations; the copies are identical (nothing was written yet).
        run.loaded.update(search.memories)
        if not search.pairs:
            return  # nobody has an older neighbour: no call, but they are checked
        plan = plan_reconsolidation(search, decide_pairs(model, search, self._tz), now)
        run.count("model_calls")
        run.changed.update(plan.changed)
        run.count("superseded", plan.superseded)
        run.count("merged", plan.merged)

    def _write(self, run: _Run) -> None:
        # Content first, flags last: a failure in between leaves observations unflagged, to be redone.
        content = [*run.insights, *(IndexEntry(node=node) for node in run.changed.values())]
        if content:
            self._index.upsert(content)
        flags = run.flagged()
        if flags:
            self._index.upsert(flags)

    def _user_name(self, scope: Scope) -> str | None:
        """The user's display name from their latest named turn, if any ('the user' otherwise)."""
        for logged in reversed(self._log.recent(scope, NAME_LOOKBACK_TURNS)):
            name = logged.message.name
            if logged.message.role == "user" and name and name.strip():
                return name.strip()
        return None


def _skipped_reason(run: _Run, min_observations: int) -> str | None:
    if run.counts.get("model_calls"):
        return None
    considered = run.counts.get("observations_considered", 0)
    return "too_few_observations" if 0 < considered < min_observations else "nothing_new"
