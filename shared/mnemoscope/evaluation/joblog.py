"""Ingest cost from the service's own job metrics: the JSON log lines 'job finished' that the consolidate handler
writes (model_calls, prompt_tokens, completion_tokens per job; in AWS the same numbers are CloudWatch metrics).

The public API does not expose them, so the harness reads them from a log file the user points it to
(`mnemoscope serve ... > serve.log`, or a CloudWatch Logs export); without one, ingest tokens are not measured."""

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

COUNTS = ("model_calls", "prompt_tokens", "completion_tokens")


def job_metrics(path: Path, user_ids: set[str]) -> dict[str, Any]:
    """Per job kind: jobs, model calls and tokens of the scopes whose user id is in `user_ids`."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("jobs", *COUNTS), 0))
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"job finished"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        scope = str(entry.get("scope", ""))
        if entry.get("message") != "job finished" or scope.rsplit("/", 1)[-1] not in user_ids:
            continue
        kind = str(entry.get("job", "unknown"))
        totals[kind]["jobs"] += 1
        for name in COUNTS:
            totals[kind][name] += int(entry.get(name, 0) or 0)
    return {kind: dict(values) for kind, values in sorted(totals.items())}
