"""What MCP at /mcp costs the api function beyond REST: the extra imports an MCP cold start pays (fresh interpreters,
after the REST handler is imported, bytecode warm), and warm per-request latency of the same search as REST
`POST /v1/memories/search` and as MCP `tools/call search_memory` through the handler (SQLite, hashing embedder:
this measures transport and protocol, not retrieval).

Usage: .venv/bin/python bench/mcp_overhead.py [--runs 5] [--requests 200]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import time, sys
import functions.api.handler
t0 = time.perf_counter()
import mnemoscope.mcp_server.http
print(time.perf_counter() - t0)
print(len([m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types', 'starlette', 'jsonschema', 'anyio')]))
"""


def import_cost(runs: int) -> tuple[float, int]:
    samples, modules = [], 0
    for _ in range(runs + 1):  # the first run writes bytecode; not measured
        out = subprocess.run(
            [sys.executable, "-c", CHILD],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}", "POWERTOOLS_METRICS_DISABLED": "true"},
        ).stdout.split()
        samples.append(float(out[0]))
        modules = int(out[1])
    return statistics.median(samples[1:]), modules


def warm_latency(requests: int) -> dict[str, float]:
    sys.path[:0] = [str(ROOT), str(ROOT / "shared")]
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.entrypoints.api import lambda_handler
    from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
    from mnemoscope.runtime.gateway import proxy_event
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import Infrastructure, assemble, override_services
    from tests.fakes.hash_embedder import HashEmbedder
    from tests.fakes.recording_queue import RecordingJobQueue

    tmp = Path(tempfile.mkdtemp())
    db = SqliteDatabase(tmp / "bench.db")
    embedder = HashEmbedder()
    infra = Infrastructure(SqliteChatLog(db), SqliteMemoryIndex(db, embedder.dimension), RecordingJobQueue(), embedder)
    override_services(assemble(Settings(data_dir=tmp), infra))
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    for i in range(50):
        body = json.dumps({"user_id": "alice", "content": f"fact number {i} about Alice"})
        lambda_handler(proxy_event("POST", "/v1/memories", headers, body, "t", "127.0.0.1"), LocalLambdaContext("api"))
    search = {"user_id": "alice", "query": "what about Alice?", "top_k": 10}
    rest = json.dumps(search)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search_memory", "arguments": search}}
    mcp_headers = headers | {"MCP-Protocol-Version": "2025-11-25"}
    cases: dict[str, tuple[str, str, dict[str, str]]] = {
        "REST search": ("/v1/memories/search", rest, headers),
        "MCP tools/call search_memory": ("/mcp", json.dumps(call), mcp_headers),
        "MCP tools/list": ("/mcp", json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}), mcp_headers),
    }
    medians: dict[str, float] = {}
    for label, (path, body, hdrs) in cases.items():
        samples = []
        for _ in range(requests):
            event: dict[str, Any] = proxy_event("POST", path, hdrs, body, "t", "127.0.0.1")
            t0 = time.perf_counter()
            result = lambda_handler(event, LocalLambdaContext("api"))
            samples.append(time.perf_counter() - t0)
            assert result["statusCode"] == 200, result
        medians[label] = statistics.median(samples)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    seconds, modules = import_cost(args.runs)
    print(f"MCP imports on top of the REST handler: {seconds * 1000:.0f} ms median of {args.runs} ({modules} modules)")
    for label, median in warm_latency(args.requests).items():
        print(f"{label}: {median * 1000:.2f} ms median of {args.requests}")


if __name__ == "__main__":
    main()
