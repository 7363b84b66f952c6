"""Handlers translate a request into one service call: none reaches past the services into the adapters."""

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "mnemoscope"
HANDLER_MODULES = sorted([*PACKAGE.glob("api/*.py"), *PACKAGE.glob("entrypoints/*.py")])
# The graph's `ports` (the adapters) are the runtime's and the tests'; importing a port's *types* is fine.
REACHING_PAST = re.compile(r"\bports\.(chat_log|memory_index|job_queue|embedder)\b|\)\.ports\b")


@pytest.mark.parametrize("module", HANDLER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_handlers_call_services_only(module: Path) -> None:
    lines = [line.strip() for line in module.read_text(encoding="utf-8").splitlines()]
    offending = [line for line in lines if REACHING_PAST.search(line) and not line.startswith(("from ", "import "))]
    assert offending == []
