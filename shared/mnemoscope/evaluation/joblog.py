"""Ingest cost from the service's own job metrics: the JSON log lines 'job finished' that the consolidate handler
writes (model_calls, prompt_tokens, completion_tokens per job; in AWS the same numbers are CloudWatch metrics).

The public API does not expose them, so the harness reads them from a log file the user points it to
(`PYTHONUNBUFFERED=1 POWERTOOLS_LOG_LEVEL=INFO mnemoscope serve > serve.log`, or a CloudWatch Logs export); without
one, ingest tokens are not measured.

Under `serve` a line can lack its `scope`/`job` keys (the shared Powertools logger's appended keys are cleared by a
concurrent API request), so lines without a scope are counted as the evaluation's when the log is dedicated to it
(`unattributed` says how many), and a missing kind is told from the consolidation report's `watermark` field."""

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

COUNTS = ("model_calls", "prompt_tokens", "completion_tokens")


def job_metrics(path: Path, user_ids: set[str]) -> dict[str, Any]:
    """Per job kind: jobs, model calls and tokens of the scopes whose user id is in `user_ids` (and of jobs whose
    line names no scope); `unattributed` counts the latter."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("jobs", *COUNTS), 0))
    unattributed = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"job finished"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("message") != "job finished":
            continue
        scope = entry.get("scope")
        if scope is None:
            unattributed += 1
        elif str(scope).rsplit("/", 1)[-1] not in user_ids:
            continue
        kind = str(entry.get("job") or ("consolidate" if "watermark" in entry else "reflect"))
        totals[kind]["jobs"] += 1
        for name in COUNTS:
            totals[kind][name] += int(entry.get(name, 0) or 0)
    return {"by_kind": {kind: dict(values) for kind, values in sorted(totals.items())}, "unattributed": unattributed}
