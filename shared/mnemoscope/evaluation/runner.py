"""The evaluation loop: ingest every conversation, answer every question with every system, judge every answer
`judge_runs` times, and let the judge grade the stress-test answers. Each step is a record in the run store, so
a stopped run continues where it was."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnemoscope.client import MemoryClient
from mnemoscope.evaluation import answer as answering
from mnemoscope.evaluation.dataset import ADVERSARIAL, Conversation, Question
from mnemoscope.evaluation.ingest import ingest, scopes_of
from mnemoscope.evaluation.judge import judge, stress_answers
from mnemoscope.evaluation.scoring import bleu1, f1
from mnemoscope.evaluation.state import RunStore
from mnemoscope.ports.chat_model import ChatModel

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvalConfig:
    systems: tuple[str, ...] = answering.SYSTEMS
    top_k: int = 10
    judge_runs: int = 2
    stress_limit: int = 200  # questions whose stress answers are graded (evenly spread), per judge run
    questions_per_conversation: int = 0  # 0 = all
    scope_prefix: str = "eval"
    ready_timeout: float = 1800.0


def answerable(conversation: Conversation, limit: int) -> list[Question]:
    """Categories 1-4 (LoCoMo's adversarial category 5 is skipped: counted, not asked)."""
    questions = [q for q in conversation.questions if q.category != ADVERSARIAL]
    return questions[:limit] if limit else questions


class Harness:
    def __init__(
        self,
        client: MemoryClient,
        answer_model: ChatModel,
        judge_model: ChatModel,
        store: RunStore,
        count_tokens: Callable[[str], int],
        config: EvalConfig,
        progress: Progress = lambda stage, done, total: None,
    ) -> None:
        self.client = client
        self.answer_model = answer_model
        self.judge_model = judge_model
        self.store = store
        self.count = count_tokens
        self.config = config
        self.progress = progress

    def run(self, conversations: list[Conversation]) -> None:
        needs_memory = "memory" in self.config.systems
        for n, conversation in enumerate(conversations):
            self.progress("ingest", n, len(conversations))
            key = f"ingest:{conversation.id}"
            if needs_memory and key not in self.store:
                measured = ingest(self.client, conversation, self.config.scope_prefix, self.config.ready_timeout)
                self.store.add({"key": key, "kind": "ingest", "conversation": conversation.id, **measured})
        self.progress("ingest", len(conversations), len(conversations))
        jobs = [(c, q) for c in conversations for q in answerable(c, self.config.questions_per_conversation)]
        total = len(jobs) * len(self.config.systems)
        done = 0
        transcripts: dict[str, str] = {}
        for conversation, question in jobs:

            def transcript(c: Conversation = conversation) -> str:  # built only if a full-context answer needs it
                if c.id not in transcripts:
                    transcripts[c.id] = answering.transcript(c)
                return transcripts[c.id]

            for system in self.config.systems:
                self._answer(conversation, question, system, transcript)
                for run in range(self.config.judge_runs):
                    self._judge(conversation, question, system, run)
                done += 1
                self.progress("answer+judge", done, total)
        self._stress(jobs)

    def _answer(
        self, conversation: Conversation, question: Question, system: str, transcript: Callable[[], str]
    ) -> None:
        key = f"answer:{conversation.id}:{question.id}:{system}"
        if key in self.store:
            return
        scopes = scopes_of(conversation, self.config.scope_prefix)
        got = answering.answer(
            system, self.answer_model, self.client, conversation, scopes, question, self.config.top_k, transcript
        )
        self.store.add(
            {
                "key": key,
                "kind": "answer",
                "conversation": conversation.id,
                "question_id": question.id,
                "category": question.category,
                "system": system,
                "question": question.question,
                "gold": question.answer,
                "answer": got.text,
                "f1": f1(got.text, question.answer),
                "bleu1": bleu1(got.text, question.answer),
                "context_tokens": self.count(got.context) if got.context else 0,
                "search_ms": got.search_ms,
                "answer_prompt_tokens": got.prompt_tokens,
                "answer_completion_tokens": got.completion_tokens,
            }
        )

    def _judge(self, conversation: Conversation, question: Question, system: str, run: int) -> None:
        key = f"judge:{conversation.id}:{question.id}:{system}:{run}"
        if key in self.store:
            return
        answered = self.store.records[f"answer:{conversation.id}:{question.id}:{system}"]["answer"]
        correct = judge(self.judge_model, question.question, question.answer, answered)
        self.store.add(
            {
                "key": key,
                "kind": "judge",
                "conversation": conversation.id,
                "question_id": question.id,
                "category": question.category,
                "system": system,
                "run": run,
                "correct": correct,
            }
        )

    def _stress(self, jobs: list[tuple[Conversation, Question]]) -> None:
        limit = self.config.stress_limit
        step = max(1, len(jobs) // limit) if limit else 1
        picked = jobs[::step][:limit] if limit else []
        items = [(c, q, rule, text) for c, q in picked for rule, text in stress_answers(q, c.questions).items()]
        total = len(items) * self.config.judge_runs
        done = 0
        for conversation, question, rule, text in items:
            for run in range(self.config.judge_runs):
                key = f"stress:{conversation.id}:{question.id}:{rule}:{run}"
                if key not in self.store:
                    accepted = judge(self.judge_model, question.question, question.answer, text)
                    self.store.add(
                        {
                            "key": key,
                            "kind": "stress",
                            "conversation": conversation.id,
                            "question_id": question.id,
                            "rule": rule,
                            "run": run,
                            "answer": text,
                            "accepted": accepted,
                        }
                    )
                done += 1
                self.progress("judge stress test", done, total)


def skipped_counts(conversations: list[Conversation]) -> dict[str, Any]:
    return {
        "adversarial_skipped": sum(q.category == ADVERSARIAL for c in conversations for q in c.questions),
        "evidence_ids_dropped": sum(c.stats.get("evidence_ids_dropped", 0) for c in conversations),
    }
