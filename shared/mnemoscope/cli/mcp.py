"""`mnemoscope mcp`: the memory service as an MCP server over stdio, in process (SQLite, local embeddings, the
in-process consolidation queue), for desktop agents such as Claude Desktop and Cursor."""

import argparse
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("mcp", help="serve MCP over stdio (for Claude Desktop, Cursor...)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where data lives (default ./.mnemoscope)")
    parser.add_argument(
        "--user", default=None, help="fix the user: tools then take no user_id and touch no other user's memory"
    )
    parser.add_argument("--agent", default=None, help="fix the agent (default: the tools' agent_id, else 'default')")
    parser.add_argument(
        "--reflect-every", type=float, default=15 * 60, help="seconds between reflection sweeps (default 900)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # stdout is the protocol's wire: nothing else may write there (logs and metrics would corrupt it).
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
    from mnemoscope.domain.ids import is_valid_id
    from mnemoscope.mcp_server.binding import Binding
    from mnemoscope.mcp_server.stdio import serve_stdio
    from mnemoscope.runtime.runtime import dispatch_to_consolidate_handler
    from mnemoscope.runtime.scheduler import run_scheduler
    from mnemoscope.runtime.wsgi import LOCAL_TENANT
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import build, install

    for flag, value in (("--user", args.user), ("--agent", args.agent)):
        if value is not None and not is_valid_id(value):
            print(f"mnemoscope mcp: {flag} {value!r} is not a valid id", file=sys.stderr)
            return 2
    if args.reflect_every <= 0:
        print("mnemoscope mcp: --reflect-every must be positive", file=sys.stderr)
        return 2
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    queue = InProcessJobQueue(dispatch_to_consolidate_handler)
    queue.start()
    stop = threading.Event()
    # Insights come from the same sweeps as under `serve` (a desktop agent's memory is no less long-lived). The
    # sweep logs while serve_stdio has fd 1 pointed at stderr, so nothing reaches the protocol's wire.
    sweeps = threading.Thread(target=run_scheduler, args=(stop, args.reflect_every), name="mnemoscope-reflect")
    try:
        with _stdout_on_stderr():  # while serving, the SDK points fd 1 at stderr itself
            install(build(settings, job_queue=queue))
        sweeps.start()
        serve_stdio(Binding(tenant_id=LOCAL_TENANT, user_id=args.user, agent_id=args.agent))
    finally:
        stop.set()
        if sweeps.is_alive():
            sweeps.join()  # a sweep in progress finishes its job; the next tick never comes
        queue.stop()
    return 0


@contextmanager
def _stdout_on_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr: a warning logged while the services are built (Powertools logs to
    stdout) must not reach the client as a line of protocol."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
