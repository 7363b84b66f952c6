"""What `mnemoscope eval locomo` costs in tokens on locomo10, estimated from a one-conversation slice.

A live `serve` (real local e5) whose consolidation model is the fake OpenAI-compatible server of tests/e2e: the slice's
turns go through the harness's own ingest (both speakers' scopes), and every prompt the service sends is counted
with tiktoken cl100k_base — the fake extracts almost nothing, so reconcile/reflection calls a real model would add
are missing (a lower bound; see the consolidation benchmark for completions). The slice's LoCoMo observations are
loaded as memories (the offline track) to stand in for what a real model would have consolidated, and each
question's three answer prompts (memory, full-context, no-memory) are built by the harness and counted, as are the
judge prompts. Totals are scaled to locomo10 by its message and question counts.

Run from the repository root:  .venv/bin/python -m bench.eval_cost_estimate [--conversation 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS, write_json
from mnemoscope.client import MemoryClient
from mnemoscope.evaluation import answer as answering
from mnemoscope.evaluation import dataset
from mnemoscope.evaluation.ingest import ingest, scopes_of
from mnemoscope.evaluation.judge import JUDGE_SYSTEM, JUDGE_USER
from mnemoscope.evaluation.offline import load_observations
from mnemoscope.evaluation.runner import answerable
from mnemoscope.evaluation.tokens import counter
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage
from tests.e2e.fake_openai import FakeOpenAI
from tests.e2e.test_serve_http import Server

DATA = Path("/work/shared/data/locomo10.json")


class CountingModel:
    """A ChatModel that answers 'Not mentioned' and keeps the prompts (they are what a real model would be sent)."""

    model_id = "counting"
    usage = TokenUsage()
    last_usage = TokenUsage()

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, messages: Sequence[ChatMessage]) -> str:
        self.prompts.append("\n".join(m.content for m in messages))
        return "Not mentioned"

    def generate(self, messages: Sequence[ChatMessage], response_model: Any) -> Any:  # pragma: no cover
        raise NotImplementedError


def start_serve(model_url: str, data_dir: Path) -> Server:
    env = {
        "MNEMOSCOPE_CHAT_PROVIDER": "openai",
        "MNEMOSCOPE_CHAT_MODEL": "fake",
        "MNEMOSCOPE_OPENAI_BASE_URL": model_url,
        "MNEMOSCOPE_OPENAI_API_KEY": "fake",
    }
    server = Server(data_dir, extra_env=env)  # `serve --port 0`: it binds a free port itself
    server.wait_ready()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--conversation", type=int, default=0)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--judge-runs", type=int, default=2)
    parser.add_argument("--stress-questions", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS / "eval_cost_estimate.json")
    args = parser.parse_args()

    everything = dataset.load(args.data)
    conv = everything[args.conversation]
    count, tokenizer = counter("tiktoken")
    fake = FakeOpenAI()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_serve(fake.url, Path(tmp) / "data")
        try:
            with MemoryClient(server.base, timeout=300) as client:
                measured = ingest(client, conv, "cost", timeout=3600)
                ingest_prompt = sum(count(m["content"]) for r in fake.requests for m in r["messages"])
                evidence = load_observations(client, conv, "obs")
                model = CountingModel()
                questions = answerable(conv, 0)
                per_system: dict[str, list[int]] = {}
                for system in answering.SYSTEMS:
                    model.prompts.clear()
                    for q in questions:
                        answering.answer(
                            system, model, client, conv, scopes_of(conv, "obs"), q, args.top_k,
                            lambda: answering.transcript(conv),
                        )  # fmt: skip
                    per_system[system] = [count(p) for p in model.prompts]
        finally:
            server.stop()
            fake.close()
    judge = [
        count(JUDGE_SYSTEM) + count(JUDGE_USER.format(question=q.question, gold=q.answer, answer=q.answer))
        for q in questions
    ]
    judge_mean = sum(judge) / len(judge)
    messages_all = 2 * sum(len(c.turns) for c in everything)  # every turn goes to both speakers' scopes
    questions_all = sum(len(answerable(c, 0)) for c in everything)
    per_message = ingest_prompt / measured["messages"]
    answer_means = {s: sum(v) / len(v) for s, v in per_system.items()}
    judge_calls = questions_all * len(answering.SYSTEMS) * args.judge_runs + args.stress_questions * 3 * args.judge_runs
    report = {
        "benchmark": "eval_cost_estimate",
        "tokenizer": tokenizer,
        "slice": {
            "conversation": conv.id,
            "messages": measured["messages"],
            "questions": len(questions),
            "observations_loaded": len(evidence),
            "consolidation_requests": len(fake.requests),
            "ingest_prompt_tokens_per_message": round(per_message, 1),
            "answer_prompt_tokens_mean": {s: round(v, 1) for s, v in answer_means.items()},
            "judge_prompt_tokens_mean": round(judge_mean, 1),
        },
        "locomo10": {
            "messages": messages_all,
            "questions_cat1to4": questions_all,
            "ingest_prompt_tokens": round(per_message * messages_all),
            "answer_prompt_tokens": {s: round(v * questions_all) for s, v in answer_means.items()},
            "judge_calls": judge_calls,
            "judge_prompt_tokens": round(judge_mean * judge_calls),
        },
    }
    report["locomo10"]["total_prompt_tokens"] = (
        report["locomo10"]["ingest_prompt_tokens"]
        + sum(report["locomo10"]["answer_prompt_tokens"].values())
        + report["locomo10"]["judge_prompt_tokens"]
    )
    write_json(args.out, report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
