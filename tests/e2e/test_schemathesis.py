"""The live API keeps its published contract: Schemathesis, every check, against `mnemoscope serve` over HTTP.

Generated from docs/openapi.json: valid requests must be accepted (2xx, or 404/409 for state), invalid ones
refused with a 4xx, every status and body must be the documented ones, no 5xx, no request without the API key
served, resources created by POST /v1/memories found by their links. Budget: at most 25 examples per operation
and 150 s in all (80 s for the coverage phase, 70 s for fuzzing and stateful). Exceptions, each with its reason, are in
tests/e2e/schemathesis.toml (methods the HTTP server layer answers itself) and tests/e2e/schemathesis_hooks.py
(opaque list cursors in positive cases).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_serve_http import Server

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
API_KEY = "key-schemathesis"


@pytest.mark.parametrize(
    ("phases", "seconds"),
    [
        # Every operation's boundaries: longest and shortest values, each enum value, each way to be invalid.
        ("coverage", 80),
        # Random valid and invalid requests, then sequences that follow the links (create, read, delete).
        ("fuzzing,stateful", 70),
    ],
)
def test_the_live_api_keeps_its_openapi_contract(tmp_path: Path, phases: str, seconds: int) -> None:
    server = Server(tmp_path / "data", api_keys=f"{API_KEY}:tenant-st")
    server.wait_ready()
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    command = [
        str(Path(sys.executable).with_name("st")),
        "--no-color",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        str(ROOT / "docs" / "openapi.json"),
        "--url",
        server.base,
        "--phases",
        phases,
        "--checks",
        "all",
        "--header",
        f"x-api-key: {API_KEY}",
        "--max-examples",
        "25",
        "--max-time",
        str(seconds),
        # One request at a time: isolation between concurrent requests is the concurrency test's subject.
        "--workers",
        "1",
        # Long texts are embedded on shared cores; a slow answer is not a contract failure.
        "--request-timeout",
        "60",
    ]
    try:
        run = subprocess.run(
            command, check=False, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=seconds + 120
        )
    finally:
        server.stop()
    report = run.stdout[-30_000:] + run.stderr[-5_000:]
    # Schemathesis exits non-zero on any failure or error; the summary must show every operation selected.
    assert run.returncode == 0, report
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    operations = sum(1 for item in spec["paths"].values() for method in item if method != "parameters")
    assert f"Selected: {operations}/{operations}" in run.stdout, report
