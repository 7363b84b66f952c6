"""The `mnemoscope` command."""

import argparse
import sys

from mnemoscope import __version__
from mnemoscope.cli import backfill_sparse, chat, eval, mcp, portability, reindex, replay_dlq, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mnemoscope", description="long-term memory for chatbots")
    parser.add_argument("--version", action="version", version=f"mnemoscope {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(subparsers)
    chat.add_parser(subparsers)
    replay_dlq.add_parser(subparsers)
    reindex.add_parser(subparsers)
    eval.add_parser(subparsers)
    portability.add_parsers(subparsers)
    mcp.add_parser(subparsers)
    backfill_sparse.add_parser(subparsers)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
