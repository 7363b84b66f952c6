"""`mnemoscope serve` under load, over HTTP (run by hand; results go to docs/benchmarks.md).

1. Mixed load: 8 clients (two tenants, 4 each) for --seconds: 40% search, 20% list, 10% get, 10% health, 15%
   append (20 turns x 400 chars), 5% add memory (400 chars). Reports requests/s, p50/p99 and non-2xx answers.
2. Head-of-line: tenant A adds a 16,000-character memory while tenant B searches; reports B's search latency
   alone and during the add, and how long the add took.

Each run starts a fresh server (local e5 embedder, fresh data dir). --source runs another checkout's code (e.g.
`git archive 7911ae5 shared | tar -x -C /tmp/old` then --source /tmp/old/shared) for the before figures.
Usage: .venv/bin/python bench/serve_load.py [--runs 3] [--seconds 20] [--threads 8] [--source DIR] [--skip-hol]
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KEYS = {"acme": "bench-key-acme", "globex": "bench-key-globex"}
Sample = tuple[str, float, int]  # operation, seconds, status
WORDS = ("river", "budget", "meeting", "garden", "violin", "train", "coffee", "winter", "museum", "letter", "harbor")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(source: str | None, threads: int | None) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MNEMOSCOPE_API_KEYS": ",".join(f"{k}:{t}" for t, k in KEYS.items())}
    env["MNEMOSCOPE_EMBEDDER"] = "local"
    if source:
        env["PYTHONPATH"] = source
    data_dir = tempfile.mkdtemp(prefix="serve-load-")
    command = [sys.executable, "-m", "mnemoscope.cli.main", "serve", "--port", str(port), "--data-dir", data_dir]
    if threads:
        command += ["--threads", str(threads)]
    with (Path(data_dir) / "serve.log").open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                call(base, "acme", "GET", "/v1/health")
                break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def call(base: str, tenant: str, method: str, path: str, body: Any = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"x-api-key": KEYS[tenant], "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:length]


def _client(base: str, tenant: str, n: int, until: float, out: list[Sample], lock: threading.Lock) -> None:
    rng = random.Random(f"{tenant}-{n}")
    memory_ids: list[str] = []
    batch = 0
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.40:
            op, args = "search", ("POST", "/v1/memories/search", {"user_id": "u1", "query": _text(rng, 40)})
        elif roll < 0.60:
            op, args = "list", ("GET", "/v1/memories?user_id=u1&limit=50", None)
        elif roll < 0.70 and memory_ids:
            op, args = "get", ("GET", f"/v1/memories/{rng.choice(memory_ids)}?user_id=u1", None)
        elif roll < 0.80:
            op, args = "health", ("GET", "/v1/health", None)
        elif roll < 0.95:
            batch += 1
            turns = [{"role": "user", "content": _text(rng, 400), "id": f"c{n}b{batch}t{i}"} for i in range(20)]
            op, args = "append", ("POST", "/v1/messages", {"user_id": "u1", "messages": turns})
        else:
            op, args = "add", ("POST", "/v1/memories", {"user_id": "u1", "content": _text(rng, 400)})
        started = time.perf_counter()
        status, text = call(base, tenant, *args)
        elapsed = time.perf_counter() - started
        if op == "add" and status == 201:
            memory_ids.append(json.loads(text)["memory"]["id"])
        with lock:
            out.append((op, elapsed, status))


def mixed_load(base: str, seconds: float) -> dict[str, Any]:
    for tenant in KEYS:  # something to search, list and get from the start
        for i in range(5):
            call(base, tenant, "POST", "/v1/memories", {"user_id": "u1", "content": f"seed memory {i} about the river"})
    out: list[Sample] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds
    started = time.monotonic()
    clients = [threading.Thread(target=_client, args=(base, t, n, until, out, lock)) for t in KEYS for n in range(4)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    wall = time.monotonic() - started
    latencies = sorted(elapsed for _, elapsed, _ in out)
    return {
        "requests": len(out),
        "rps": round(len(out) / wall, 1),
        "p50_ms": round(1000 * _pct(latencies, 50), 1),
        "p99_ms": round(1000 * _pct(latencies, 99), 1),
        "non_2xx": sum(1 for _, _, status in out if status >= 300),
        "5xx": sum(1 for _, _, status in out if status >= 500),
    }


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def head_of_line(base: str) -> dict[str, Any]:
    """Tenant globex's search latency alone, then while tenant acme adds a 16,000-character memory."""
    query = {"user_id": "u1", "query": "what about the river budget"}
    call(base, "globex", "POST", "/v1/memories", {"user_id": "u1", "content": "the river budget meeting is on Monday"})
    alone = []
    for _ in range(10):
        started = time.perf_counter()
        call(base, "globex", "POST", "/v1/memories/search", query)
        alone.append(time.perf_counter() - started)
    long_text = _text(random.Random(7), 16_000)
    add_time: list[float] = []

    def add() -> None:
        started = time.perf_counter()
        call(base, "acme", "POST", "/v1/memories", {"user_id": "u1", "content": long_text})
        add_time.append(time.perf_counter() - started)

    adder = threading.Thread(target=add)
    adder.start()
    time.sleep(0.05)  # the add is in the server before the first search
    during = []
    while adder.is_alive():
        started = time.perf_counter()
        call(base, "globex", "POST", "/v1/memories/search", query)
        during.append(time.perf_counter() - started)
    adder.join()
    return {
        "search_alone_p50_ms": round(1000 * statistics.median(alone), 1),
        "search_during_add_p50_ms": round(1000 * statistics.median(during), 1),
        "search_during_add_max_ms": round(1000 * max(during), 1),
        "added_p50_ms": round(1000 * (statistics.median(during) - statistics.median(alone)), 1),
        "searches_during_add": len(during),
        "add_16k_ms": round(1000 * add_time[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=None, help="serve --threads (new server only)")
    parser.add_argument("--source", default=None, help="PYTHONPATH of another checkout's shared/ (before figures)")
    parser.add_argument("--skip-hol", action="store_true", help="skip the 16,000-character head-of-line test")
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        with serving(args.source, args.threads) as base:
            result = {"load": mixed_load(base, args.seconds)}
        if not args.skip_hol:
            with serving(args.source, args.threads) as base:
                result["hol"] = head_of_line(base)
        print(json.dumps({"run": run + 1, **result}), flush=True)
        runs.append(result)
    median = {part: {key: statistics.median(r[part][key] for r in runs) for key in runs[0][part]} for part in runs[0]}
    print(json.dumps({"median_of_runs": len(runs), **median}, indent=2))


if __name__ == "__main__":
    main()
