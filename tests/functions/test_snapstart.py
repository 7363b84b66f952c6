"""SnapStart priming: the snapshotted init imports everything the deferred adapters will import, and only then.
Each check runs in a fresh interpreter (this one has imported everything long ago)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Build the AWS graph, preload for its settings, then build every deferred adapter: print what that imported.
AFTER_PRELOAD = """
import json, sys
from mnemoscope.entrypoints.snapstart import preload
from mnemoscope.settings import Settings
from mnemoscope.wiring import build, materialized
embedder, chat, reranker = sys.argv[1:4]
settings = Settings(
    backend="aws", chat_table="chat", memory_table="memories", jobs_queue_url="http://127.0.0.1:9/1/jobs.fifo",
    opensearch_endpoint="http://127.0.0.1:9", opensearch_auth="none", aws_region="us-east-1",
    embedder=embedder, chat_provider=chat, reranker=reranker, openai_api_key="k", dashscope_api_key="k",
    embedding_dimension=256,
)
graph = build(settings)
preload(settings)
before = set(sys.modules)
adapters = (graph.ports.embedder, graph.ports.memory_index, graph.ports.job_queue, graph.chat_model,
            graph.retrieval._reranker)
for adapter in adapters:
    if adapter is not None:
        materialized(adapter)
print(json.dumps(sorted(set(sys.modules) - before)))
"""

LAMBDA_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "MNEMOSCOPE_BACKEND": "aws",
    "MNEMOSCOPE_CHAT_TABLE": "chat",
    "MNEMOSCOPE_MEMORY_TABLE": "memories",
    "MNEMOSCOPE_JOBS_QUEUE_URL": "http://127.0.0.1:9/1/jobs.fifo",
    "MNEMOSCOPE_OPENSEARCH_ENDPOINT": "http://127.0.0.1:9",
    "MNEMOSCOPE_OPENSEARCH_AUTH": "none",
    "MNEMOSCOPE_EMBEDDER": "openai",
    "MNEMOSCOPE_CHAT_PROVIDER": "openai",
    "MNEMOSCOPE_OPENAI_API_KEY_SECRET": "mnemoscope/openai",  # never read before the snapshot
}


def run(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MNEMOSCOPE_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("embedder", "chat", "reranker"),
    [
        ("openai", "openai", "none"),
        ("dashscope", "dashscope", "dashscope"),
        ("bedrock", "bedrock", "none"),
        ("bedrock", "openai", "none"),
    ],
)
def test_after_preloading_no_adapter_imports_anything_on_first_use(embedder: str, chat: str, reranker: str) -> None:
    assert json.loads(run(AFTER_PRELOAD, embedder, chat, reranker, env=LAMBDA_ENV)) == []


LOADED_SDKS = """
import json, sys
import functions.{function}.handler
# SDKs, the graph built, and the api function's MCP transport
markers = ("openai", "opensearchpy", "mnemoscope.adapters.aws.dynamodb_chat_log", "mcp")
print(json.dumps(sorted(m for m in markers if m in sys.modules)))
"""


@pytest.mark.parametrize(("function", "mcp"), [("api", ["mcp"]), ("consolidate", []), ("reflect", [])])
def test_the_snapshotted_init_primes_each_function(function: str, mcp: list[str]) -> None:
    snapshotting = LAMBDA_ENV | {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    primed = json.loads(run(LOADED_SDKS.format(function=function), env=snapshotting))
    assert primed == sorted(["mnemoscope.adapters.aws.dynamodb_chat_log", "openai", "opensearchpy", *mcp])


def test_an_ordinary_cold_start_imports_only_the_handler() -> None:
    on_demand = LAMBDA_ENV | {"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
    assert json.loads(run(LOADED_SDKS.format(function="api"), env=on_demand)) == []


def test_a_misconfigured_function_still_initialises_and_reports_on_its_requests() -> None:
    broken = LAMBDA_ENV | {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "MNEMOSCOPE_CHAT_TABLE": ""}
    code = """
import json
import functions.api.handler as handler
from mnemoscope.entrypoints.snapstart import prime_for_snapshot
print(json.dumps(prime_for_snapshot()))
"""
    assert json.loads(run(code, env=broken)) is False
