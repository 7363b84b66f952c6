"""The api Lambda function (its CodeUri). The handler lives in the WorkerLayer so that `mnemoscope serve`
runs the very same code; this module only names it for Lambda (Handler: handler.lambda_handler)."""

from mnemoscope.entrypoints.api import lambda_handler
from mnemoscope.entrypoints.snapstart import prime_for_snapshot

__all__ = ["lambda_handler"]

# With SnapStart only: the slow part of a cold start, before the snapshot (the MCP transport, which `/mcp` requests
# import on first use, included).
prime_for_snapshot(extra_modules=("mnemoscope.mcp_server.http",))
