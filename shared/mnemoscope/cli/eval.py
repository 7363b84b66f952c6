"""`mnemoscope eval`: end-to-end memory quality through the public API (see mnemoscope.evaluation).

mnemoscope eval locomo --data locomo10.json --url http://127.0.0.1:8000 --out results/run1
mnemoscope eval offline --data locomo10.json --out results/obs
mnemoscope eval compare results/a/report.json results/b/report.json
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from mnemoscope.client import MemoryClient, MemoryClientError
from mnemoscope.client.client import DEFAULT_URL
from mnemoscope.ports.chat_model import ChatModel


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("eval", help="measure memory quality end to end (LoCoMo, LongMemEval)")
    tracks = parser.add_subparsers(dest="track", required=True)
    qa = tracks.add_parser("locomo", help="QA through the API with an answer model, a judge and baselines")
    _common(qa)
    qa.add_argument("--systems", default="memory,full-context,no-memory", help="comma-separated")
    qa.add_argument("--top-k", type=int, default=10, help="memories per speaker scope and question")
    qa.add_argument("--judge-runs", type=int, default=2)
    qa.add_argument("--stress-limit", type=int, default=200, help="questions whose stress answers are judged")
    qa.add_argument("--questions", type=int, default=0, help="at most N questions per conversation (0 = all)")
    qa.add_argument("--job-log", type=Path, help="serve's JSON log (or a CloudWatch export) for ingest tokens")
    qa.add_argument("--ready-timeout", type=float, default=1800.0, help="seconds to wait for consolidation")
    qa.add_argument("--tokenizer", choices=("auto", "tiktoken", "chars4"), default="auto")
    for role in ("answer", "judge"):
        env = f"MNEMOSCOPE_EVAL_{role.upper()}_"
        qa.add_argument(f"--{role}-provider", choices=("openai", "dashscope"), default=os.environ.get(env + "PROVIDER"))
        qa.add_argument(f"--{role}-model", default=os.environ.get(env + "MODEL"))
        qa.add_argument(f"--{role}-base-url", default=os.environ.get(env + "BASE_URL"), help="OpenAI-compatible")
    qa.set_defaults(run=run_qa)
    offline = tracks.add_parser("offline", help="LoCoMo observations as memories: evidence recall@k, no model")
    _common(offline)
    offline.add_argument(
        "--raw-turns", type=Path, help="bench/results/locomo_recall.json: plot its raw-turn track (rrf, boost 2) beside"
    )
    offline.set_defaults(run=run_offline)
    compare = tracks.add_parser("compare", help="two report.json files, question by question")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path)
    compare.add_argument("--system", default="memory", help="system of A (and of B unless --system-b)")
    compare.add_argument("--system-b")
    compare.set_defaults(run=run_compare)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="locomo10.json or a LongMemEval JSON file")
    parser.add_argument("--conversations", type=int, default=0, help="only the first N conversations (0 = all)")
    parser.add_argument("--url", default=os.environ.get("MNEMOSCOPE_URL", DEFAULT_URL))
    parser.add_argument("--api-key", default=os.environ.get("MNEMOSCOPE_API_KEY"))
    parser.add_argument("--out", type=Path, required=True, help="results folder (a rerun resumes it)")
    parser.add_argument("--scope-prefix", default="eval", help="user ids are <prefix>.<conversation>.<speaker>")


def chat_model(provider: str | None, model: str | None, base_url: str | None) -> ChatModel:
    """A model through the project's wiring: MNEMOSCOPE_CHAT_* settings (and their API keys), overridden."""
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import build_chat_model

    settings = Settings()
    update: dict[str, Any] = {"chat_provider": provider or settings.chat_provider}
    if model:
        update["chat_model"] = model
    if base_url:
        update["openai_base_url"] = base_url
    built = build_chat_model(settings.model_copy(update=update))
    if built is None:
        raise SystemExit("no model: pass --answer-provider/--judge-provider or set MNEMOSCOPE_CHAT_PROVIDER")
    return built


class ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        line = f"{stage:>18} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
            self.stream.flush()
        elif done == total and line != self.last:  # logs: one line per finished stage
            self.stream.write(line + "\n")
        self.last = line


def run_qa(args: argparse.Namespace) -> int:
    from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid
    from mnemoscope.evaluation import dataset, plots, report
    from mnemoscope.evaluation.answer import SYSTEMS
    from mnemoscope.evaluation.prompts import PROMPTS_VERSION
    from mnemoscope.evaluation.readiness import SIGNAL as READINESS
    from mnemoscope.evaluation.readiness import NotReady
    from mnemoscope.evaluation.runner import EvalConfig, Harness, skipped_counts
    from mnemoscope.evaluation.state import RunStore
    from mnemoscope.evaluation.tokens import counter

    conversations = dataset.load(args.data, args.conversations)
    answer_model = chat_model(args.answer_provider, args.answer_model, args.answer_base_url)
    judge_model = chat_model(
        args.judge_provider or args.answer_provider,
        args.judge_model or args.answer_model,
        args.judge_base_url or args.answer_base_url,
    )
    count, tokenizer = counter(args.tokenizer)
    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    if not systems or set(systems) - set(SYSTEMS):
        print(f"--systems: choose from {', '.join(SYSTEMS)}", file=sys.stderr)
        return 2
    config = EvalConfig(
        systems=systems,
        top_k=args.top_k,
        judge_runs=args.judge_runs,
        stress_limit=args.stress_limit,
        questions_per_conversation=args.questions,
        scope_prefix=args.scope_prefix,
        ready_timeout=args.ready_timeout,
    )
    settings = {
        "data": str(args.data),
        "conversations": [c.id for c in conversations],
        "url": args.url,
        "answer_model": answer_model.model_id,
        "judge_model": judge_model.model_id,
        "prompts_version": PROMPTS_VERSION,
        "tokenizer": tokenizer,
        "readiness": READINESS,
        **{k: v for k, v in vars(config).items() if k != "ready_timeout"},
    }
    settings["systems"] = list(config.systems)
    store = RunStore(args.out, settings)
    began = time.perf_counter()
    with MemoryClient(args.url, args.api_key, timeout=120) as client:
        try:
            if "memory" in config.systems:
                health = client.health()
                if health.consolidation != "active":
                    print(f"the server cannot consolidate: {health.consolidation}", file=sys.stderr)
                    return 1
            Harness(client, answer_model, judge_model, store, count, config, ProgressBar(sys.stderr)).run(conversations)
        except (MemoryClientError, DependencyUnavailable, LlmOutputInvalid, NotReady) as error:
            print(f"{type(error).__name__}: {error} (rerun the same command to resume)", file=sys.stderr)
            return 1
    result = report.build(store, {**settings, **skipped_counts(conversations)}, args.job_log)
    result["settings"]["seconds"] = round(time.perf_counter() - began, 1)
    result["plots"] = plots.write_plots(result, args.out)
    (args.out / "report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "report.md").write_text(report.markdown(result), encoding="utf-8")
    print(report.summary(result))
    print(f"report: {args.out / 'report.md'}")
    return 0


def run_offline(args: argparse.Namespace) -> int:
    from mnemoscope.evaluation import dataset
    from mnemoscope.evaluation.offline import run_offline as track
    from mnemoscope.evaluation.plots import write_recall_plot

    conversations = dataset.load(args.data, args.conversations)
    args.out.mkdir(parents=True, exist_ok=True)
    state_path = args.out / "observations_state.json"
    state: dict[str, dict[str, list[str]]] = (
        json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    )

    def save() -> None:
        state_path.write_text(json.dumps(state), encoding="utf-8")

    with MemoryClient(args.url, args.api_key, timeout=120) as client:
        result = track(client, conversations, args.scope_prefix, state, save, ProgressBar(sys.stderr))
    tracks = {"observations (API)": result["recall"]}
    if args.raw_turns:
        raw = json.loads(args.raw_turns.read_text(encoding="utf-8"))
        boost = raw.get("default_time_boost", 2.0)  # the default policy's boost when the benchmark ran
        default = next(e for e in raw["results"] if e["fusion"] == "rrf" and e["time_boost"] == boost)
        tracks = {"raw turns (bench)": default["recall"], **tracks}
        result["raw_turn_track"] = default["recall"]
    if write_recall_plot(tracks, args.out / "observations_recall.png"):
        result["plot"] = "observations_recall.png"
    (args.out / "observations_recall.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, values in result["recall"].items():
        print(f"{name:>8} (n={values['n']}): " + "  ".join(f"R@{k} {100 * values[f'R@{k}']:.1f}" for k in (5, 10, 20)))
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from mnemoscope.evaluation.compare import compare, describe

    a = json.loads(args.a.read_text(encoding="utf-8"))
    b = json.loads(args.b.read_text(encoding="utf-8"))
    try:
        result = compare(a, b, args.system, args.system_b or args.system)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(describe(result))
    return 0
