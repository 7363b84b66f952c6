"""Resumable run state: one JSONL file of records appended as they are made; a rerun skips every key it finds.

The run's settings sit in run.json; resuming with other settings (models, prompts, systems) is refused, so one
results folder never mixes two configurations."""

import json
from pathlib import Path
from typing import Any


class RunStore:
    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / "records.jsonl"
        meta = folder / "run.json"
        if meta.exists():
            before = json.loads(meta.read_text(encoding="utf-8"))
            if before != settings:
                changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
                raise ValueError(f"{folder} holds a run with other settings ({', '.join(changed)}): use another --out")
        else:
            meta.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.records: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut short when the previous run was stopped
                    continue
                self.records[record["key"]] = record

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def add(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.records[record["key"]] = record

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r["kind"] == kind]
