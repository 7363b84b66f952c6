"""Cold start as a user feels it: import + the first request of each Lambda function, in fresh interpreters, beside
a bare `import boto3` measured in the same run, and the size of the built WorkerLayer.

Each sample is a new interpreter that imports `functions.<name>.handler` and hands it one event from events/:
api (health), api (search), consolidate (one job record, whose pending turn makes one model call) and reflect (a
schedule tick). Every network call goes to a stub on 127.0.0.1 started by this script: DynamoDB, SQS (through
AWS_ENDPOINT_URL), OpenSearch, and an OpenAI-compatible server for the embedder and the chat model (through
MNEMOSCOPE_OPENAI_BASE_URL), or with `--provider bedrock` Bedrock's InvokeModel (Titan embeddings) and Converse
(the chat model's forced tool) through the same AWS endpoint. So a sample counts imports, client construction and
wiring, plus loopback round trips, never the internet. Model keys are given directly: a real cold start with a
key-based provider adds one Secrets Manager call for the routes that need a model (Bedrock needs none).
The ratio is (import + first request) / the bare `import boto3` of the same run.

Bytecode: every interpreter reads compiled modules from a bench-owned PYTHONPYCACHEPREFIX, filled by one warm-up
round that is not measured, as the Lambda runtime reads the .pyc files that the layer ships (layers/worker/Makefile
compiles them for python3.12). `--no-bytecode` measures compiling every module from source instead (what a layer
without .pyc costs, since /opt is read-only).

Usage: .venv/bin/python bench/cold_start.py [--runs 5] [--provider openai|bedrock]
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / ".aws-sam" / "build" / "WorkerLayer" / "python"
DIMENSION = 64
BEDROCK_DIMENSION = 256  # the smallest Titan V2 accepts
EMPTY_EXTRACTION = {"turns": [{"message_id": "m1", "score": 0, "facts": []}]}  # the model's answer: nothing to keep
CASES = {  # label: (function, event)
    "api: health": ("api", "api/health_no_api_key.json"),
    "api: search": ("api", "api/search.json"),
    "consolidate: one record": ("consolidate", "consolidate/one_job.json"),
    "reflect: schedule": ("reflect", "reflect/schedule.json"),
}

CHILD = """
import json, os, sys, time
t0 = time.perf_counter()
import importlib
handler = importlib.import_module(sys.argv[1]).lambda_handler
t1 = time.perf_counter()
class Context:
    function_name = "bench"; memory_limit_in_mb = 1024; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self): return 25_000
if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
    # The snapshot: a forked child starts from this memory, as a restored environment starts from the snapshot.
    if os.fork():
        os.wait()
        sys.exit(0)
    t1 = time.perf_counter()
result = handler(json.loads(open(sys.argv[2]).read()), Context())
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "result": result}, default=str), flush=True)
"""
BARE_BOTO3 = "import time; t0 = time.perf_counter(); import boto3; print(time.perf_counter() - t0)"

TURN = {
    "pk": {"S": "SCOPE#tenant-acme/default/alice"},
    "sk": {"S": "MSG#000000000001"},
    "seq": {"N": "1"},
    "id": {"S": "m1"},
    "role": {"S": "user"},
    "content": {"S": "I work as a nurse in Leeds."},
    "created_at": {"S": "2024-08-02T09:59:00+00:00"},
    "logged_at": {"S": "2024-08-02T09:59:01.000000+00:00"},
}


class Stub(BaseHTTPRequestHandler):
    """Just enough of DynamoDB, SQS, OpenSearch and the OpenAI API for one request of each function."""

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.send_response(404)  # the index does not exist: the adapter creates it (PUT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        self._read()
        self._reply(200, {"acknowledged": True})

    def do_GET(self) -> None:
        self._reply(200, {})

    def _read(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}

    def do_POST(self) -> None:
        body = self._read()
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith("DynamoDB"):
            return self._reply(200, self._dynamodb(target.split(".")[-1], body))
        if target.startswith("AmazonSQS"):
            md5 = hashlib.md5(body["MessageBody"].encode()).hexdigest()
            return self._reply(200, {"MessageId": "bench", "MD5OfMessageBody": md5, "SequenceNumber": "1"})
        return self._reply(200, self._model_or_search(body))

    def _model_or_search(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            vector = [1.0 / DIMENSION**0.5] * DIMENSION
            data = [{"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))]
            usage = {"prompt_tokens": 8, "total_tokens": 8}
            return {"object": "list", "data": data, "model": body["model"], "usage": usage}
        if self.path.endswith("/chat/completions"):
            content = json.dumps(EMPTY_EXTRACTION)
            choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
            reply = {"id": "b", "object": "chat.completion", "created": 0, "model": body["model"], "usage": usage}
            return reply | {"choices": [choice]}
        if self.path.startswith("/model/") and self.path.endswith("/invoke"):  # Titan Text Embeddings V2
            return {"embedding": [1.0 / BEDROCK_DIMENSION**0.5] * BEDROCK_DIMENSION, "inputTextTokenCount": 8}
        if self.path.startswith("/model/") and self.path.endswith("/converse"):  # the forced tool's input
            content = [{"toolUse": {"toolUseId": "t1", "name": "record_answer", "input": EMPTY_EXTRACTION}}]
            usage = {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120}
            reply = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": "tool_use"}
            return reply | {"usage": usage, "metrics": {"latencyMs": 1}}
        if self.path.endswith("/_search"):
            hits = {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}
            return {"took": 1, "timed_out": False, "hits": hits}
        return {}

    @staticmethod
    def _dynamodb(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetItem":  # the scope's state: one turn, no watermark yet
            return {"Item": {"pk": TURN["pk"], "sk": {"S": "STATE"}, "last_seq": {"N": "1"}}}
        if operation == "Scan":  # the sweep before the pending index (for "before" numbers)
            return {"Items": [], "Count": 0, "ScannedCount": 0}
        if operation == "Query":
            items = [] if "IndexName" in body else [TURN]
            return {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if operation == "BatchGetItem":
            return {"Responses": {table: [] for table in body["RequestItems"]}, "UnprocessedKeys": {}}
        if operation == "UpdateItem":
            return {"Attributes": {"last_seq": {"N": "1"}}}
        return {}


def model_settings(provider: str, stub: str) -> dict[str, str]:
    """The embedder and chat model: OpenAI's SDK against the stub, or Bedrock (boto3, already imported) against it."""
    if provider == "bedrock":
        return {
            "MNEMOSCOPE_EMBEDDER": "bedrock",
            "MNEMOSCOPE_EMBEDDING_MODEL": "amazon.titan-embed-text-v2:0",
            "MNEMOSCOPE_EMBEDDING_DIMENSION": str(BEDROCK_DIMENSION),
            "MNEMOSCOPE_CHAT_PROVIDER": "bedrock",
            "MNEMOSCOPE_CHAT_MODEL": "amazon.nova-lite-v1:0",
        }
    return {
        "MNEMOSCOPE_EMBEDDER": "openai",
        "MNEMOSCOPE_EMBEDDING_MODEL": "text-embedding-3-small",
        "MNEMOSCOPE_EMBEDDING_DIMENSION": str(DIMENSION),
        "MNEMOSCOPE_CHAT_PROVIDER": "openai",
        "MNEMOSCOPE_CHAT_MODEL": "gpt-4o-mini",
        "MNEMOSCOPE_OPENAI_BASE_URL": f"{stub}/v1",
        "MNEMOSCOPE_OPENAI_API_KEY": "bench",
    }


def environment(port: int, *, bytecode: bool, provider: str = "openai") -> dict[str, str]:
    stub = f"http://127.0.0.1:{port}"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MNEMOSCOPE_", "AWS_", "POWERTOOLS_", "PYTHON"))}
    if bytecode:
        keep["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mnemoscope-bench-pycache")
    else:
        keep["PYTHONDONTWRITEBYTECODE"] = "1"
    return (
        keep
        | {
            "PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}",
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL": stub,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "mnemoscope",
            "MNEMOSCOPE_BACKEND": "aws",
            "MNEMOSCOPE_CHAT_TABLE": "chat",
            "MNEMOSCOPE_MEMORY_TABLE": "memories",
            "MNEMOSCOPE_JOBS_QUEUE_URL": f"{stub}/123456789012/jobs.fifo",
            "MNEMOSCOPE_OPENSEARCH_ENDPOINT": stub,
            "MNEMOSCOPE_OPENSEARCH_AUTH": "none",
        }
        | model_settings(provider, stub)
    )


def sample(case: str, env: dict[str, str]) -> dict[str, Any]:
    function, event = CASES[case]
    args = [sys.executable, "-c", CHILD, f"functions.{function}.handler", str(ROOT / "events" / event)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{case} failed:\n{done.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def bare_boto3(env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", BARE_BOTO3], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout)


def outcome(result: Any) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return f"HTTP {result['statusCode']}"
    return json.dumps(result)[:60]


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module from source each time")
    parser.add_argument(
        "--snapstart",
        action="store_true",
        help="init as SnapStart's snapshotted init (primed), then the first request in a forked child",
    )
    parser.add_argument(
        "--provider",
        choices=["openai", "bedrock"],
        default="openai",
        help="the embedder and chat model (default openai)",
    )
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = environment(server.server_address[1], bytecode=not args.no_bytecode, provider=args.provider)
    if args.snapstart:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    if not args.no_bytecode:  # warm-up: fills the bytecode cache, not measured
        bare_boto3(env)
        for case in CASES:
            sample(case, env)
    boto3_samples, samples = [], {case: list[dict[str, Any]]() for case in CASES}
    for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits every row alike
        boto3_samples.append(bare_boto3(env))
        for case in CASES:
            samples[case].append(sample(case, env))
    server.shutdown()
    boto3_ms = statistics.median(boto3_samples) * 1000
    mode = "from source, no bytecode" if args.no_bytecode else "with bytecode"
    mode += (
        "; SnapStart: 'import ms' is the snapshotted init (once per version), "
        "the ratio is the first request after a restore"
        if args.snapstart
        else ""
    )
    print(f"models: {args.provider}; bare `import boto3`: {boto3_ms:.0f} ms (median of {args.runs}, {mode})\n")
    felt_label = "felt: first after restore ms" if args.snapstart else "felt: import + first ms"
    print(f"| function: first request | import ms | first request ms | {felt_label} | × import boto3 | answer |")
    print("|---|---:|---:|---:|---:|---|")
    for case, runs in samples.items():
        imported = statistics.median(r["import"] for r in runs) * 1000
        first = statistics.median(r["first"] for r in runs) * 1000
        felt = (lambda r: r["first"]) if args.snapstart else (lambda r: r["import"] + r["first"])
        total = statistics.median(felt(r) for r in runs) * 1000
        answer = outcome(runs[-1]["result"])
        print(f"| {case} | {imported:.0f} | {first:.0f} | {total:.0f} | {total / boto3_ms:.2f} | {answer} |")
    if LAYER.exists():
        print(f"\nWorkerLayer unzipped: {directory_mb(LAYER):.1f} MB ({LAYER.relative_to(ROOT)})")
    else:
        print("\n(no built layer: run `make validate` first)")


if __name__ == "__main__":
    main()
