"""`mnemoscope export` and `mnemoscope import`: a scope's memory to a JSONL file and back (docs/export-format.md).

Three places to talk to: a server (`--url`, default `serve`'s address; `--api-key` or MNEMOSCOPE_API_KEY), a local
data directory in process (`--data-dir`), or the stores the MNEMOSCOPE_* settings name, directly (`--tenant`: e.g.
the AWS tables, for an export bigger than the api function answers). Over HTTP an import is sent in parts under the
1 MB request limit, oldest turns first, after the whole file was checked here."""

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mnemoscope.client import MemoryClient, MemoryClientError
from mnemoscope.client.client import DEFAULT_URL
from mnemoscope.client.protocol import MemoryApi
from mnemoscope.contracts.export import MAX_IMPORT_CHARS, EndLine
from mnemoscope.domain.errors import MemoryServiceError
from mnemoscope.domain.scope import Scope
from mnemoscope.services.export_file import parse_export

if TYPE_CHECKING:
    from mnemoscope.wiring import Services

# Room for the JSON envelope and escaping (a quote or newline in a line costs a second character).
PART_CHARS = MAX_IMPORT_CHARS // 2 - 10_000


def add_parsers(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    export = subparsers.add_parser("export", help="write a user's chat log and memories to a JSONL file")
    _common(export)
    export.add_argument("-o", "--output", type=Path, help="the file to write (default: standard output)")
    export.set_defaults(run=run_export)
    imported = subparsers.add_parser("import", help="load an export file into a user (idempotent)")
    imported.add_argument("file", type=Path, help="an export file")
    _common(imported)
    imported.set_defaults(run=run_import)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="the user to export, or to import into")
    parser.add_argument("--agent", default="default", help="the agent (default: default)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default=DEFAULT_URL, help=f"a server (default {DEFAULT_URL})")
    where.add_argument("--data-dir", type=Path, help="a local data directory, opened in this process")
    where.add_argument("--tenant", help="use the stores the MNEMOSCOPE_* settings name, directly, as this tenant")
    parser.add_argument("--api-key", default=os.environ.get("MNEMOSCOPE_API_KEY"), help="for --url")


def run_export(args: argparse.Namespace) -> int:
    try:
        with _lines_of(args) as lines:
            out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
            try:
                out.writelines(lines)
            finally:
                if args.output:
                    out.close()
    except (MemoryClientError, MemoryServiceError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


def run_import(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8")
    try:
        parse_export(text)  # the whole file, before any part of it is sent
        if args.tenant:
            report = _direct(args).imports.load(_scope(args), text)
            print(f"imported {report.messages} messages and {report.memories} memories")
            return 0
        with _api(args) as api:
            parts = split_export(text) if args.data_dir is None else [text]
            for part in parts:
                api.import_file(args.user, part, args.agent)
    except (MemoryClientError, MemoryServiceError) as error:
        print(f"import failed: {error}", file=sys.stderr)
        return 1
    print(f"imported {args.file} into {args.user} ({len(parts)} request(s))")
    return 0


def split_export(text: str, part_chars: int = PART_CHARS) -> list[str]:
    """The file as files of at most about `part_chars` each, to import in order: the oldest turns first (a turn's
    place in the log is its arrival), then the memories. Each part is a whole file (header, records, end line)."""
    file = parse_export(text)
    header = file.header.model_dump_json() + "\n"
    records = [(m.model_dump_json() + "\n", "message") for m in reversed(file.messages)]
    records += [(m.model_dump_json() + "\n", "memory") for m in file.memories]
    parts: list[str] = []
    batch: list[tuple[str, str]] = []
    for record in records:
        if batch and sum(len(line) for line, _ in batch) + len(record[0]) > part_chars:
            parts.append(_part(header, batch))
            batch = []
        batch.append(record)
    return [*parts, _part(header, batch)]


def _part(header: str, batch: list[tuple[str, str]]) -> str:
    messages = [line for line, kind in batch if kind == "message"]
    memories = [line for line, kind in batch if kind == "memory"]
    end = EndLine(messages=len(messages), memories=len(memories)).model_dump_json() + "\n"
    return header + "".join(reversed(messages)) + "".join(memories) + end  # turns newest first, as exported


@contextmanager
def _lines_of(args: argparse.Namespace) -> Iterator[Iterator[str]]:
    if args.tenant:
        yield _direct(args).exports.lines(_scope(args))
        return
    with _api(args) as api:
        yield api.export(args.user, args.agent)


@contextmanager
def _api(args: argparse.Namespace) -> Iterator[MemoryApi]:
    if args.data_dir is not None:
        from mnemoscope.client.local import Memory

        with Memory.local(args.data_dir, agent_id=args.agent) as local:
            yield local
    else:
        with MemoryClient(args.url, args.api_key, agent_id=args.agent) as client:
            yield client


def _direct(args: argparse.Namespace) -> "Services":
    """The graph the MNEMOSCOPE_* settings describe (backend aws: the tables and the index the stack uses)."""
    from mnemoscope.wiring import build, settings_from_environment

    return build(settings_from_environment())


def _scope(args: argparse.Namespace) -> Scope:
    return Scope(tenant_id=args.tenant, agent_id=args.agent, user_id=args.user)
