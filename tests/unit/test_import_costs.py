"""What a cold start imports: heavy SDKs only when a request needs them (each costs 0.2-1 s of a Lambda cold start).
Checked in fresh interpreters, since this process has long imported everything."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_api_handler_imports_no_model_sdk_and_no_search_client() -> None:
    loaded = modules_after("import functions.api.handler")
    assert not {"openai", "dashscope", "opensearchpy", "aiohttp"} & loaded


def test_the_opensearch_client_loads_without_the_async_transport() -> None:
    loaded = modules_after("from mnemoscope.adapters.aws.opensearch_client import opensearch_client")
    assert "opensearchpy" in loaded
    assert "aiohttp" not in loaded


def test_the_async_transport_can_still_be_imported_afterwards() -> None:
    loaded = modules_after(
        "import mnemoscope.adapters.aws.opensearch_client\nfrom opensearchpy._async._extra_imports import aiohttp"
    )
    assert "aiohttp" in loaded
