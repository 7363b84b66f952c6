"""`mnemoscope backfill-sparse`: give the memories of a local data directory their sparse vectors (issue 18).

Memories written before the sparse list existed, or by a process where the one-pass engine could not be built,
have no sparse vector; a search whose candidates include one leaves the sparse list out (docs/decisions.md, "Issue
18: the sparse list"). This encodes them, one model pass each, in small transactions; a running `serve` on the same
directory may keep serving and writing meanwhile."""

import argparse
import sys
import time
from pathlib import Path


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("backfill-sparse", help="give older local memories their sparse vectors")
    parser.add_argument("--data-dir", type=Path, default=None, help="where data lives (default ./.mnemoscope)")
    parser.add_argument("--batch", type=int, default=64, help="memories per transaction (default 64)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.errors import MemoryServiceError
    from mnemoscope.settings import Settings
    from mnemoscope.wiring.infrastructure import local_infrastructure

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}), backend="local")
    if settings.sparse_ranking is False:
        print("MNEMOSCOPE_SPARSE_RANKING=false: nothing to backfill", file=sys.stderr)
        return 2
    infra = local_infrastructure(settings, InProcessJobQueue(lambda event: None))  # the queue is never started
    began, stored, after = time.monotonic(), 0, 0
    try:
        index = infra.memory_index
        if not isinstance(index, SqliteMemoryIndex):
            print("backfill-sparse works on the local backend's data directory", file=sys.stderr)
            return 2
        while True:
            done, last = index.backfill_sparse(after, args.batch)
            if last is None:
                break
            stored, after = stored + done, last
            print(f"{stored} memories have their sparse vector", file=sys.stderr, flush=True)
    except MemoryServiceError as error:
        print(f"backfill-sparse failed: {error}", file=sys.stderr)
        return 1
    finally:
        if infra.close is not None:
            infra.close()
    print(f"done: {stored} memories in {time.monotonic() - began:.0f} s")
    return 0
