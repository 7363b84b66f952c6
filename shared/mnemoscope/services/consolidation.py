"""Consolidation: new chat turns of one scope -> observations, with repeats merged and contradictions superseded.

One job = at most two model calls: (1) score the user turns and extract dated facts; (2) only when some fact has
similar memories, decide new / repeat / contradicts / refines. All index writes go in one upsert, and only then
does the scope's watermark move, so a failed job leaves its turns behind the watermark for the retry (SQS), and a
retried job rewrites the same deterministic memory ids instead of duplicating them.

A batch that fails in a way retrying cannot fix (the model's answer never validates, or the model refuses the
input) does not fail the job: the failure is counted in the log, the report asks for a follow-up job, and the poison
policy (services/poison.py) narrows the batch down until the turn at fault is quarantined, so the scope's later turns
are consolidated. Outages (DependencyUnavailable) still fail the job for SQS to retry.

No chat model configured: `run` raises ModelNotConfigured before touching anything. The handler should treat that
as "paused": acknowledge the job, leave the turns behind the watermark, and they are consolidated once a model is
configured and a new job for the scope arrives."""

import logging
from collections.abc import Sequence
from datetime import UTC, tzinfo

from mnemoscope.domain.errors import ModelNotConfigured
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog, FailureStreak, QuarantineRecord
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import MemoryIndex
from mnemoscope.prompts.extraction import PromptTurn
from mnemoscope.prompts.language import Language, detect_language
from mnemoscope.services.jobs import JobReport
from mnemoscope.services.poison import DETERMINISTIC_FAILURES, PoisonPolicy
from mnemoscope.steps.apply import ChangePlan, memory_id_for, plan_changes
from mnemoscope.steps.extract import CandidateFact, extract_facts, prepare_turns, user_turn_ids
from mnemoscope.steps.reconcile import Verdict, build_questions, decide, find_neighbours

logger = logging.getLogger(__name__)


class ConsolidationReport(JobReport):
    """What one consolidation job did."""

    turns_read: int = 0
    user_turns: int = 0
    facts_extracted: int = 0
    stored: int = 0
    repeats: int = 0
    superseded: int = 0
    watermark: int = 0
    failed_attempts: int = 0
    quarantined: int = 0


class ConsolidationService:
    """Consolidates one scope per `run`; meant to be called by the consolidate worker, one job at a time per scope."""

    def __init__(
        self,
        chat_log: ChatLog,
        memory_index: MemoryIndex,
        embedder: Embedder,
        chat_model: ChatModel | None,
        clock: Clock,
        *,
        neighbours: int = 5,
        min_similarity: float = 0.75,
        max_turns_per_job: int = 200,
        timezone: tzinfo = UTC,
        poison: PoisonPolicy | None = None,
    ) -> None:
        self._log = chat_log
        self._index = memory_index
        self._embedder = embedder
        self._model = chat_model
        self._clock = clock
        self._k = neighbours
        self._min_similarity = min_similarity
        self._max_turns = max_turns_per_job
        self._tz = timezone
        self._poison = poison or PoisonPolicy()

    def run(self, scope: Scope) -> ConsolidationReport:
        """Consolidate the scope's pending turns (at most `max_turns_per_job`; fewer while a poison is searched).

        An answer that never validates (LlmOutputInvalid) or a refused input (ModelInputRejected) is not raised: it
        is counted, and the report says `failed` (and `quarantined` once the turn at fault is set aside).

        Raises:
            ModelNotConfigured: there are user turns to mine and no chat model (nothing is consumed).
            DependencyUnavailable: model, embedder, index or log failed (watermark unchanged, nothing counted).
        """
        pending = self._log.pending(scope, limit=self._max_turns)
        if not pending:
            return ConsolidationReport(scope_key=scope.key, skipped_reason="no_pending_turns")
        streak = self._poison.active(self._log.state(scope).failure, pending[0].seq)
        batch = pending[: self._poison.window(streak, pending[0].seq, self._max_turns)]
        last_seq = batch[-1].seq
        base = ConsolidationReport(
            scope_key=scope.key,
            turns_read=len(batch),
            has_more=len(batch) < len(pending) or len(pending) >= self._max_turns,
        )
        turns = prepare_turns(batch, self._tz)
        user_ids = user_turn_ids(turns)
        if not user_ids:
            # Assistant-only or system-only turns hold nothing to remember: consume them without a model call.
            self._advance(scope, last_seq, 0, streak)
            return base.model_copy(update={"skipped_reason": "no_user_turns", "watermark": last_seq})
        if self._model is None:
            raise ModelNotConfigured("consolidation needs a chat model (MNEMOSCOPE_CHAT_PROVIDER)")
        usage_before = self._model.usage
        try:
            base = base.model_copy(update={"user_turns": len(user_ids)})
            return self._consolidate(scope, self._model, turns, streak, last_seq, base)
        except DETERMINISTIC_FAILURES as error:
            usage = self._model.usage - usage_before
            spent = {
                "model_requests": usage.requests,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            }
            return self._failed(scope, batch, streak, error, base.model_copy(update=spent))

    def _failed(
        self,
        scope: Scope,
        batch: Sequence[LoggedMessage],
        streak: FailureStreak | None,
        error: Exception,
        base: ConsolidationReport,
    ) -> ConsolidationReport:
        """Count the failure, or quarantine the batch's one turn when the policy says so; a follow-up job goes on."""
        step = self._poison.after_failure(streak, batch, error)
        fields = {"error": step.streak.error, "reason": step.streak.reason, "failures": step.streak.failures}
        if step.quarantine:
            record = QuarantineRecord(
                error=step.streak.error,
                reason=step.streak.reason,
                attempts=step.streak.failures,
                quarantined_at=self._clock.now(),
            )
            self._log.quarantine(scope, [batch[0].seq], record)
            logger.warning("turn quarantined", extra=fields | {"message_id": batch[0].message.id})
        else:
            self._log.save_failure(scope, step.streak)
            logger.warning("consolidation failed, batch kept for a retry", extra=fields | {"turns": len(batch)})
        return base.model_copy(
            update={
                "failed": step.streak.error,
                "failed_attempts": step.streak.failures,
                "quarantined": int(step.quarantine),
                # a retry of the narrowed batch, or the turns after the quarantined one
                "has_more": not step.quarantine or base.has_more,
                "skipped_reason": "quarantined" if step.quarantine else "failed_will_retry",
            }
        )

    def _consolidate(
        self,
        scope: Scope,
        model: ChatModel,
        turns: list[PromptTurn],
        streak: FailureStreak | None,
        last_seq: int,
        base: ConsolidationReport,
    ) -> ConsolidationReport:
        usage_before = model.usage
        language = detect_language(t.content for t in turns if t.role == "user")
        facts = extract_facts(model, turns, language)
        calls = 1
        plan = ChangePlan()
        if facts:
            plan, reconciled = self._plan(scope, model, facts, language)
            calls += int(reconciled)
            self._index.upsert(plan.entries())
        self._advance(scope, last_seq, plan.stored, streak)
        usage = model.usage - usage_before
        report = base.model_copy(
            update={
                "facts_extracted": len(facts),
                "stored": plan.stored,
                "repeats": plan.repeats,
                "superseded": plan.superseded,
                "model_calls": calls,
                "model_requests": usage.requests,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "skipped_reason": None if facts else "no_facts",
                "watermark": last_seq,
            }
        )
        logger.info("consolidated", extra=report.model_dump(exclude={"skipped_reason"}))
        return report

    def _plan(
        self, scope: Scope, model: ChatModel, facts: list[CandidateFact], language: Language
    ) -> tuple[ChangePlan, bool]:
        """Embed the facts, find neighbours, reconcile when needed; returns the plan and whether call 2 ran."""
        vectors = self._embedder.embed_documents([f.content for f in facts])
        own_ids = frozenset(memory_id_for(scope, f) for f in facts)
        search = find_neighbours(
            self._index, scope, facts, vectors, k=self._k, min_similarity=self._min_similarity, own_ids=own_ids
        )
        verdicts: dict[int, Verdict] = {}
        if search.any:
            questions, labels = build_questions(facts, search, self._tz)
            verdicts = decide(model, questions, labels, language)
        plan = plan_changes(scope, facts, vectors, verdicts, search.memories, self._clock.now())
        return plan, search.any

    def _advance(self, scope: Scope, seq: int, new_observations: int, streak: FailureStreak | None) -> None:
        self._log.advance_watermark(scope, seq, new_observations=new_observations, at=self._clock.now())
        if streak is not None and seq >= streak.suspect_end:
            self._log.save_failure(scope, None)  # past the range that failed: back to whole batches
