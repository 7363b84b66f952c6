"""`mnemoscope serve`: run the whole memory service on this machine (SQLite, local embeddings, in-process queue),
or with `--backend aws` the API, the consolidate worker and the reflect schedule on DynamoDB, SQS and OpenSearch
(`make local-aws` starts local stand-ins and writes their settings to .local-aws/serve.env)."""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from mnemoscope.runtime.gateway import parse_api_keys

if TYPE_CHECKING:
    from mnemoscope.settings import Settings


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("serve", help="run the memory API locally")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument(
        "--backend", choices=["local", "aws"], default=None, help="storage (default MNEMOSCOPE_BACKEND, else local)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where data lives (default ./.mnemoscope)")
    parser.add_argument(
        "--reflect-every", type=float, default=15 * 60, help="seconds between reflection sweeps (default 900)"
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=None,
        help="browser origin allowed to call the API (repeatable; '*' for any); default MNEMOSCOPE_CORS_ORIGINS",
    )
    parser.add_argument("--threads", type=int, default=None, help="requests served at once (default 8)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Local runs print metrics nowhere useful; CloudWatch EMF lines would only clutter the console.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    # Imported here: the API and the HTTP server are heavy, and other commands (`chat`) do not need them.
    from mnemoscope.domain.errors import ConfigurationError
    from mnemoscope.runtime.runtime import LocalRuntime
    from mnemoscope.runtime.server import DEFAULT_THREADS, make_server
    from mnemoscope.settings import Settings

    overrides: dict[str, object] = {"data_dir": args.data_dir} if args.data_dir else {}
    if args.backend:
        overrides["backend"] = args.backend
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
        api_keys = parse_api_keys(settings.api_keys)
        cors_origins = args.cors_origin or [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
        server = make_server(
            args.host,
            args.port,
            api_keys,
            cors_origins=cors_origins,
            read_timeout=settings.http_read_timeout_seconds,
            threads=max(1, args.threads) if args.threads is not None else DEFAULT_THREADS,
        )
    except (ValueError, PermissionError, OSError) as error:
        print(f"mnemoscope serve: {error}", file=sys.stderr)
        return 2
    try:
        runtime = LocalRuntime.start(settings, server)
    except ConfigurationError as error:
        server.shutdown()
        print(f"mnemoscope serve: {error}", file=sys.stderr)
        return 2
    host, port = server.server_address
    print(f"mnemoscope serving on http://{host}:{port} ({_where(settings)})", flush=True)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime.run(stop, args.reflect_every)
    print("mnemoscope stopped", flush=True)
    return 0


def _where(settings: "Settings") -> str:
    if settings.backend == "aws":
        return f"tables {settings.chat_table}, {settings.memory_table}; jobs {settings.jobs_queue_url}"
    return f"data in {settings.data_dir.resolve()}"
